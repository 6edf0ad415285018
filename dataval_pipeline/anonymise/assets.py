"""Dagster glue of the anonymisation stage: ``anonymised_corpus`` and ``anonymisation_quality``."""

import datetime as dt
import json
from collections import Counter

import dagster as dg

from dataval_pipeline.anonymise.engine import ANONYMISER_VERSION, KINDS, AnonymisedText
from dataval_pipeline.anonymise.evaluate import Score, markdown, score_report
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.gold import labelled_reports
from dataval_pipeline.identifiers import finess_numbers
from dataval_pipeline.ingest.assets import RAW_REPORTS, raw_reports
from dataval_pipeline.metadata import downstream_report_metadata, markdown_table, product_asset
from dataval_pipeline.resources import AnonymiserResource, WarehouseResource
from dataval_pipeline.warehouse.store import UNPARTITIONED

ANONYMISED_CORPUS = load_contract("anonymised_corpus")
ANONYMISATION_QUALITY = load_contract("anonymisation_quality")


def anonymised_row(report_id: str, text: str, anonymiser) -> dict:
    result = anonymiser.anonymise(text)
    return {
        "report_id": report_id,
        "text": result.text,
        "entity_counts": json.dumps(result.entity_counts, sort_keys=True),
        "entity_total": len(result.entities),
        "char_count": len(result.text),
        "anonymiser_version": ANONYMISER_VERSION,
        "anonymised_at": dt.datetime.now(dt.timezone.utc),
    }


@product_asset(ANONYMISED_CORPUS, group="anonymise", kinds={"presidio", "parquet", "duckdb"},
               code_version=f"anonymiser-{ANONYMISER_VERSION}", deps=[raw_reports])
def anonymised_corpus(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, anonymiser: AnonymiserResource
) -> dg.MaterializeResult:
    """Report text with personal data replaced by numbered placeholders: the only text the LLM may read."""
    engine = anonymiser.get()
    written, skipped = 0, 0
    entities: Counter[str] = Counter()
    rows_by_report, finess = {}, {}
    for report_id in context.partition_keys:
        raw = warehouse.read(RAW_REPORTS, [report_id], restricted=True).to_pylist()
        if not raw or raw[0]["status"] != "ok":
            warehouse.delete_partition(ANONYMISED_CORPUS, report_id)  # a report now rejected leaves no stale row
            skipped += 1
            continue
        row = anonymised_row(report_id, raw[0]["text"], engine)
        warehouse.write_partition(ANONYMISED_CORPUS, report_id, [row])
        rows_by_report[report_id] = 1
        numbers = finess_numbers(row["text"])  # establishments' ids, not personal data: findable in the UI
        if numbers:
            finess[report_id] = ", ".join(numbers[:3])
        entities.update(json.loads(row["entity_counts"]))
        written += 1
    warehouse.publish_views(ANONYMISED_CORPUS)
    downstream_report_metadata(context, warehouse, rows_by_report, finess=finess)
    return dg.MaterializeResult(
        metadata={
            "reports_anonymised": dg.MetadataValue.int(written),
            "reports_skipped_rejected": dg.MetadataValue.int(skipped),
            "anonymiser_version": dg.MetadataValue.text(ANONYMISER_VERSION),
            "entities": dg.MetadataValue.md(
                markdown_table(["kind", "distinct entities"], [(k, entities[k]) for k in KINDS if entities[k]])
                if entities else "No personal data found."
            ),
        }
    )


@product_asset(ANONYMISATION_QUALITY, group="anonymise", kinds={"presidio", "parquet"},
               code_version=f"anonymiser-{ANONYMISER_VERSION}-product-1", per_report=False,
               deps=[anonymised_corpus, raw_reports])
def anonymisation_quality(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Recall (personal data left in anonymised_corpus) and kept facts of the published corpus, scored against
    gold.jsonl when one exists. It reads the product itself, not a second run of the anonymiser; precision
    needs the detected spans, which never leave the anonymiser's memory (bench/anonymisation.py measures it)."""
    paths = warehouse.paths
    total, reports = Score(), 0
    gold = labelled_reports(paths.gold, "pii") if paths.gold.exists() else {}
    published = {row["report_id"]: row["text"] for row in warehouse.read(ANONYMISED_CORPUS).to_pylist()
                 if row["report_id"] in gold}
    keys = warehouse.existing_partitions(RAW_REPORTS, sorted(published))
    originals = {row["report_id"]: row["text"] or "" for row in
                 (warehouse.read(RAW_REPORTS, keys, restricted=True).to_pylist() if keys else [])}
    for report_id, text in published.items():  # the original only to compare lines and find must-keep spans
        total.add(score_report(report_id, originals.get(report_id, ""), AnonymisedText(text=text, entities=()),
                               [], gold[report_id]))
        reports += 1
    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        {"metric_scope": kind, "gold_items": total.gold[kind], "leaked": total.leaked[kind],
         "recall": total.recall(kind), "precision": None, "keep_rate": None, "reports": reports,
         "anonymiser_version": ANONYMISER_VERSION, "evaluated_at": now}
        for kind in KINDS if total.gold[kind]
    ]
    rows.append({"metric_scope": "ALL", "gold_items": sum(total.gold.values()), "leaked": sum(total.leaked.values()),
                 "recall": None if not total.gold else 1 - sum(total.leaked.values()) / sum(total.gold.values()),
                 "precision": None, "keep_rate": total.keep_rate, "reports": reports,
                 "anonymiser_version": ANONYMISER_VERSION, "evaluated_at": now})
    warehouse.write_partition(ANONYMISATION_QUALITY, UNPARTITIONED, rows)
    warehouse.publish_views(ANONYMISATION_QUALITY)
    leaks = Counter(kind for _, kind in total.leaks)
    context.log.info(f"anonymisation scored on {reports} report(s); leaks by kind: {dict(leaks)}")
    if not reports:  # an explained empty result: the ALL row says 0 reports, the page says why
        why = ("no gold labels (reference/gold.jsonl): nothing to score" if not gold else
               "no anonymised report is labelled in reference/gold.jsonl: nothing to score")
        return dg.MaterializeResult(metadata={"dagster/row_count": dg.MetadataValue.int(len(rows)),
                                              "evaluation": dg.MetadataValue.md(f"Not scored: {why}."),
                                              "reports_scored": dg.MetadataValue.int(0)})
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(rows)),
            "evaluation": dg.MetadataValue.md(markdown(total, reports)),
            "reports_scored": dg.MetadataValue.int(reports),
            "keep_rate": dg.MetadataValue.float(total.keep_rate or 0.0),
            "min_recall": dg.MetadataValue.float(min((r["recall"] for r in rows if r["recall"] is not None), default=0.0)),
        }
    )
