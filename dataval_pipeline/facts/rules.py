"""Facts that are well-formed enough to read with rules: identifiers, dates, numbered findings, measures, figures.

Every fact comes with the span of text it was read from, so each value in ``extracted_facts`` is grounded
by construction. A rule that does not match gives nothing (not a guess): the LLM's reading fills the gap.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dataval_pipeline.identifiers import is_valid_finess
from dataval_pipeline.ingest.normalise import collapse_whitespace


def _phrase(pattern: str) -> re.Pattern:
    """A sentence containing ``pattern``, whose spaces may be any whitespace (lines wrap anywhere in a PDF)."""
    return re.compile(r"[^.]*" + pattern.replace(" ", r"\s+") + r"[^.]*", re.IGNORECASE)


def _spelled_out(word: str) -> str:
    """A pattern that tolerates a line break inside a word, as PDF table cells wrap ("Recommandatio\\nn")."""
    return r"\s?".join(re.escape(c) for c in word)


MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12}
SMALL_NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
                 "neuf": 9, "dix": 10}
MEASURE_KINDS = ("injonction", "prescription", "recommandation")
QUOTE_MAX = 240

_DATE = r"(\d{1,2})(?:er)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})|(\d{1,2})/(\d{1,2})/(\d{4})"
_NUMBER = r"(\d+(?:,\d+)?|" + "|".join(SMALL_NUMBERS) + r")"
_FINESS = re.compile(r"FINESS(?!\s+juridique)\s*(?:n°\s*)?:?\s*([0-9][0-9AB]\d{7})\b", re.IGNORECASE)
_ANY_FINESS = re.compile(r"(?<![\w])([0-9][0-9AB]\d{7})(?![\w])")
_ESTABLISHMENT = re.compile(r"Établissement\s*:\s*([^,\n]{3,120}?)\s*,")
_INSPECTION_DATE = re.compile(
    r"(?:réalisée?|effectuée?|conduite?|menée?|visite|inspection|contrôle)\s+(?:sur site\s+)?"
    r"(?:le|du|à partir du|en date du)\s+(?:" + _DATE + ")", re.IGNORECASE)
_UNANNOUNCED = re.compile(r"[^.\n]*\binopin[ée]e?s?\b[^.\n]*", re.IGNORECASE)
_ANNOUNCED = re.compile(r"[^.\n]*(?:information préalable|annoncée|contrôle sur pièces)[^.\n]*", re.IGNORECASE)
_TRIGGERS = (
    ("complaint", _phrase(r"(?:suite|suites|faisant suite) (?:à|aux?|de) (?:des |la |plusieurs )?(?:\w+ )?réclamations?")),
    ("incident", _phrase(r"(?:suite|suites|faisant suite) (?:à|aux?|de|du) (?:un |la |le )?(?:\w+ )?"
                         r"(?:signalement|événement indésirable|evenement indesirable)")),
    ("programme", _phrase(r"(?:programme|plan) (?:régional|national|annuel|pluriannuel)")),
)
_CAPACITY = _phrase(r"(?:dispose de|capacité (?:autorisée |installée )?(?:de|:)|autorisé pour) (\d+) (?:places|lits)")
_RESIDENTS = re.compile(r"(\d+)\s+résidents\s+(?:étaient\s+)?(?:présents|accueillis)", re.IGNORECASE)
_MEDEC_FTE = re.compile(r"médecin coordonnat(?:eur|rice)[^.]{0,160}?(\d+(?:,\d+)?)\s*ETP", re.IGNORECASE)
_CARE_FTE = re.compile(r"(\d+(?:,\d+)?)\s*ETP\s+(?:de\s+)?soignants", re.IGNORECASE)
_NIGHT_STAFF = re.compile(r"(?:la nuit|de nuit)[^.\d]{0,40}?\b" + _NUMBER + r"\s+(?:agents|soignants|personnes)"
                          r"|\b" + _NUMBER + r"\s+(?:agents|soignants)\s+(?:de nuit|la nuit)", re.IGNORECASE)
# "Écart n° 3 :", "Ecart 4 :", "E1 :", "Ecart n°1 -"; a label is followed by ':' or '-' and no digit, which
# keeps article references ("R. 4311-4", "R 311-3") and table cells ("R1" alone on its line) out.
_BREACH_LABEL = re.compile(r"(?:(?<=^)|(?<=[\s.]))(?:[ÉE]cart|E)\s?(?:n°\s?)?(\d{1,3})\s?[:\-–](?!\d)", re.MULTILINE)
_REMARK_LABEL = re.compile(r"(?:(?<=^)|(?<=[\s.]))(?:Remarque|R)\s?(?:n°\s?)?(\d{1,3})\s?[:\-–](?!\d)", re.MULTILINE)
_SUMMARY_COUNTS = re.compile(r"relevé\s+(\d+)\s+écart\(?s?\)?\s+et\s+(\d+)\s+remarque", re.IGNORECASE)
_DEADLINE_WORDS = r"immédiat(?:ement)?|sans délai|\d+\s+(?:jours|semaines|mois|ans?)"
_DEADLINE = f"({_DEADLINE_WORDS})"
_MEASURE_LINE = re.compile(r"(Injonction|Prescription|Recommandation)\s+n°\s*(\d+)\s*:\s*([^\n]+?)\.(?=\s|$)"
                           r"(?:\s*Délai\s*:\s*" + _DEADLINE + r"\s*\.)?", re.IGNORECASE)
_TABLE_HEADER = re.compile(r"N°\s+Constat\s+Mesure\s+Délai\s", re.IGNORECASE)
_TABLE_ROW = re.compile(
    r"\b([ER])(\d{1,3})\s+(.+?)\s+(" + "|".join(_spelled_out(k.capitalize()) for k in MEASURE_KINDS) + r")\s+"
    r"(" + _DEADLINE_WORDS + r"|—|-)(?=\s|$)", re.DOTALL)
_AMOUNT = re.compile(r"(\d{1,3}(?:[   .]\d{3})+|\d+)(?:,(\d{1,2}))?\s*(?:€|euros?\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Fact:
    """A value and the exact (whitespace-normalised) text it was read from."""

    value: object
    quote: str


def _quote(text: str) -> str:
    return collapse_whitespace(text)[:QUOTE_MAX]


def _number(token: str) -> float:
    token = token.lower()
    return float(SMALL_NUMBERS[token]) if token in SMALL_NUMBERS else float(token.replace(",", "."))


def _date(groups: tuple[str | None, ...]) -> dt.date | None:
    day, month, year, d2, m2, y2 = groups
    try:
        if day:
            return dt.date(int(year), MONTHS[month.lower()], int(day))
        return dt.date(int(y2), int(m2), int(d2))
    except (ValueError, KeyError):
        return None


def finess(text: str) -> Fact | None:
    """The establishment's FINESS: the labelled one with a valid check digit, else the first valid one."""
    for pattern in (_FINESS, _ANY_FINESS):
        for match in pattern.finditer(text):
            if is_valid_finess(match.group(1)):
                return Fact(match.group(1), _quote(match.group(0)))
    return None


