"""One ``extracted_facts`` row per report: rules first, the LLM's reading where rules found nothing.

Where both read a fact and disagree, the rule's value is kept and the disagreement is recorded, so a
reviewer sees where the model (or a rule) is wrong. An LLM value is kept only if it is grounded: its
figure or date appears in the text next to the words that name it, or its quote is in the text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dataval_pipeline.facts import rules
from dataval_pipeline.facts.rules import MONTHS, QUOTE_MAX, Fact
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.analysis import Analysis, is_grounded

# Words that must stand in the same sentence as an LLM figure for it to count as read, not invented.
FIELD_WORDS = {
    "capacity": ("places", "lits", "capacité"),
    "residents_present": ("résident",),
    "care_fte": ("ETP", "équivalent"),
    "medec_fte": ("médecin coordonnat", "MEDEC"),
    "night_staff": ("nuit",),
    "inspection_date": ("visite", "inspection", "contrôle", "mission"),
}
MEASURE_COUNTS = {"injunctions": "injonction", "prescriptions": "prescription", "recommendations": "recommandation"}
FLOAT_TOLERANCE = 0.01
_MONTH_NAMES = {number: name for name, number in reversed(MONTHS.items())}  # accented spellings win


@dataclass
class FactsRow:
    """The row and what the cross-check found."""

    row: dict
    disagreements: list[dict] = field(default_factory=list)
    dropped_llm_facts: int = 0


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:])\s+|\n{2,}", collapse_whitespace(text)) if s]


def _renderings(name: str, value: object) -> list[str]:
    """How a value the LLM gives (ISO date, number) is written in a French report."""
    if name == "inspection_date":
        day = dt.date.fromisoformat(str(value))
        day_word = "1er" if day.day == 1 else str(day.day)
        return [f"{day_word} {_MONTH_NAMES[day.month]} {day.year}", f"{day.day} {_MONTH_NAMES[day.month]} {day.year}",
                day.strftime("%d/%m/%Y")]
    number = float(value)  # type: ignore[arg-type]
    french = f"{number:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return [french] + ([str(int(number))] if number.is_integer() else [])


def ground_llm_fact(name: str, value: object, text: str) -> str | None:
    """The sentence that states ``value`` for ``name``, or None when the text does not support it."""
    try:
        renderings = _renderings(name, value)
    except (ValueError, TypeError, KeyError):
        return None
    words = FIELD_WORDS[name]
    for sentence in _sentences(text):
        lowered = sentence.lower()
        if not any(w.lower() in lowered for w in words):
            continue
        for rendering in renderings:
            match = re.search(r"(?<!\d)(?<!\d,)" + re.escape(rendering) + r"(?!\d|,\d)", sentence)
            if match:
                start = max(0, min(match.start() - QUOTE_MAX // 2, len(sentence) - QUOTE_MAX))
                return sentence[start:start + QUOTE_MAX]
    return None


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= FLOAT_TOLERANCE  # type: ignore[arg-type]
    if isinstance(a, dt.date):
        return a.isoformat() == str(b)
    return a == b


def _llm_facts(analysis: Analysis, text: str) -> tuple[dict[str, Fact], dict[str, object], int]:
    """Grounded LLM facts, every stated LLM value (for the cross-check) and the count of ungrounded ones."""
    stated: dict[str, object] = {name: value for name, value in analysis.facts.items() if value is not None}
    stated["trigger"] = analysis.trigger
    stated["unannounced"] = analysis.unannounced
    grounded: dict[str, Fact] = {}
    dropped = 0
    for name, value in analysis.facts.items():
        if value is None:
            continue
        quote = ground_llm_fact(name, value, text)
        if quote:
            grounded[name] = Fact(dt.date.fromisoformat(value) if name == "inspection_date" else value, quote)
        else:
            dropped += 1
    if analysis.trigger_quote and is_grounded(analysis.trigger_quote, text):
        grounded["trigger"] = Fact(analysis.trigger, collapse_whitespace(analysis.trigger_quote)[:QUOTE_MAX])
    elif analysis.trigger_quote:
        dropped += 1
    # "Unannounced" comes with no quote of its own: it only cross-checks the rule.
    return grounded, stated, dropped


def extract_facts(report_id: str, text: str, analysis: Analysis | None) -> FactsRow:
    """The facts of one anonymised report; ``analysis`` is None when the LLM gave no valid answer."""
    scalars, measures, amounts = rules.read_facts(text)
    grounded, stated, dropped = _llm_facts(analysis, text) if analysis else ({}, {}, 0)
    row: dict = {"report_id": report_id}
    evidence: list[dict] = []
    disagreements: list[dict] = []
    for name in rules.SCALAR_RULES:
        rule_fact, llm_fact = scalars.get(name), grounded.get(name)
        chosen, source = (rule_fact, "rule") if rule_fact else (llm_fact, "llm") if llm_fact else (None, None)
        row[name] = chosen.value if chosen else None
        if chosen:
            evidence.append({"field": name, "source": source, "quote": chosen.quote})
        if rule_fact and name in stated and not _same(rule_fact.value, stated[name]):
            disagreements.append({"field": name, "rule": _plain(rule_fact.value), "llm": _plain(stated[name])})
    for column, kind in MEASURE_COUNTS.items():
        of_kind = [m for m in measures if m.value["kind"] == kind]
        row[column] = len(of_kind) if measures else None
        if of_kind:
            evidence.append({"field": column, "source": "rule", "quote": of_kind[0].quote})
    row["measures"] = [{**m.value, "quote": m.quote} for m in measures]
    row["amounts_eur"] = [{"amount": a.value, "quote": a.quote} for a in amounts]
    row["evidence"] = evidence
    row["disagreements"] = disagreements
    row["dropped_llm_facts"] = dropped
    row["llm_answered"] = analysis is not None
    return FactsRow(row=row, disagreements=disagreements, dropped_llm_facts=dropped)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value
