"""Scores of the products against gold labels: what a reviewer needs to trust (or not) the pipeline.

Pure functions over plain rows, so the ``evaluation`` product (rows read from the warehouse),
``dataval evaluate`` and ``bench/quality.py`` (rows of ``dataval_pipeline.analyse``, in-process) score the
same way. ``score_products`` is the one entry point; the scoring of each part lives beside it:
``evaluation/findings.py`` (findings, counts, measures, deadlines), ``evaluation/themes.py`` (finding and
report themes), ``evaluation/facts.py`` and ``evaluation/signals.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dataval_pipeline.fraud.evaluate import Evaluation
from dataval_pipeline.llm.analysis import is_grounded


@dataclass(frozen=True)
class Metric:
    product: str
    metric: str
    matched: int
    total: int
    gold_label: str | None = None  # a confusion cell: the gold label and the one found
    found_label: str | None = None

    @property
    def value(self) -> float | None:
        return self.matched / self.total if self.total else None


def _listed(value: object) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def score_classifications(rows: list[dict], quarantined: int, gold: dict[str, dict], texts: dict[str, str]) -> list[Metric]:
    """Theme micro-F1 (as precision and recall counts), primary-theme accuracy, grounding and schema-valid rates."""
    true_pos = predicted = expected = primary = scored = 0
    quotes = grounded = dropped = 0
    for row in rows:
        evidence = _listed(row["evidence"])
        quotes += len(evidence) + row["dropped_quotes"]
        dropped += row["dropped_quotes"]
        grounded += sum(is_grounded(e["quote"], texts.get(row["report_id"], "")) for e in evidence)
        record = gold.get(row["report_id"])
        if record is None:
            continue
        scored += 1
        got, want = set(row["themes"]), set(record["themes"])
        true_pos += len(got & want)
        predicted += len(got)
        expected += len(want)
        primary += row["primary_theme"] == record["primary_theme"]
    return [
        Metric("report_classifications", "theme_precision", true_pos, predicted),
        Metric("report_classifications", "theme_recall", true_pos, expected),
        Metric("report_classifications", "theme_micro_f1", 2 * true_pos, predicted + expected),
        Metric("report_classifications", "primary_theme_accuracy", primary, scored),
        Metric("report_classifications", "grounded_quote_rate", grounded, quotes),
        Metric("report_classifications", "schema_valid_rate", len(rows), len(rows) + quarantined),
    ]


def score_fact_rows(rows: list[dict], gold: dict[str, dict], texts: dict[str, str]) -> list[Metric]:
    """Exact match per fact and the share of evidence quotes found in the text (``evaluation/facts.py``)."""
    from dataval_pipeline.evaluation.facts import score_facts

    by_report = {row["report_id"]: row for row in rows if row["report_id"] in texts}
    labelled = {rid: record["facts"] for rid, record in gold.items() if record.get("facts") and rid in texts}
    return score_facts(by_report, labelled, texts=texts)


def score_fraud(ranked: Evaluation) -> list[Metric]:
    """Precision at k (k = planted establishments), planted ones ranked within k + 2, top reason naming them."""
    within = sum(r.rank is not None and r.rank <= ranked.k + 2 for r in ranked.ranks)
    return [
        Metric("fraud_features", "precision_at_k", ranked.hits, ranked.k),
        Metric("fraud_features", "planted_in_top_k_plus_2", within, ranked.k),
        Metric("fraud_features", "top_reason_names_planted", sum(r.explained for r in ranked.ranks), ranked.k),
    ]


CONFUSION = "main_theme_confusion"


def confusion_metrics(scores) -> list[Metric]:
    """One cell per (gold main theme, found main theme) over matched findings, the diagonal included:
    ``matched`` findings of that gold theme got that found theme, out of ``total`` matched findings of the
    gold theme (so ``value`` is the row's share)."""
    from dataval_pipeline.evaluation.themes import NO_THEME

    per_gold: dict[str, int] = {}
    for (gold, _), n in scores.confusion.items():
        per_gold[gold] = per_gold.get(gold, 0) + n
    return [Metric("findings", f"{CONFUSION}.{gold}.{found or NO_THEME}", n, per_gold[gold], gold, found or NO_THEME)
            for (gold, found), n in sorted(scores.confusion.items(), key=lambda item: (item[0][0], item[0][1] or ""))]


def confusion_matrix(metrics: list[Metric]) -> tuple[tuple[list[str], list[str]], dict[tuple[str, str], int]]:
    """((gold labels, found labels), {(gold, found): findings}) of the confusion cells among ``metrics``."""
    cells = {(m.gold_label, m.found_label): m.matched for m in metrics if m.gold_label is not None}
    if not cells:
        return ([], []), {}
    return (sorted({g for g, _ in cells}), sorted({f for _, f in cells})), cells


def theme_metrics(scores) -> list[Metric]:
    """``evaluation.themes.ThemeScores`` as metrics: the main theme of each gold finding and its confusion,
    report themes."""
    return [
        *confusion_metrics(scores),
        Metric("findings", "finding_main_theme_accuracy", scores.findings_right, scores.findings_gold),
        Metric("report_classifications", "theme_precision", scores.true_pos, scores.predicted),
        Metric("report_classifications", "theme_recall", scores.true_pos, scores.expected),
        Metric("report_classifications", "theme_micro_f1", 2 * scores.true_pos, scores.predicted + scores.expected),
        Metric("report_classifications", "primary_theme_accuracy", scores.primary_right, scores.reports),
    ]


def score_products(gold: dict[str, dict], texts: dict[str, str], *, findings: list[dict], measures: list[dict],
                   facts: list[dict], classifications: list[dict], signals: list[dict] | None = None,
                   quarantined: int = 0) -> list[Metric]:
    """Every metric of the per-report products, from their rows (``texts``: the anonymised text of each
    report that reached the reader; a labelled report missing from it counts as wholly missed)."""
    from dataval_pipeline.evaluation.findings import score_findings
    from dataval_pipeline.evaluation.themes import score_themes
    from dataval_pipeline.findings.rows import readings_from_rows

    readings = readings_from_rows(list(texts), findings, measures)
    labelled = {rid: record for rid, record in gold.items() if rid in texts}
    metrics = score_findings(readings, labelled)
    by_report = {rid: {"findings": readings[rid].findings, "classification": None} for rid in texts}
    for row in classifications:
        if row["report_id"] in by_report:
            by_report[row["report_id"]]["classification"] = row
    metrics += theme_metrics(score_themes(by_report, labelled.values()))
    metrics += [m for m in score_classifications(classifications, quarantined, gold, texts)
                if m.metric in ("grounded_quote_rate", "schema_valid_rate")]
    metrics += score_fact_rows(facts, gold, texts)
    if signals is not None:
        from dataval_pipeline.evaluation.signals import signal_metrics

        metrics += signal_metrics(signals, gold, texts)
    return metrics


def score_analyses(analyses: dict, gold: dict[str, dict]) -> list[Metric]:
    """``score_products`` over in-process results (``dataval_pipeline.analyse.DocumentAnalysis``)."""
    rows = {"findings": [], "measures": [], "facts": [], "classifications": [], "signals": []}
    for rid, analysis in analyses.items():
        rows["findings"] += analysis.findings
        rows["measures"] += analysis.measures
        rows["signals"] += analysis.signals
        rows["facts"].append({"report_id": rid, **analysis.facts})
        if analysis.classification is not None:
            rows["classifications"].append(analysis.classification)
    texts = {rid: analysis.text for rid, analysis in analyses.items()}
    quarantined = sum(q["product"] == "report_classifications" for a in analyses.values() for q in a.quarantine)
    return score_products(gold, texts, quarantined=quarantined, **rows)


def personal_data_metrics(analyses: dict, gold: dict[str, dict]) -> list[Metric]:
    """Leaks per kind (recall), precision of detections and kept facts of the anonymiser
    (``anonymise/evaluate.py``), over in-process results that kept their original text in memory."""
    from types import SimpleNamespace

    from dataval_pipeline.anonymise.engine import KINDS
    from dataval_pipeline.anonymise.evaluate import Score, score_report

    total = Score()
    for rid, analysis in analyses.items():
        if rid in gold and gold[rid].get("pii") is not None:
            total.add(score_report(rid, analysis.original, SimpleNamespace(text=analysis.text), analysis.detections,
                                   gold[rid]))
    metrics = [Metric("anonymised_corpus", f"recall_{kind}", total.gold[kind] - total.leaked[kind], total.gold[kind])
               for kind in KINDS if total.gold[kind]]
    metrics += [
        Metric("anonymised_corpus", "recall_all", sum(total.gold.values()) - sum(total.leaked.values()),
               sum(total.gold.values())),
        Metric("anonymised_corpus", "precision", total.true_detections, total.detections),
        Metric("anonymised_corpus", "kept_facts", total.keep_found, total.keep_total),
    ]
    return metrics