def establishment_name(text: str) -> Fact | None:
    match = _ESTABLISHMENT.search(text)
    return Fact(collapse_whitespace(match.group(1)), _quote(match.group(0))) if match else None


def inspection_date(text: str) -> Fact | None:
    for match in _INSPECTION_DATE.finditer(text):
        day = _date(match.groups())
        if day:
            return Fact(day, _quote(match.group(0)))
    return None


def unannounced(text: str) -> Fact | None:
    """True when the visit is called unannounced, False when it was announced or done on documents."""
    match = _UNANNOUNCED.search(text)
    if match and not re.search(r"\bnon\s+inopin", match.group(0), re.IGNORECASE):
        return Fact(True, _quote(match.group(0)))
    match = _ANNOUNCED.search(text)
    return Fact(False, _quote(match.group(0))) if match else None


def trigger(text: str) -> Fact | None:
    """Complaint, incident or the inspection programme, from the sentence that says why the mission came."""
    found = [(m.start(), name, m) for name, pattern in _TRIGGERS if (m := pattern.search(text))]
    if not found:
        return None
    _, name, match = min(found, key=lambda f: f[0])
    return Fact(name, _quote(match.group(0)))


def _first_int(pattern: re.Pattern, text: str) -> Fact | None:
    match = pattern.search(text)
    return Fact(int(match.group(1)), _quote(match.group(0))) if match else None


def capacity(text: str) -> Fact | None:
    return _first_int(_CAPACITY, text)


