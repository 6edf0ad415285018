"""Metadata shown in the Dagster UI, derived from contracts and counts (never from raw text)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import dagster as dg

from dataval_pipeline.contracts import Contract


def column_schema(contract: Contract, *, include_restricted: bool = False) -> dg.TableSchema:
    columns = contract.columns if include_restricted else contract.public_columns
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.physical_type,
                description=c.description,
                constraints=dg.TableColumnConstraints(nullable=not c.required, unique=c.unique),
            )
            for c in columns
        ]
    )


def asset_metadata(contract: Contract) -> dict:
    """Definition-time metadata: the contract's schema and version."""
    return {
        "dagster/column_schema": column_schema(contract),
        "contract_version": contract.version,
        "contract": dg.MetadataValue.path(f"data_contracts/{contract.name}.yaml"),
    }


OWNERS = ["team:data-engineering"]


def product_asset(contract: Contract, *, group: str, kinds: set[str], code_version: str, per_report: bool = True,
                  **extra) -> Callable:
    """``@dg.asset`` for a data product: name, description, schema and owners from its contract;
    per-report products are partitioned by report, backfilled in single runs and follow their upstream
    (dataval_pipeline.automation); the others carry the daily freshness policy."""
    from dataval_pipeline.automation import DAILY_FRESHNESS, PER_REPORT_CONDITION

    if per_report:
        from dataval_pipeline.partitions import report_partitions

        extra = {"partitions_def": report_partitions, "backfill_policy": dg.BackfillPolicy.single_run(), **extra}
        if extra.get("deps"):  # the root, raw_reports, is fed by the inbox sensor
            extra.setdefault("automation_condition", PER_REPORT_CONDITION)
    else:
        extra.setdefault("freshness_policy", DAILY_FRESHNESS)
    return dg.asset(
        name=contract.name, group_name=group, kinds=kinds, owners=OWNERS,
        code_version=f"{code_version}-contract-{contract.version}", description=contract.description,
        metadata=asset_metadata(contract), **extra,
    )


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- per-report metadata --------------------------------------------------------------------------------------
# A run over many reports is one materialisation per partition; each carries its own figures (Dagster merges
# these over the run-wide metadata), so a report's page in the UI says what happened to that report alone.

STATUS_OK = "ok"
STATUS_REJECTED = "rejected"
STATUS_SKIPPED = "skipped: rejected upstream"


def report_metadata(context: dg.AssetExecutionContext, report_id: str, *, rows: int, status: str,
                    reason: str | None = None, source_label: str | None = None, pages: int | None = None,
                    finess: str | None = None, asset_key: dg.AssetKey | str | None = None, **extra) -> None:
    """Attach one report's own metadata to its partition's materialisation: row count, status (``ok``,
    ``rejected`` with the reason, or ``skipped: rejected upstream``), the public source label (never a file
    name), page count and FINESS when known, so the UI shows, and its search finds, which report this is."""
    metadata: dict = {"dagster/row_count": dg.MetadataValue.int(rows), "status": dg.MetadataValue.text(status)}
    if reason:
        metadata["reject_reason"] = dg.MetadataValue.text(reason)
    if source_label:
        metadata["source"] = dg.MetadataValue.text(source_label)
    if pages is not None:
        metadata["pages"] = dg.MetadataValue.int(pages)
    if finess:
        metadata["finess"] = dg.MetadataValue.text(finess)
    metadata.update(extra)
    context.add_asset_metadata(metadata, asset_key=asset_key, partition_key=report_id)


def upstream_reports(warehouse, keys: Sequence[str]) -> dict[str, dict]:
    """Public ingestion facts of each report (status, reason, source label, pages), read from
    ``raw_reports`` for downstream assets' per-report metadata."""
    from dataval_pipeline.contracts import load_contract

    raw = load_contract("raw_reports")
    present = warehouse.existing_partitions(raw, list(keys))
    rows = warehouse.read(raw, present).to_pylist() if present else []
    return {row["report_id"]: row for row in rows}


def downstream_report_metadata(context: dg.AssetExecutionContext, warehouse, rows_by_report: dict[str, int], *,
                               asset_key: dg.AssetKey | str | None = None, finess: dict[str, str] | None = None
                               ) -> None:
    """Per-report metadata of a product downstream of ``raw_reports``: each report of the run gets its own row
    count and status; a report rejected upstream says ``skipped: rejected upstream`` with its reason."""
    keys = list(context.partition_keys)
    upstream = upstream_reports(warehouse, keys)
    for key in keys:
        raw = upstream.get(key, {})
        ok = raw.get("status") == STATUS_OK
        report_metadata(
            context, key, rows=rows_by_report.get(key, 0), status=STATUS_OK if ok else STATUS_SKIPPED,
            reason=None if ok else raw.get("reject_reason") or "no raw_reports row", asset_key=asset_key,
            source_label=raw.get("source_label"), pages=raw.get("page_count"), finess=(finess or {}).get(key),
        )
