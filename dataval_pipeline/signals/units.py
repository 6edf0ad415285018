"""The text units signals are read from: sentences of the anonymised text, tied to the finding or measure
they sit in.

PDF text wraps lines anywhere, so a unit ends at a sentence end (". " before a capital), at a blank line,
or before a line that opens a finding, a measure or a bullet; never at a plain line break. A unit inside a
finding's span belongs to that finding; inside a measure's span, to that measure; elsewhere it is report
text (context, conclusion, referral paragraph, table cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dataval_pipeline.findings.model import ReportReading

MAX_UNIT_CHARS = 900  # longer runs (tables read cell by cell) are cut at line breaks
ABBREVIATIONS = ("art", "n", "no", "m", "mme", "mmes", "mm", "dr", "pr", "cf", "p", "ex", "st", "ste", "vol")

_SENTENCE_END = re.compile(r"[.!?…](?=\s+[«\"(\[A-ZÀÂÉÈÊÎÔÙÇ0-9–-])|[.!?…]$", re.MULTILINE)
# A line that opens a new unit: a finding or measure label (also a table row "E1 Les charges…"), a bullet,
# a numbered paragraph "[12]".
_OPENER = re.compile(
    r"\n(?=[ \t]*(?:[-–•▪*]\s|\[\d+\]|(?:[ÉE]cart|Remarque|Constat|Observation|Injonction|Prescription|"
    r"Recommandation|Mesure)s?\b|[EIPR]\s?\.?\d+\s*[:–-]|(?-i:[EIPR]) ?\.?\d+\s+(?-i:[A-ZÀÂÉÈÊÎÔÙÇ])))", re.IGNORECASE)
_BLANK = re.compile(r"\n[ \t]*\n|\f")
# A line that ends a clause (":", ")", "»") followed by a line opening with a capital: a table cell or a new
# paragraph, not a wrapped line.
_CLAUSE_LINE = re.compile(r"(?<=[:;)»])[ \t]*\n(?=[ \t]*[A-ZÀÂÉÈÊÎÔÙÇ])")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    text: str
    finding_id: str | None = None
    measure_id: str | None = None

    @property
    def context(self) -> str:
        return "finding" if self.finding_id else "measure" if self.measure_id else "text"


def _cut_points(text: str) -> list[int]:
    cuts = {0, len(text)}
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        word = re.search(r"(\w+)\.$", text[max(0, end - 8):end])
        # "art. 40", "M. X", and the single letters of legal references written "R. 314-162", "L. 313-1".
        if word and (word.group(1).lower() in ABBREVIATIONS or len(word.group(1)) == 1):
            continue
        cuts.add(end)
    cuts.update(m.start() for m in _OPENER.finditer(text))
    cuts.update(m.start() for m in _BLANK.finditer(text))
    cuts.update(m.start() for m in _CLAUSE_LINE.finditer(text))
    return sorted(cuts)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` as stripped pieces of at most MAX_UNIT_CHARS, cut at line breaks."""
    pieces = []
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        stop = end
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        if stop <= start:
            break
        if stop - start <= MAX_UNIT_CHARS:
            pieces.append((start, stop))
            break
        cut = text.rfind("\n", start + MAX_UNIT_CHARS // 3, start + MAX_UNIT_CHARS)
        cut = cut if cut > start else start + MAX_UNIT_CHARS
        pieces.append((start, cut))
        start = cut
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def sentences(text: str) -> list[tuple[int, int]]:
    cuts = _cut_points(text)
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        spans.extend(_pieces(text, a, b))
    return spans


def units(text: str, reading: ReportReading | None = None) -> list[Unit]:
    """Every sentence of ``text``, cut again at the bounds of findings and measures so that a unit never
    straddles two of them, each tagged with the finding or measure it lies in."""
    reading = reading or ReportReading()
    spans = [(f.start, f.end, f.finding_id, None) for f in reading.findings if 0 <= f.start < f.end <= len(text)]
    spans += [(m.start, m.end, None, m.measure_id) for m in reading.measures if 0 <= m.start < m.end <= len(text)]
    bounds = sorted({b for s in spans for b in s[:2]})
    result = []
    for a, b in sentences(text):
        inner = [a] + [x for x in bounds if a < x < b] + [b]
        for x, y in zip(inner, inner[1:]):
            for p, q in _pieces(text, x, y):
                owner = next((s for s in spans if s[0] <= p and q <= s[1] and s[2]), None) or \
                    next((s for s in spans if s[0] <= p and q <= s[1]), None)
                result.append(Unit(p, q, text[p:q], owner[2] if owner else None, owner[3] if owner else None))
    return result