def residents_present(text: str) -> Fact | None:
    return _first_int(_RESIDENTS, text)


def medec_fte(text: str) -> Fact | None:
    match = _MEDEC_FTE.search(text)
    return Fact(_number(match.group(1)), _quote(match.group(0))) if match else None


def care_fte(text: str) -> Fact | None:
    match = _CARE_FTE.search(text)
    return Fact(_number(match.group(1)), _quote(match.group(0))) if match else None


def night_staff(text: str) -> Fact | None:
    match = _NIGHT_STAFF.search(text)
    if not match:
        return None
    token = match.group(1) or match.group(2)
    return Fact(int(_number(token)), _quote(match.group(0)))


def _body(text: str) -> str:
    """The text before the summary table, where findings are stated with their labels."""
    header = _TABLE_HEADER.search(text)
    return text[: header.start()] if header else text


def _count_labels(pattern: re.Pattern, text: str) -> Fact | None:
    body = _body(text)
    matches = list(pattern.finditer(body))
    if not matches:
        return None
    numbers = {int(m.group(1)) for m in matches}
    last = matches[-1]
    line_end = body.find("\n", last.end())
    return Fact(len(numbers), _quote(body[last.start(): line_end if line_end > 0 else None]))


def _numbered_count(label: re.Pattern, summary_group: int, text: str) -> Fact | None:
    """Distinct numbered findings; else the conclusion's count ("la mission a relevé 3 écarts et 2 remarques")."""
    counted = _count_labels(label, text)
    if counted:
        return counted
    summary = _SUMMARY_COUNTS.search(text)
    return Fact(int(summary.group(summary_group)), _quote(summary.group(0))) if summary else None


def breaches(text: str) -> Fact | None:
    return _numbered_count(_BREACH_LABEL, 1, text)


def remarks(text: str) -> Fact | None:
    return _numbered_count(_REMARK_LABEL, 2, text)


def _deadline(token: str | None) -> str | None:
    if not token or token in ("—", "-"):
        return None
    token = collapse_whitespace(token).lower()
    return "immédiat" if token.startswith(("immédiat", "sans délai")) else token


def measures(text: str) -> list[Fact]:
    """Numbered measures ("Prescription n° 2 : … Délai : 3 mois.") and rows of the summary table."""
    found = [
        Fact({"kind": m.group(1).lower(), "number": int(m.group(2)), "text": collapse_whitespace(m.group(3)),
              "deadline": _deadline(m.group(4))}, _quote(m.group(0)))
        for m in _MEASURE_LINE.finditer(text)
    ]
    header = _TABLE_HEADER.search(text)
    if header and not found:  # a report that lists its measures and also tables them counts them once
        for m in _TABLE_ROW.finditer(text, header.end()):
            kind = re.sub(r"\s", "", m.group(4)).lower()
            found.append(Fact({"kind": kind, "number": int(m.group(2)), "finding": f"{m.group(1)}{m.group(2)}",
                               "text": collapse_whitespace(m.group(3)), "deadline": _deadline(m.group(5))},
                              _quote(m.group(0))))
    return found


def amounts_eur(text: str) -> list[Fact]:
    """Sums of money stated in euros, with the sentence around them."""
    facts = []
    for match in _AMOUNT.finditer(text):
        whole = re.sub(r"[   .]", "", match.group(1))
        value = float(whole) + (float("0." + match.group(2)) if match.group(2) else 0.0)
        start = max(text.rfind(".", 0, match.start()) + 1, match.start() - 160)
        facts.append(Fact(value, _quote(text[start:match.end()])))
    return facts


SCALAR_RULES = {
    "finess": finess, "establishment_name": establishment_name, "inspection_date": inspection_date,
    "unannounced": unannounced, "trigger": trigger, "capacity": capacity, "residents_present": residents_present,
    "breaches": breaches, "remarks": remarks, "care_fte": care_fte, "medec_fte": medec_fte, "night_staff": night_staff,
}


def read_facts(text: str) -> tuple[dict[str, Fact], list[Fact], list[Fact]]:
    """Scalar facts found by rules, the measures, and the amounts in euros."""
    scalars = {name: fact for name, rule in SCALAR_RULES.items() if (fact := rule(text)) is not None}
    return scalars, measures(text), amounts_eur(text)
