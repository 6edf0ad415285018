"""Scores of the findings reader against gold labels (the ``gold.jsonl`` format of ``shared/corpus/dev``).

Pure functions over ``ReportReading``s and gold records, reused by ``dataval evaluate``, the
``evaluation`` product and ``bench/quality.py``.

- A found finding matches a gold one of the same kind by number when both are numbered, else by the
  overlap of their wording; precision and recall count matched pairs.
- Counts per kind are exact or not, per document (``breaches``, ``remarks``, each measure kind).
- Measures match by kind (their wording breaks ties); a matched measure's deadline is right when it
  reads as the gold one ("3 mois" = "3 mois", None = None).
"""

from __future__ import annotations

import re
import unicodedata

from dataval_pipeline.evaluation.score import Metric
from dataval_pipeline.findings.model import ReportReading

MEASURE_COUNT_FIELDS = {"injonction": "injunctions", "prescription": "prescriptions", "recommandation": "recommendations"}
TEXT_MATCH = 0.5


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]{3,}", _fold(text)))


def text_overlap(a: str, b: str) -> float:
    """Share of the shorter wording's words found in the other (placeholders and case ignored)."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


def gold_number(label: str | None) -> int | None:
    """The number in a gold label as written ("Écart n°3" -> 3, "E.1" -> 1), None when unnumbered."""
    if not label:
        return None
    numbers = re.findall(r"\d+", label)
    return int(numbers[-1]) if numbers else None


def match_findings(found: list, gold: list[dict]) -> list[tuple[int, int]]:
    """Pairs (index in found, index in gold): same kind, same number when both numbered, else wording overlap."""
    pairs: list[tuple[int, int]] = []
    used_found: set[int] = set()
    used_gold: set[int] = set()
    for gi, g in enumerate(gold):
        number = gold_number(g.get("id"))
        if number is None:
            continue
        for fi, f in enumerate(found):
            if fi not in used_found and f.kind == g["kind"] and f.number == number:
                pairs.append((fi, gi))
                used_found.add(fi)
                used_gold.add(gi)
                break
    candidates = sorted(
        ((text_overlap(f.text, g["text"]), fi, gi) for fi, f in enumerate(found) for gi, g in enumerate(gold)
         if fi not in used_found and gi not in used_gold and f.kind == g["kind"]
         and (f.number is None or gold_number(g.get("id")) is None)),
        reverse=True)
    for score, fi, gi in candidates:
        if score < TEXT_MATCH:
            break
        if fi in used_found or gi in used_gold:
            continue
        pairs.append((fi, gi))
        used_found.add(fi)
        used_gold.add(gi)
    return pairs


def match_measures(found: list, gold: list[dict]) -> list[tuple[int, int]]:
    """Pairs of measures of the same kind, the closest wordings first, then in order."""
    pairs: list[tuple[int, int]] = []
    used_found: set[int] = set()
    used_gold: set[int] = set()
    candidates = sorted(
        ((text_overlap(f.text, g.get("text") or ""), -abs(fi - gi), fi, gi) for fi, f in enumerate(found)
         for gi, g in enumerate(gold) if f.kind == g["kind"]),
        reverse=True)
    for _, _, fi, gi in candidates:
        if fi in used_found or gi in used_gold:
            continue
        pairs.append((fi, gi))
        used_found.add(fi)
        used_gold.add(gi)
    return pairs


def normalise_deadline(text: str | None) -> str | None:
    if text is None:
        return None
    folded = re.sub(r"[^a-z0-9/]+", " ", _fold(text)).strip()
    return folded or None


def score_findings(readings: dict[str, ReportReading], gold: dict[str, dict]) -> list[Metric]:
    """Findings precision / recall, exact counts per kind per document, measures by kind, deadlines."""
    true_pos = found_total = gold_total = 0
    grades_right = refs_right = 0
    labelled_docs = 0
    counts = {"breaches": 0, "remarks": 0, "finding_counts": 0, "measure_counts": 0}
    measure_counts = {field: 0 for field in MEASURE_COUNT_FIELDS.values()}
    scored = 0
    measures_matched = measures_found = measures_gold = 0
    deadlines_right = 0
    for report_id, record in gold.items():
        reading = readings.get(report_id)
        if reading is None:
            continue
        scored += 1
        facts = record.get("facts") or {}
        gold_findings = record.get("findings")
        if gold_findings is not None:
            labelled_docs += 1
            pairs = match_findings(reading.findings, gold_findings)
            true_pos += len(pairs)
            for fi, gi in pairs:
                grades_right += reading.findings[fi].grade == gold_findings[gi].get("grade")
                refs_right += sorted(reading.findings[fi].legal_refs) == sorted(gold_findings[gi].get("legal_refs") or [])
            found_total += len(reading.findings)
            gold_total += len(gold_findings)
        found_breaches = sum(f.kind == "breach" for f in reading.findings)
        found_remarks = sum(f.kind == "remark" for f in reading.findings)
        ok_b = found_breaches == facts.get("breaches")
        ok_r = found_remarks == facts.get("remarks")
        counts["breaches"] += ok_b
        counts["remarks"] += ok_r
        counts["finding_counts"] += ok_b and ok_r
        all_ok = True
        for kind, field in MEASURE_COUNT_FIELDS.items():
            ok = sum(m.kind == kind for m in reading.measures) == facts.get(field)
            measure_counts[field] += ok
            all_ok = all_ok and ok
        counts["measure_counts"] += all_ok
        gold_measures = facts.get("measures") or []
        pairs = match_measures(reading.measures, gold_measures)
        measures_matched += len(pairs)
        measures_found += len(reading.measures)
        measures_gold += len(gold_measures)
        deadlines_right += sum(
            normalise_deadline(reading.measures[fi].deadline_text) == normalise_deadline(gold_measures[gi].get("deadline"))
            for fi, gi in pairs)
    metrics = []
    if labelled_docs:
        metrics += [Metric("findings", "finding_precision", true_pos, found_total),
                    Metric("findings", "finding_recall", true_pos, gold_total),
                    Metric("findings", "grade_exact_of_matched", grades_right, true_pos),
                    Metric("findings", "legal_refs_exact_of_matched", refs_right, true_pos)]
    metrics += [
        Metric("findings", "breach_count_exact", counts["breaches"], scored),
        Metric("findings", "remark_count_exact", counts["remarks"], scored),
        Metric("findings", "finding_counts_per_kind_exact", counts["finding_counts"], scored),
        *(Metric("measures", f"{field}_count_exact", n, scored) for field, n in measure_counts.items()),
        Metric("measures", "measure_counts_per_kind_exact", counts["measure_counts"], scored),
        Metric("measures", "measure_precision_by_kind", measures_matched, measures_found),
        Metric("measures", "measure_recall_by_kind", measures_matched, measures_gold),
        Metric("measures", "deadline_accuracy", deadlines_right, measures_gold),
    ]
    return metrics
