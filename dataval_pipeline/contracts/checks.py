"""Dagster asset checks generated from each product's contract.

Per product: ``contract`` (blocking: schema, types, required, unique, enums,
patterns, and SQL rules of severity error) and ``quality`` (warnings:
distribution rules). A failed blocking check stops the downstream assets of the run.
"""

import duckdb
import dagster as dg

from dataval_pipeline.contracts.model import Contract, contracts_dir, load_contract
from dataval_pipeline.contracts.validation import (
    Outcome,
    duplicate_keys,
    quality_rules,
    run_sql_rules,
    validate_schema,
)
from dataval_pipeline.partitions import RANGE_END, RANGE_START, report_partitions
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.warehouse.catalog import view_sql


def run_partition_keys(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """Partitions materialised by this run (None when the run targets no partition)."""
    tags = context.run.tags
    if RANGE_START in tags:
        keys = context.instance.get_dynamic_partitions(report_partitions.name)
        start, end = keys.index(tags[RANGE_START]), keys.index(tags[RANGE_END])
        return list(keys[start:end + 1])
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    return None


def product_connection(warehouse: WarehouseResource) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with a view per published product (public columns only), for SQL rules."""
    con = duckdb.connect()
    paths = warehouse.paths
    for path in sorted(contracts_dir().glob("*.yaml")):
        contract = load_contract(path.stem)
        folder = paths.warehouse / contract.name / f"v{contract.major}"
        if any(folder.glob("part-*.parquet")):
            con.execute(f'CREATE VIEW "{contract.name}" AS {view_sql(paths, contract, contract.major)}')
    return con


def _result(outcome: Outcome, rows: int, severity: dg.AssetCheckSeverity) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        metadata={
            "rows_checked": dg.MetadataValue.int(rows),
            "rules_checked": dg.MetadataValue.int(outcome.rules_checked),
            "failed_rules": dg.MetadataValue.int(len(outcome.failures)),
            "result": dg.MetadataValue.md(outcome.markdown()),
        },
    )


def contract_checks(asset: dg.AssetsDefinition, contract: Contract) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=asset, name="contract", blocking=True,
        description=f"Blocking: rows follow data_contracts/{contract.name}.yaml v{contract.version} "
        "(columns, types, required, unique, enums, patterns, error-level SQL rules).",
    )
    def blocking_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        restricted = len(contract.public_columns) != len(contract.columns)
        keys = run_partition_keys(context)
        keys = None if keys is None else warehouse.existing_partitions(contract, keys)
        table = warehouse.read(contract, keys, restricted=restricted)
        outcome = validate_schema(contract, table)
        con = product_connection(warehouse)
        try:
            if table.num_rows:
                outcome.failures += duplicate_keys(contract, con)
                sql = run_sql_rules(contract, quality_rules(contract, "error"), con)
                outcome.rules_checked += sql.rules_checked + 1
                outcome.failures += sql.failures
        finally:
            con.close()
        return _result(outcome, table.num_rows, dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(
        asset=asset, name="quality", blocking=False,
        description=f"Warnings: distribution rules of data_contracts/{contract.name}.yaml (shares, rates).",
    )
    def warning_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        con = product_connection(warehouse)
        try:
            outcome = run_sql_rules(contract, quality_rules(contract, "warning"), con)
        finally:
            con.close()
        return _result(outcome, 0, dg.AssetCheckSeverity.WARN)

    return [blocking_check, warning_check]

