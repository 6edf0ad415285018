"""Scores of ``extracted_facts`` rows against gold ``facts``: exact match per field.

Pure: rows are plain dicts (as ``FactsRow.row`` or as read back from the warehouse), gold is the
``facts`` object of a ``gold.jsonl`` record (format of ``shared/corpus/dev/README.md``). A null where gold
has a value is a miss, and so is a value where gold is null. Dates compare as ISO strings, floats to
two decimals.
"""

from __future__ import annotations

import datetime as dt
import json

from dataval_pipeline.evaluation.score import Metric
from dataval_pipeline.facts.rules import COUNT_FACTS, READ_FACTS

PRODUCT = "extracted_facts"
SCORED_FIELDS = (*READ_FACTS, *COUNT_FACTS)


def comparable(field: str, value: object) -> object:
    """The form a fact is compared in (ISO date, float to 2 decimals, measures as sorted kind/deadline)."""
    if field == "measures":
        items = json.loads(value) if isinstance(value, str) else value or []
        return sorted((m["kind"], m.get("deadline") or "") for m in items)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if field in ("care_fte", "medec_fte") or isinstance(value, float):
        return round(float(value), 2)
    if isinstance(value, bool) or field == "unannounced":
        return bool(value)
    return value


def field_matches(rows: dict[str, dict], gold: dict[str, dict], fields=SCORED_FIELDS) -> dict[str, dict[str, bool]]:
    """``{report_id: {field: exact}}`` for the reports present in both."""
    return {report_id: {f: comparable(f, row.get(f)) == comparable(f, gold[report_id].get(f)) for f in fields}
            for report_id, row in rows.items() if report_id in gold}


def score_facts(rows: dict[str, dict], gold: dict[str, dict], fields=SCORED_FIELDS,
                texts: dict[str, str] | None = None) -> list[Metric]:
    """One ``exact_match_<field>`` metric per field, then ``exact_match_all_facts`` over every (report, field);
    with ``texts`` (anonymised text per report), ``grounded_quote_rate``: evidence quotes found in the text."""
    matches = field_matches(rows, gold, fields)
    metrics = [Metric(PRODUCT, f"exact_match_{f}", sum(m[f] for m in matches.values()), len(matches)) for f in fields]
    metrics.append(Metric(PRODUCT, "exact_match_all_facts", sum(sum(m.values()) for m in matches.values()),
                          len(matches) * len(fields)))
    if texts is not None:
        quotes = [(item["quote"], texts.get(report_id, "")) for report_id, row in rows.items()
                  for item in _items(row.get("evidence"))]
        metrics.append(Metric(PRODUCT, "grounded_quote_rate", sum(_grounded(q, t) for q, t in quotes), len(quotes)))
    return metrics


def _items(value: object) -> list[dict]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _grounded(quote: str, text: str) -> bool:
    quote = " ".join(quote.split())
    return len(quote) >= 8 and quote in " ".join(text.split())


def misses(rows: dict[str, dict], gold: dict[str, dict], fields=SCORED_FIELDS) -> list[dict]:
    """What a reader of a failure needs: report, field, value read, gold value."""
    return [{"report_id": report_id, "field": f, "got": comparable(f, rows[report_id].get(f)),
             "want": comparable(f, gold[report_id].get(f))}
            for report_id, by_field in field_matches(rows, gold, fields).items() for f, ok in by_field.items() if not ok]
