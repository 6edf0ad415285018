"""Dagster glue of the LLM stage: ``report_classifications`` (and quarantined answers)."""

import datetime as dt
import json
from collections import Counter

import dagster as dg

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS, anonymised_corpus
from dataval_pipeline.contracts import Contract, load_contract
from dataval_pipeline.llm.analysis import Analysis, analyse_reports
from dataval_pipeline.llm.client import StructuredLLM
from dataval_pipeline.llm.prompts import REPORT_ANALYSIS_VERSION, Prompt, load_prompt
from dataval_pipeline.metadata import markdown_table, product_asset
from dataval_pipeline.resources import LLMResource, WarehouseResource

REPORT_CLASSIFICATIONS = load_contract("report_classifications")
LLM_QUARANTINE = load_contract("llm_quarantine")


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


def _quarantine_partition(report_id: str, product: str) -> str:
    return f"{report_id}-{product}"


@product_asset(REPORT_CLASSIFICATIONS, group="llm", kinds={"llm", "parquet", "duckdb"},
               code_version=f"prompt-{REPORT_ANALYSIS_VERSION}", deps=[anonymised_corpus], pool="llm")
def report_classifications(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMResource
) -> dg.MaterializeResult:
    """Themes, severity and grounded evidence of each report, read by the LLM from the anonymised text only."""
    texts = anonymised_texts(context, warehouse, REPORT_CLASSIFICATIONS)
    client = llm.client(warehouse.paths.cache)
    prompt = load_prompt()
    results = analyse_reports(client, prompt, texts, llm.max_chars())
    now = dt.datetime.now(dt.timezone.utc)
    themes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    dropped = 0
    for report_id, result in results.items():
        quarantine_key = _quarantine_partition(report_id, REPORT_CLASSIFICATIONS.name)
        if isinstance(result, Analysis):
            warehouse.write_partition(REPORT_CLASSIFICATIONS, report_id, [{
                "report_id": report_id, "themes": result.themes, "primary_theme": result.primary_theme,
                "severity": result.severity, "evidence": json.dumps(result.evidence, ensure_ascii=False),
                "dropped_quotes": result.dropped_quotes, "llm_calls": result.calls,
                "model": client.settings.model, "prompt_version": prompt.key, "classified_at": now,
            }])
            warehouse.delete_partition(LLM_QUARANTINE, quarantine_key)
            themes.update(result.themes)
            dropped += result.dropped_quotes
        else:
            warehouse.delete_partition(REPORT_CLASSIFICATIONS, report_id)
            warehouse.write_partition(LLM_QUARANTINE, quarantine_key, [{
                "report_id": report_id, "product": REPORT_CLASSIFICATIONS.name, "reason": result,
                "model": client.settings.model, "quarantined_at": now,
            }])
            reasons[result] += 1
    for contract in (REPORT_CLASSIFICATIONS, LLM_QUARANTINE):
        warehouse.publish_views(contract)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(results) - sum(reasons.values())),
            "reports_quarantined": dg.MetadataValue.int(sum(reasons.values())),
            **llm_metadata(client, prompt),
            "dropped_ungrounded_quotes": dg.MetadataValue.int(dropped),
            "themes": dg.MetadataValue.md(markdown_table(["theme", "reports"], themes.most_common())
                                          if themes else "No report classified."),
            "quarantine_reasons": dg.MetadataValue.md(markdown_table(["reason", "reports"], reasons.most_common())
                                                      if reasons else "None."),
        }
    )
