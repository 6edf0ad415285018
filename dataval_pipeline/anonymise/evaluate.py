"""Score the anonymiser against gold labels: leaks (recall), false alarms (precision), kept facts.

Rules (stated so the numbers can be argued with):
- a person leaks if any name word of 3+ letters of the gold surface is still a word of the output;
- a phone, NIR, RPPS or IBAN leaks if its digits are still in the output (separators ignored);
- an email, a date of birth, or the street part of an address leaks if it is still in the output;
- a must-keep string (establishment name, address, FINESS, dates, drugs, eponyms) is kept when it is still in
  the output, spaces ignored (a PDF table cell may wrap a date inside its digits); all of them are checked first, then removed from the output before the leak check: a resident
  named Jean does not "leak" through "rue Jean Jaurès" in the establishment's address;
- a detection is a true positive when it matches a gold surface of its report (one contains the other, or,
  for a name, every word of the detection is a word of the report's gold surfaces) and covers no must-keep
  string; anything else (an ordinary word, a heading, a drug, a street) is a false positive;
- structure: the output has as many lines as the input, and each line as many cell separators (| and tabs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from dataval_pipeline.anonymise.engine import KINDS, AnonymisedText, Detection, fold
from dataval_pipeline.anonymise.lexicon import TITLES
from dataval_pipeline.ingest.normalise import collapse_whitespace

DIGIT_KINDS = ("TELEPHONE", "NIR", "RPPS", "IBAN")


@dataclass
class Score:
    gold: Counter = field(default_factory=Counter)
    leaked: Counter = field(default_factory=Counter)
    detections: int = 0
    true_detections: int = 0
    keep_total: int = 0
    keep_found: int = 0
    leaks: list[tuple[str, str]] = field(default_factory=list)  # (report_id, kind): never the surface
    reports: int = 0
    structure_ok: int = 0  # reports whose lines and cells all survived
    lines_in: int = 0
    lines_out: int = 0
    false_by_kind: Counter = field(default_factory=Counter)

    def add(self, other: "Score") -> None:
        self.gold += other.gold
        self.leaked += other.leaked
        self.detections += other.detections
        self.true_detections += other.true_detections
        self.keep_total += other.keep_total
        self.keep_found += other.keep_found
        self.leaks += other.leaks
        self.reports += other.reports
        self.structure_ok += other.structure_ok
        self.lines_in += other.lines_in
        self.lines_out += other.lines_out
        self.false_by_kind += other.false_by_kind

    def recall(self, kind: str) -> float | None:
        return None if not self.gold[kind] else 1 - self.leaked[kind] / self.gold[kind]

    @property
    def precision(self) -> float | None:
        return None if not self.detections else self.true_detections / self.detections

    @property
    def keep_rate(self) -> float | None:
        return None if not self.keep_total else self.keep_found / self.keep_total

    @property
    def structure_rate(self) -> float | None:
        return None if not self.reports else self.structure_ok / self.reports


def _compact(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def _name_parts(surface: str) -> list[str]:
    words = [w for w in surface.split() if w not in TITLES]
    return [w for w in words if sum(c.isalpha() for c in w) >= 3]


def is_leaked(kind: str, surface: str, output: str, output_compact: str) -> bool:
    if kind == "PERSONNE":
        folded = fold(output)
        return any(re.search(rf"(?<![\w-]){re.escape(fold(part))}(?![\w-])", folded) for part in _name_parts(surface))
    if kind in DIGIT_KINDS:
        digits = _compact(surface)
        return (digits[-9:] if kind == "TELEPHONE" else digits) in output_compact
    if kind == "ADRESSE":
        street = collapse_whitespace(surface.split(",")[0]).casefold()
        return street in output.casefold()
    return collapse_whitespace(surface).casefold() in output.casefold()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+", fold(text)) if len(w) >= 2}


_TITLE_WORDS = {fold(t).strip(".") for t in TITLES}


def _is_true_detection(kind: str, detected: str, gold_surfaces: list[str], gold_words: set[str]) -> bool:
    if kind in DIGIT_KINDS:
        digits = _compact(detected)
        return bool(digits) and any(digits in _compact(s) or _compact(s) in digits for s in gold_surfaces)
    folded = fold(collapse_whitespace(detected))
    for surface in gold_surfaces:
        gold = fold(collapse_whitespace(surface))
        if folded and (folded in gold or gold in folded):
            return True
    if kind == "PERSONNE":
        words = _words(detected) - _TITLE_WORDS
        return bool(words) and words <= gold_words
    return False


def structure_preserved(original: str, anonymised: str) -> bool:
    """As many lines, and on each line as many cell separators, after anonymisation as before."""
    before, after = re.split(r"[\n\f]", original), re.split(r"[\n\f]", anonymised)
    return len(before) == len(after) and all(
        a.count("|") + a.count("\t") == b.count("|") + b.count("\t") for a, b in zip(before, after))


def score_report(report_id: str, original: str, result: AnonymisedText, detections: list[Detection], gold: dict) -> Score:
    score = Score(reports=1)
    score.lines_in = len(re.split(r"[\n\f]", original))
    score.lines_out = len(re.split(r"[\n\f]", result.text))
    score.structure_ok = int(structure_preserved(original, result.text))
    output = collapse_whitespace(result.text)
    keeps = [collapse_whitespace(surface) for surface in gold.get("keep", [])]
    score.keep_total = len(keeps)
    # spaces ignored: a PDF cell that wraps a date inside its digits ("03/06/20⏎25") still reads as it did
    unspaced = re.sub(r"\s+", "", result.text)
    score.keep_found = sum(re.sub(r"\s+", "", keep) in unspaced for keep in keeps)
    for keep in sorted(set(keeps), key=len, reverse=True):
        output = output.replace(keep, " ")
    output_compact = _compact(output)
    for item in gold.get("pii", []):
        kind, surface = item["kind"], item["surface"]
        score.gold[kind] += 1
        if is_leaked(kind, surface, output, output_compact):
            score.leaked[kind] += 1
            score.leaks.append((report_id, kind))
    surfaces = [item["surface"] for item in gold.get("pii", [])]
    gold_words = set().union(*(_words(s) for s in surfaces)) if surfaces else set()
    keep_spans = [m.span() for keep in set(gold.get("keep", [])) if keep.strip()
                  for m in re.finditer(r"\s+".join(re.escape(w) for w in keep.split()), original)]
    score.detections = len(detections)
    for d in detections:
        covers_keep = any(a < d.end and d.start < b for a, b in keep_spans)
        if not covers_keep and _is_true_detection(d.kind, original[d.start:d.end], surfaces, gold_words):
            score.true_detections += 1
        else:
            score.false_by_kind[d.kind] += 1
    return score


def markdown(score: Score, reports: int) -> str:
    lines = [f"Scored on {reports} report(s) with gold labels.", "", "| kind | gold items | leaked | recall |",
             "|---|---|---|---|"]
    for kind in KINDS:
        recall = score.recall(kind)
        if recall is not None:
            lines.append(f"| {kind} | {score.gold[kind]} | {score.leaked[kind]} | {recall:.4f} |")
    precision = score.precision
    keep = score.keep_rate
    lines += ["", f"- precision (detections that are personal data): "
                  f"{'n/a' if precision is None else f'{precision:.4f}'} ({score.true_detections}/{score.detections})",
              f"- must-keep facts still readable: {'n/a' if keep is None else f'{keep:.4f}'} "
              f"({score.keep_found}/{score.keep_total})",
              f"- structure (lines and cells preserved): {score.structure_ok}/{score.reports} report(s), "
              f"{score.lines_out}/{score.lines_in} lines"]
    return "\n".join(lines)
