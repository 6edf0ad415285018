"""Dagster glue of the per-report reading: one multi-asset that writes ``findings``, ``measures``,
``fraud_signals`` and ``llm_quarantine`` from ``anonymised_corpus``.

One step because the stages share one reading of each report: read_report (rules), the themes of each
finding (the LLM, one short finding at a time, batched across the run's reports), then the fraud signals.
The logic lives in ``dataval_pipeline.analyse`` (the same functions ``dataval analyse`` runs).
"""

import datetime as dt
from collections import Counter

import dagster as dg

from dataval_pipeline.analyse import read_findings
from dataval_pipeline.anonymise.assets import anonymised_corpus
from dataval_pipeline.automation import PER_REPORT_CONDITION
from dataval_pipeline.contracts import Contract, load_contract
from dataval_pipeline.contracts.model import contracts_dir
from dataval_pipeline.findings.rows import FINDINGS, MEASURES
from dataval_pipeline.llm.assets import anonymised_texts
from dataval_pipeline.metadata import OWNERS, asset_metadata, downstream_report_metadata, markdown_table
from dataval_pipeline.partitions import report_partitions
from dataval_pipeline.resources import LLMResource, WarehouseResource

LLM_QUARANTINE = load_contract("llm_quarantine")
# fraud_signals joins the outputs once its contract exists (the signals stage ships it).
FRAUD_SIGNALS = load_contract("fraud_signals") if (contracts_dir() / "fraud_signals.yaml").exists() else None
OUTPUTS = [c for c in (FINDINGS, MEASURES, FRAUD_SIGNALS, LLM_QUARANTINE) if c is not None]
READER_VERSION = "1"


def product_spec(contract: Contract, *, group: str, kinds: set[str], code_version: str, deps: list) -> dg.AssetSpec:
    """An output of a multi-asset described by its contract, like ``metadata.product_asset`` does for one."""
    return dg.AssetSpec(
        key=contract.name, group_name=group, kinds=kinds, owners=OWNERS, description=contract.description,
        code_version=f"{code_version}-contract-{contract.version}", metadata=asset_metadata(contract), deps=deps,
        automation_condition=PER_REPORT_CONDITION,
    )


def optional_llm_client(llm: LLMResource, cache_dir, log) -> object | None:
    """The LLM client, or None when no endpoint is configured: every stage then gives its rule-based
    answer, and the run says so."""
    try:
        return llm.client(cache_dir)
    except RuntimeError as error:  # no DATAVAL_LLM_BASE_URL
        log.warning(f"no LLM: rule-based answers only ({error})")
        return None


def _row_counts(context: dg.AssetExecutionContext, warehouse: WarehouseResource, contract: Contract, counts: Counter,
                keys: list[str]) -> dict:
    """Each report's own row count and status on its partition's materialisation; the run's total for the run."""
    downstream_report_metadata(context, warehouse, dict(counts), asset_key=contract.name)
    return {"rows_in_run": dg.MetadataValue.int(sum(counts.values())),
            "reports_in_run": dg.MetadataValue.int(len(keys))}


@dg.multi_asset(
    name="read_findings",
    specs=[product_spec(c, group="findings", kinds={"python", "parquet", "duckdb"} | ({"llm"} if c is not MEASURES else set()),
                        code_version=f"reader-{READER_VERSION}", deps=[anonymised_corpus]) for c in OUTPUTS],
    partitions_def=report_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool="llm",
    description="Findings and measures of each report read from its anonymised text, the themes of each "
                "finding, its fraud signals, and the LLM requests that could not be used.",
)
def read_findings_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource, llm: LLMResource):
    keys = list(context.partition_keys)
    texts = anonymised_texts(context, warehouse, FINDINGS)
    for key in set(keys) - set(texts):  # a report rejected upstream leaves no stale row anywhere
        for contract in (MEASURES, FRAUD_SIGNALS, LLM_QUARANTINE):
            if contract is not None:
                warehouse.delete_partition(contract, key)
    client = optional_llm_client(llm, warehouse.paths.cache, context.log)
    now = dt.datetime.now(dt.timezone.utc)
    results = read_findings(texts, client, now)
    counts: dict[str, Counter] = {c.name: Counter() for c in OUTPUTS}
    kinds: Counter[str] = Counter()
    themes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    model = client.settings.model if client is not None else None
    for report_id, read in results.items():
        warehouse.write_partition(FINDINGS, report_id, read.findings)
        warehouse.write_partition(MEASURES, report_id, read.measures)
        if FRAUD_SIGNALS is not None:
            warehouse.write_partition(FRAUD_SIGNALS, report_id, read.signals)
            counts[FRAUD_SIGNALS.name][report_id] = len(read.signals)
        # One file per report for this step's requests (report_classifications keeps its own files).
        quarantined = [{"report_id": report_id, **item, "model": model or "none", "quarantined_at": now}
                       for item in read.quarantine]
        if quarantined:
            warehouse.write_partition(LLM_QUARANTINE, report_id, quarantined)
        else:
            warehouse.delete_partition(LLM_QUARANTINE, report_id)
        reasons.update(item["reason"] for item in read.quarantine)
        counts[FINDINGS.name][report_id] = len(read.findings)
        counts[MEASURES.name][report_id] = len(read.measures)
        counts[LLM_QUARANTINE.name][report_id] = len(read.quarantine)
        kinds.update(row["kind"] for row in read.findings + read.measures)
        themes.update(row["themes"][0] for row in read.findings if row["themes"])
    for contract in OUTPUTS:
        warehouse.publish_views(contract)
    llm_used = {"model": dg.MetadataValue.text(model or "none (rule-based answers only)")}
    if client is not None:
        stats = client.stats
        llm_used.update({
            "llm_calls": dg.MetadataValue.int(stats.calls), "cache_hits": dg.MetadataValue.int(stats.cache_hits),
            "prompt_tokens": dg.MetadataValue.int(stats.prompt_tokens),
            "completion_tokens": dg.MetadataValue.int(stats.completion_tokens),
            "schema_failures": dg.MetadataValue.int(stats.schema_failures),
        })
    yield dg.MaterializeResult(asset_key=FINDINGS.name, metadata={
        **_row_counts(context, warehouse, FINDINGS, counts[FINDINGS.name], keys), **llm_used,
        "kinds": dg.MetadataValue.md(markdown_table(["kind", "findings"], [(k, kinds[k]) for k in ("breach", "remark")])),
        "main_themes": dg.MetadataValue.md(markdown_table(["theme", "findings"], themes.most_common())
                                           if themes else "No finding with a theme."),
    })
    yield dg.MaterializeResult(asset_key=MEASURES.name, metadata={
        **_row_counts(context, warehouse, MEASURES, counts[MEASURES.name], keys),
        "kinds": dg.MetadataValue.md(markdown_table(
            ["kind", "measures"], [(k, kinds[k]) for k in ("injonction", "prescription", "recommandation")])),
    })
    if FRAUD_SIGNALS is not None:
        yield dg.MaterializeResult(asset_key=FRAUD_SIGNALS.name,
                                   metadata=_row_counts(context, warehouse, FRAUD_SIGNALS, counts[FRAUD_SIGNALS.name], keys))
    yield dg.MaterializeResult(asset_key=LLM_QUARANTINE.name, metadata={
        **_row_counts(context, warehouse, LLM_QUARANTINE, counts[LLM_QUARANTINE.name], keys),
        "reasons": dg.MetadataValue.md(markdown_table(["reason", "requests"], reasons.most_common())
                                       if reasons else "None."),
    })
