"""Scores of the LLM-stage products against gold labels: what a reviewer needs to trust (or not) a model.

Pure functions over plain rows, so a new model or prompt can be scored the same way outside Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from dataval_pipeline.facts.rules import SCALAR_RULES
from dataval_pipeline.fraud.evaluate import Evaluation
from dataval_pipeline.llm.analysis import is_grounded

FACT_FIELDS = [*SCALAR_RULES, "injunctions", "prescriptions", "recommendations", "measures"]


@dataclass(frozen=True)
class Metric:
    product: str
    metric: str
    matched: int
    total: int

    @property
    def value(self) -> float | None:
        return self.matched / self.total if self.total else None


def _comparable(field: str, value: object) -> object:
    if field == "measures":
        items = json.loads(value) if isinstance(value, str) else value or []
        return sorted((m["kind"], m.get("deadline") or "") for m in items)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


def score_classifications(rows: list[dict], quarantined: int, gold: dict[str, dict], texts: dict[str, str]) -> list[Metric]:
    """Theme micro-F1 (as precision and recall counts), primary-theme accuracy, grounding and schema-valid rates."""
    true_pos = predicted = expected = primary = scored = 0
    quotes = grounded = dropped = 0
    for row in rows:
        evidence = json.loads(row["evidence"])
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


def score_facts(rows: list[dict], gold: dict[str, dict], texts: dict[str, str]) -> list[Metric]:
    """Exact match per fact (null counts as a miss), and the share of evidence quotes found in the text."""
    matched: Counter[str] = Counter()
    scored = 0
    quotes = grounded = 0
    for row in rows:
        text = texts.get(row["report_id"], "")
        items = json.loads(row["evidence"]) + json.loads(row["measures"])
        quotes += len(items)
        grounded += sum(is_grounded(item["quote"], text) for item in items)
        record = gold.get(row["report_id"])
        if record is None:
            continue
        scored += 1
        for field in FACT_FIELDS:
            matched[field] += _comparable(field, row[field]) == _comparable(field, record["facts"].get(field))
    metrics = [Metric("extracted_facts", f"exact_match_{field}", matched[field], scored) for field in FACT_FIELDS]
    metrics.append(Metric("extracted_facts", "exact_match_all_facts", sum(matched.values()), scored * len(FACT_FIELDS)))
    metrics.append(Metric("extracted_facts", "grounded_quote_rate", grounded, quotes))
    return metrics


def score_fraud(ranked: Evaluation) -> list[Metric]:
    """Precision at k (k = planted establishments), planted ones ranked within k + 2, top reason naming them."""
    within = sum(r.rank is not None and r.rank <= ranked.k + 2 for r in ranked.ranks)
    return [
        Metric("fraud_features", "precision_at_k", ranked.hits, ranked.k),
        Metric("fraud_features", "planted_in_top_k_plus_2", within, ranked.k),
        Metric("fraud_features", "top_reason_names_planted", sum(r.explained for r in ranked.ranks), ranked.k),
    ]
