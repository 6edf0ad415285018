"""Dagster glue of ``report_classifications``: derived from ``findings`` and ``measures``."""

import datetime as dt
import json
from collections import Counter

import dagster as dg

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS, anonymised_corpus
from dataval_pipeline.contracts import Contract, load_contract
from dataval_pipeline.llm.client import StructuredLLM
from dataval_pipeline.llm.prompts import Prompt
from dataval_pipeline.metadata import downstream_report_metadata, markdown_table, product_asset
from dataval_pipeline.resources import LLMResource, WarehouseResource

REPORT_CLASSIFICATIONS = load_contract("report_classifications")
LLM_QUARANTINE = load_contract("llm_quarantine")  # written by the findings multi-asset
# Derivation rules of report_classifications (dataval_pipeline.themes.classify); a change means new rows.
CLASSIFICATION_VERSION = "2"


def anonymised_texts(context: dg.AssetExecutionContext, warehouse: WarehouseResource, product: Contract) -> dict[str, str]:
    """The anonymised text of each report of the run, the only text that may reach the LLM; reports
    rejected upstream lose any stale row of ``product``."""
    keys = warehouse.existing_partitions(ANONYMISED_CORPUS, list(context.partition_keys))
    for key in set(context.partition_keys) - set(keys):
        warehouse.delete_partition(product, key)
    corpus = warehouse.read(ANONYMISED_CORPUS, keys).to_pylist() if keys else []
    return {row["report_id"]: row["text"] for row in corpus}


def llm_metadata(client: StructuredLLM, prompt: Prompt) -> dict:
    """What the LLM calls of one materialisation cost: calls, cache hits, tokens, latency, failures."""
    stats = client.stats
    return {
        "llm_calls": dg.MetadataValue.int(stats.calls),
        "cache_hits": dg.MetadataValue.int(stats.cache_hits),
        "retries": dg.MetadataValue.int(stats.retries),
        "prompt_tokens": dg.MetadataValue.int(stats.prompt_tokens),
        "completion_tokens": dg.MetadataValue.int(stats.completion_tokens),
        "latency_p50_s": dg.MetadataValue.float(round(stats.percentile(50), 3)),
        "latency_p95_s": dg.MetadataValue.float(round(stats.percentile(95), 3)),
        "schema_failures": dg.MetadataValue.int(stats.schema_failures),
        "repairs": dg.MetadataValue.int(stats.repairs),
        "model": dg.MetadataValue.text(client.settings.model),
        "prompt_version": dg.MetadataValue.text(prompt.key),
    }


def _rows(warehouse: WarehouseResource, product: Contract, keys: list[str]) -> list[dict]:
    """The rows of ``product`` for the reports ``keys`` that have a partition of it."""
    present = warehouse.existing_partitions(product, keys) if keys else []
    return warehouse.read(product, present).to_pylist() if present else []


@product_asset(REPORT_CLASSIFICATIONS, group="llm", kinds={"llm", "parquet", "duckdb"},
               code_version=f"themes-{CLASSIFICATION_VERSION}",
               deps=[anonymised_corpus, dg.AssetKey("findings"), dg.AssetKey("measures")], pool="llm")
def report_classifications(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMResource
) -> dg.MaterializeResult:
    """Themes, primary theme, severity and grounded evidence of each report, derived from its findings
    (themed one by one upstream) and measures; the LLM only for a report without findings, answering with
    the ids of numbered sentences, whose quotes the pipeline writes."""
    from dataval_pipeline.findings.assets import optional_llm_client
    from dataval_pipeline.findings.rows import FINDINGS, MEASURES, readings_from_rows
    from dataval_pipeline.themes import classify_reports
    from dataval_pipeline.themes.classify import finding_prompt, sentences_prompt

    texts = anonymised_texts(context, warehouse, REPORT_CLASSIFICATIONS)
    keys = list(texts)
    readings = readings_from_rows(keys, _rows(warehouse, FINDINGS, keys), _rows(warehouse, MEASURES, keys))
    client = optional_llm_client(llm, warehouse.paths.cache, context.log)
    results = classify_reports({rid: (texts[rid], readings[rid]) for rid in keys}, client)
    now = dt.datetime.now(dt.timezone.utc)
    model = client.settings.model if client is not None else "none"
    themes: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    dropped = 0
    for report_id in keys:
        result = results[report_id]
        prompt = sentences_prompt() if result.source == "sentences" else finding_prompt()
        warehouse.write_partition(REPORT_CLASSIFICATIONS, report_id, [{
            "report_id": report_id, "themes": result.themes, "primary_theme": result.primary_theme,
            "severity": result.severity, "evidence": json.dumps(result.evidence, ensure_ascii=False),
            "dropped_quotes": result.dropped_quotes, "llm_calls": result.llm_calls, "source": result.source,
            "llm_error": result.error,
            "model": model, "prompt_version": prompt.key, "classified_at": now,
        }])
        themes.update(result.themes)
        sources[result.source] += 1
        dropped += result.dropped_quotes
        if result.error:
            errors[result.error] += 1
    warehouse.publish_views(REPORT_CLASSIFICATIONS)
    downstream_report_metadata(context, warehouse, {key: 1 for key in keys})  # rejected: "skipped"
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(len(keys)),
        "model": dg.MetadataValue.text(model),
        "dropped_ungrounded_quotes": dg.MetadataValue.int(dropped),
        "sources": dg.MetadataValue.md(markdown_table(["derived from", "reports"], sources.most_common())),
        "themes": dg.MetadataValue.md(markdown_table(["theme", "reports"], themes.most_common())
                                      if themes else "No report with a theme."),
        "llm_errors": dg.MetadataValue.md(markdown_table(["reason", "reports"], errors.most_common())
                                          if errors else "None."),
    }
    if client is not None:
        metadata.update(llm_metadata(client, sentences_prompt()))
    return dg.MaterializeResult(metadata=metadata)
