"""Dagster glue of fact extraction: ``extracted_facts``.

Counts come from the ``findings`` and ``measures`` products (declared dependencies, read from the
warehouse); the other facts are read by rules from the anonymised text, and the LLM answers narrow
questions over candidate sentences where the rules found nothing.
"""

import datetime as dt
import json
from collections import Counter

import dagster as dg

from dataval_pipeline.analyse import extract_facts
from dataval_pipeline.anonymise.assets import anonymised_corpus
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.findings.assets import optional_llm_client
from dataval_pipeline.findings.rows import FINDINGS, MEASURES, readings_from_rows, with_report_level
from dataval_pipeline.llm.assets import anonymised_texts
from dataval_pipeline.metadata import downstream_report_metadata, markdown_table, product_asset
from dataval_pipeline.resources import LLMResource, WarehouseResource

EXTRACTED_FACTS = load_contract("extracted_facts")
RULES_VERSION = "2"


def _stored(contract, value: object, column: str) -> object:
    """JSON columns are written as JSON text; everything else as it is."""
    if contract.column(column).physical_type == "JSON" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


@product_asset(EXTRACTED_FACTS, group="facts", kinds={"llm", "parquet", "duckdb"}, code_version=f"rules-{RULES_VERSION}",
               deps=[anonymised_corpus, dg.AssetKey(FINDINGS.name), dg.AssetKey(MEASURES.name)], pool="llm")
def extracted_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMResource
) -> dg.MaterializeResult:
    """Key facts of each report (FINESS, date, trigger, counts of findings and measures, staffing figures),
    each with its quote; the counts are those of the findings and measures products."""
    texts = anonymised_texts(context, warehouse, EXTRACTED_FACTS)
    keys = list(texts)
    findings = warehouse.read(FINDINGS, warehouse.existing_partitions(FINDINGS, keys)).to_pylist() if keys else []
    measures = warehouse.read(MEASURES, warehouse.existing_partitions(MEASURES, keys)).to_pylist() if keys else []
    readings = {rid: with_report_level(reading, texts[rid]) for rid, reading in readings_from_rows(keys, findings, measures).items()}
    client = optional_llm_client(llm, warehouse.paths.cache, context.log)
    facts = extract_facts(texts, readings, client)
    now = dt.datetime.now(dt.timezone.utc)
    columns = set(EXTRACTED_FACTS.column_names)
    disagreements: Counter[str] = Counter()
    sources: Counter[tuple[str, str]] = Counter()
    dropped = 0
    for report_id in keys:
        result = facts[report_id]
        row = {"report_id": report_id, **result.row, "extracted_at": now}
        row = {k: _stored(EXTRACTED_FACTS, v, k) for k, v in row.items() if k in columns}
        warehouse.write_partition(EXTRACTED_FACTS, report_id, [row])
        disagreements.update(d["field"] for d in result.disagreements)
        evidence = json.loads(row["evidence"]) if isinstance(row.get("evidence"), str) else []
        sources.update((e.get("field"), e.get("source")) for e in evidence)
        dropped += result.dropped_llm_facts
    warehouse.publish_views(EXTRACTED_FACTS)
    downstream_report_metadata(context, warehouse, {key: 1 for key in keys})  # rejected: "skipped"
    by_field = sorted({f for f, _ in sources if f} | set(disagreements))
    metadata = {
        "reports": dg.MetadataValue.int(len(keys)),
        "model": dg.MetadataValue.text(client.settings.model if client is not None else "none (rules only)"),
        "dropped_ungrounded_llm_facts": dg.MetadataValue.int(dropped),
        "rule_llm_disagreements": dg.MetadataValue.int(sum(disagreements.values())),
        "facts_by_source": dg.MetadataValue.md(
            markdown_table(["fact", "read by rules", "read by LLM only", "rule ≠ LLM"],
                           [(f, sources[(f, "rule")], sources[(f, "llm")], disagreements[f]) for f in by_field])
            if by_field else "No report."),
    }
    if len(context.partition_keys) == 1:
        metadata["dagster/row_count"] = dg.MetadataValue.int(len(keys))
    if client is not None:
        metadata["llm_calls"] = dg.MetadataValue.int(client.stats.calls)
        metadata["cache_hits"] = dg.MetadataValue.int(client.stats.cache_hits)
    return dg.MaterializeResult(metadata=metadata)
