"""One ``extracted_facts`` row per report: counts from the findings and measures, the other facts by
candidates and context (``facts.rules``), the LLM on narrow questions for what the rules cannot decide
(``facts.questions``).

Every value keeps the quote and offsets it was read from. Where the rules had a value and the model
picked another candidate, both are recorded in ``disagreements``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dataval_pipeline.facts import questions as q
from dataval_pipeline.facts import rules
from dataval_pipeline.facts.rules import COUNT_FACTS, READ_FACTS, Fact, FieldReading, load_config
from dataval_pipeline.findings.model import ReportReading
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.client import StructuredLLM

FINDING_COUNTS = {"breaches": "breach", "remarks": "remark"}
MEASURE_COUNTS = {"injunctions": "injonction", "prescriptions": "prescription", "recommendations": "recommandation"}
_TYPES = {"capacity": int, "residents_present": int, "night_staff": int, "care_fte": float, "medec_fte": float,
          "unannounced": bool}


@dataclass
class FactsRow:
    """The row, the rules' readings behind it and what the LLM was asked."""

    row: dict
    readings: dict[str, FieldReading] = field(default_factory=dict)
    questions: list[q.QuestionAnswer] = field(default_factory=list)
    disagreements: list[dict] = field(default_factory=list)
    dropped_llm_facts: int = 0


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _typed(name: str, value: object) -> object:
    kind = _TYPES.get(name)
    return kind(value) if kind is not None and value is not None else value


def _measure(text: str, measure) -> dict:
    quote = collapse_whitespace(text[measure.start:measure.end])[: load_config().quote_max]
    return {"measure_id": measure.measure_id, "kind": measure.kind, "number": measure.number, "text": measure.text,
            "deadline": measure.deadline_text, "deadline_days": measure.deadline_days,
            "finding_ids": list(measure.finding_ids), "quote": quote}


def _decide(reading: FieldReading, answer: q.QuestionAnswer | None) -> tuple[Fact | None, dict | None, bool]:
    """The fact kept, a disagreement (rule vs LLM) if any, and whether an LLM answer was dropped."""
    rule = reading.fact
    if answer is None:
        return rule, None, False
    if not answer.answered:
        return rule, None, True
    choice = answer.choice
    if choice is None:  # "none": nothing among the candidates answers; an ambiguous rule value stays
        return rule, None, False
    if rule is not None and rules.value_key(choice.value) == rules.value_key(rule.value):
        return Fact(rule.value, rule.quote, rule.start, rule.end, "both"), None, False
    llm_fact = Fact(choice.value, choice.quote, choice.start, choice.end, "llm")
    if rule is None:
        return llm_fact, None, False
    disagreement = {"field": reading.field, "rule": _plain(rule.value), "llm": _plain(choice.value)}
    keep_llm = bool(load_config().questions.get("llm_decides_ambiguous", True))
    return (llm_fact if keep_llm else rule), disagreement, False


def _row(report_id: str, text: str, reading: ReportReading, fields: dict[str, FieldReading],
         answers: dict[str, q.QuestionAnswer], llm: StructuredLLM | None) -> FactsRow:
    row: dict = {"report_id": report_id}
    evidence, disagreements, dropped = [], [], 0
    for name in READ_FACTS:
        fact, disagreement, was_dropped = _decide(fields[name], answers.get(name))
        dropped += was_dropped
        if disagreement:
            disagreements.append(disagreement)
        row[name] = _typed(name, fact.value) if fact else None
        if fact:
            evidence.append({"field": name, "source": fact.source, "quote": fact.quote,
                             "start": fact.start, "end": fact.end})
    for column, kind in FINDING_COUNTS.items():
        row[column] = sum(1 for f in reading.findings if f.kind == kind)
    for column, kind in MEASURE_COUNTS.items():
        row[column] = sum(1 for m in reading.measures if m.kind == kind)
    row["measures"] = [_measure(text, m) for m in reading.measures]
    row["follow_up"] = reading.follow_up
    row["amounts_eur"] = [{"amount": a.value, "quote": a.quote} for a in rules.amounts_eur(text)]
    row["evidence"] = evidence
    row["disagreements"] = disagreements
    row["dropped_llm_facts"] = dropped
    row["llm_questions"] = len(answers)
    # Every question asked got a valid answer (true when none was needed); false without an LLM.
    row["llm_answered"] = llm is not None and all(a.answered for a in answers.values())
    row["model"] = llm.settings.model if llm is not None and answers else None
    row["prompt_version"] = q.load_prompt().key if answers else None
    return FactsRow(row, fields, list(answers.values()), disagreements, dropped)


def extract_facts_many(reports: dict[str, tuple[str, ReportReading]], llm: StructuredLLM | None,
                       visit_dates: dict[str, dt.date | None] | None = None) -> dict[str, FactsRow]:
    """The facts of every report: rules first, then every question of every report in one LLM batch.

    ``reports`` maps a report id to its anonymised text and its reading (findings and measures);
    ``visit_dates``, when the caller already decided them, are taken as the visit dates.
    ``llm=None`` gives the rules' rows.
    """
    visit_dates = visit_dates or {}
    readings = {report_id: rules.read_fields(text, reading, visit_dates.get(report_id))
                for report_id, (text, reading) in reports.items()}
    asked: list[q.Question] = []
    if llm is not None:
        for report_id, fields in readings.items():
            doc = None
            for name, reading in fields.items():
                if reading.needs_question:
                    doc = doc or rules.Document(reports[report_id][0], reports[report_id][1])
                    asked.append(q.build_question(report_id, doc, name, reading.candidates))
    by_report: dict[str, dict[str, q.QuestionAnswer]] = {report_id: {} for report_id in reports}
    for answer in q.ask_all(llm, asked) if llm is not None else []:
        by_report[answer.question.report_id][answer.question.field] = answer
    return {report_id: _row(report_id, text, reading, readings[report_id], by_report[report_id], llm)
            for report_id, (text, reading) in reports.items()}


__all__ = ["COUNT_FACTS", "READ_FACTS", "FactsRow", "extract_facts_many"]
