"""Score the anonymiser against gold labels: leaks (recall), false alarms (precision), kept facts.

Rules (stated so the numbers can be argued with):
- a person leaks if any name word of 3+ letters of the gold surface is still a word of the output;
- a phone, NIR, RPPS or IBAN leaks if its digits are still in the output (separators ignored);
- an email, a date of birth, or the street part of an address leaks if it is still in the output;
- must-keep surfaces (establishment name, address, FINESS, dates) are removed from the output before the
  leak check: a resident named Jean does not "leak" through "rue Jean Jaurès" in the establishment's address;
- a detection is a true positive when its text overlaps a gold personal-data surface of the same report.
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

    def add(self, other: "Score") -> None:
        self.gold += other.gold
        self.leaked += other.leaked
        self.detections += other.detections
        self.true_detections += other.true_detections
        self.keep_total += other.keep_total
        self.keep_found += other.keep_found
        self.leaks += other.leaks

    def recall(self, kind: str) -> float | None:
        return None if not self.gold[kind] else 1 - self.leaked[kind] / self.gold[kind]

    @property
    def precision(self) -> float | None:
        return None if not self.detections else self.true_detections / self.detections

    @property
    def keep_rate(self) -> float | None:
        return None if not self.keep_total else self.keep_found / self.keep_total


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


def _is_true_detection(detected: str, gold_surfaces: list[str]) -> bool:
    detected = fold(collapse_whitespace(detected))
    for surface in gold_surfaces:
        folded = fold(collapse_whitespace(surface))
        if detected in folded or folded in detected:
            return True
        if set(detected.split()) & set(folded.split()) - {"mme", "m.", "dr"}:
            return True
    return False


def score_report(report_id: str, original: str, result: AnonymisedText, detections: list[Detection], gold: dict) -> Score:
    score = Score()
    output = collapse_whitespace(result.text)
    for surface in gold.get("keep", []):
        score.keep_total += 1
        if collapse_whitespace(surface) in output:
            score.keep_found += 1
            output = output.replace(collapse_whitespace(surface), " ")
    output_compact = _compact(output)
    for item in gold.get("pii", []):
        kind, surface = item["kind"], item["surface"]
        score.gold[kind] += 1
        if is_leaked(kind, surface, output, output_compact):
            score.leaked[kind] += 1
            score.leaks.append((report_id, kind))
    surfaces = [item["surface"] for item in gold.get("pii", [])]
    score.detections = len(detections)
    score.true_detections = sum(_is_true_detection(original[d.start:d.end], surfaces) for d in detections)
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
              f"({score.keep_found}/{score.keep_total})"]
    return "\n".join(lines)
