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
