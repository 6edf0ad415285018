"""Dagster glue of fact extraction: ``extracted_facts``."""

import datetime as dt
import json
from collections import Counter

import dagster as dg

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.facts.extract import extract_facts
from dataval_pipeline.llm.analysis import Analysis, analyse_reports
from dataval_pipeline.llm.assets import anonymised_texts, llm_metadata, report_classifications
from dataval_pipeline.llm.prompts import REPORT_ANALYSIS_VERSION, load_prompt
from dataval_pipeline.metadata import markdown_table, product_asset
from dataval_pipeline.resources import LLMResource, WarehouseResource

EXTRACTED_FACTS = load_contract("extracted_facts")
RULES_VERSION = "1"
JSON_COLUMNS = ("measures", "amounts_eur", "evidence", "disagreements")


# It asks the LLM the very prompt report_classifications asked: running after it, every answer comes
# from the response cache (one call per report serves both products).
@product_asset(EXTRACTED_FACTS, group="llm", kinds={"llm", "parquet", "duckdb"},
               code_version=f"rules-{RULES_VERSION}-prompt-{REPORT_ANALYSIS_VERSION}",
               deps=[report_classifications], pool="llm")
def extracted_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMResource
) -> dg.MaterializeResult:
    """Key facts of each report (FINESS, date, trigger, counts of findings and measures, staffing figures),
    read by rules and cross-checked with the LLM, each with its quote."""
    texts = anonymised_texts(context, warehouse, EXTRACTED_FACTS)
    client = llm.client(warehouse.paths.cache)
    prompt = load_prompt()
    answers = analyse_reports(client, prompt, texts, llm.max_chars())
    now = dt.datetime.now(dt.timezone.utc)
    disagreements: Counter[str] = Counter()
    sources: Counter[tuple[str, str]] = Counter()
    dropped = unanswered = 0
    for report_id, text in texts.items():
        answer = answers.get(report_id)
        analysis = answer if isinstance(answer, Analysis) else None
        facts = extract_facts(report_id, text, analysis)
        row = {**facts.row, "model": client.settings.model if analysis else None,
               "prompt_version": prompt.key if analysis else None, "extracted_at": now}
        warehouse.write_partition(EXTRACTED_FACTS, report_id, [
            {k: json.dumps(v, ensure_ascii=False) if k in JSON_COLUMNS else v for k, v in row.items()}])
        disagreements.update(d["field"] for d in facts.disagreements)
        sources.update((e["field"], e["source"]) for e in row["evidence"])
        dropped += facts.dropped_llm_facts
        unanswered += analysis is None
    warehouse.publish_views(EXTRACTED_FACTS)
    by_field = sorted({field for field, _ in sources} | set(disagreements))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(texts)),
            "reports_without_llm_answer": dg.MetadataValue.int(unanswered),
            **llm_metadata(client, prompt),
            "dropped_ungrounded_llm_facts": dg.MetadataValue.int(dropped),
            "rule_llm_disagreements": dg.MetadataValue.int(sum(disagreements.values())),
            "facts_by_source": dg.MetadataValue.md(
                markdown_table(["fact", "read by rules", "read by LLM only", "rule ≠ LLM"],
                               [(f, sources[(f, "rule")], sources[(f, "llm")], disagreements[f]) for f in by_field])
                if by_field else "No report."),
        }
    )
