"""Dagster asset checks generated from each product's contract.

Per product, two checks:

- ``contract`` (blocking). On a per-report product it is partitioned like the product and judges the run's
  partitions only, one evaluation per report: columns, types, required, unique within the report, enums,
  patterns, error-level SQL rules (over the run's reports: a per-report product they join is cut to the same
  reports), and the partition rule: every row carries its own partition's ``report_id``. A failed report
  blocks itself (its downstream partitions wait, ``AutomationCondition.all_deps_blocking_checks_passed``
  reads the check per partition) and no other report. On a product over all reports it judges the product.
- ``quality`` (not blocking): the rules that truly span the product. On a per-report product: uniqueness
  over every report (an error: a stray file, a bad manual fix) and the warning-level distribution rules
  (shares, rates); it reads every report, so it runs each morning (its own automation condition, which
  also keeps it out of the automation's per-report runs) and in the daily products job, not in per-report
  runs (``dataval_pipeline.automation.report_run_selection``). On a product over all reports: the warnings.

Uniqueness of ``report_id`` over a per-report product follows from the partition rule (one file per key,
each holding only its key's rows), so the per-report check proves it incrementally; ``quality`` re-proves it
over the files on disk, which also catches a file no run wrote.
"""


import re
import warnings
from collections.abc import Iterator, Sequence

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dataval_pipeline.contracts.model import Contract, contracts_dir, load_contract
from dataval_pipeline.contracts.validation import (
    Outcome,
    RuleFailure,
    duplicate_keys,
    quality_rules,
    run_sql_rules,
    validate_schema,
)
from dataval_pipeline.automation import WHOLE_PRODUCT_CONDITION
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse.store import UNPARTITIONED, product_dir

CONTRACT_CHECK, QUALITY_CHECK = "contract", "quality"
PARTITION_COLUMN = "report_id"


def product_key(asset: dg.AssetsDefinition, contract: Contract) -> dg.AssetKey:
    """The key of ``contract``'s product in ``asset`` (one asset, or one output of a multi-asset)."""
    wanted = dg.AssetKey(contract.name)
    if wanted in asset.keys:
        return wanted
    if len(asset.keys) == 1:
        return asset.key
    raise KeyError(f"{contract.name} is not an output of {sorted(k.to_user_string() for k in asset.keys)}")


# --- the rows a check reads ------------------------------------------------------------------------------


def _partition_file(paths: Paths, contract: Contract, partition: str, *, restricted: bool = False):
    return product_dir(paths.restricted if restricted else paths.warehouse, contract) / f"part-{partition}.parquet"


def read_run_rows(paths: Paths, contract: Contract, keys: Sequence[str]) -> dict[str, pa.Table]:
    """The rows of each partition of the run that has a file (restricted columns included when the product
    has any: the checks see what the pipeline wrote)."""
    restricted = len(contract.public_columns) != len(contract.columns)
    schema = contract.arrow_schema(include_restricted=restricted)
    tables = {}
    for key in keys:
        path = _partition_file(paths, contract, key, restricted=restricted)
        if path.exists():
            tables[key] = pq.read_table(path, schema=schema)
    return tables


def _files_sql(files: list[str]) -> str:
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"SELECT * FROM read_parquet([{quoted}])"


def product_connection(warehouse: WarehouseResource | Paths, keys: Sequence[str] | None = None
                       ) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with a view per published product (public columns only), for SQL rules.

    With ``keys``, a per-report product shows only those reports' files, so that a rule joining two
    per-report products judges the same reports on both sides; a product over all reports (one
    ``part-all`` file) is shown whole."""
    paths = warehouse.paths if isinstance(warehouse, WarehouseResource) else warehouse
    con = duckdb.connect()
    for path in sorted(contracts_dir().glob("*.yaml")):
        contract = load_contract(path.stem)
        folder = product_dir(paths.warehouse, contract)
        if keys is None and any(folder.glob("part-*.parquet")):
            pattern = str(folder / "part-*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW \"{contract.name}\" AS SELECT * FROM read_parquet('{pattern}')")
            continue
        files = [] if keys is None else [
            str(f) for f in (folder / f"part-{k}.parquet" for k in [*keys, UNPARTITIONED]) if f.exists()]
        if files:
            con.execute(f'CREATE VIEW "{contract.name}" AS {_files_sql(files)}')
        else:  # an empty product: rules count zero rows instead of failing on a missing table
            empty = contract.arrow_schema(include_restricted=False).empty_table()
            con.register(f"__empty_{contract.name}", empty)
            con.execute(f'CREATE VIEW "{contract.name}" AS SELECT * FROM "__empty_{contract.name}"')
    return con


# --- the rules -------------------------------------------------------------------------------------------


def partition_rule(contract: Contract, tables: dict[str, pa.Table]) -> list[RuleFailure]:
    """Every row of a report's partition carries that report's id (what makes ids unique over the product)."""
    if PARTITION_COLUMN not in contract.column_names:
        return []
    wrong = {key: sum(1 for v in table.column(PARTITION_COLUMN).to_pylist() if v != key)
             for key, table in tables.items()}
    wrong = {k: n for k, n in wrong.items() if n}
    if not wrong:
        return []
    return [RuleFailure("partition key", PARTITION_COLUMN, sum(wrong.values()), tuple(repr(k) for k in list(wrong)[:3]),
                        detail="rows whose report_id is not their partition's")]


def judge_reports(paths: Paths, contract: Contract, keys: Sequence[str]) -> dict[str, tuple[Outcome, int]]:
    """Outcome and row count of each report of the run. All reports are judged at once (one suite run, one
    pass of SQL rules); only when that fails is each report judged alone, to say which one broke."""
    tables = read_run_rows(paths, contract, keys)
    batch = _judge(paths, contract, list(keys), tables)
    if batch.passed:
        return {key: (batch, tables[key].num_rows if key in tables else 0) for key in keys}
    return {key: (_judge(paths, contract, [key], {key: tables[key]} if key in tables else {}),
                  tables[key].num_rows if key in tables else 0) for key in keys}


def _judge(paths: Paths, contract: Contract, keys: list[str], tables: dict[str, pa.Table]) -> Outcome:
    outcome = Outcome()
    if tables:
        outcome = validate_schema(contract, pa.concat_tables(list(tables.values())))
    outcome.rules_checked += 1
    outcome.failures += partition_rule(contract, tables)
    con = product_connection(paths, keys)
    try:
        sql = run_sql_rules(contract, quality_rules(contract, "error"), con)
    finally:
        con.close()
    outcome.rules_checked += sql.rules_checked
    outcome.failures += sql.failures
    return outcome


def judge_product(paths: Paths, contract: Contract, *, blocking_rules: bool, warnings: bool
                  ) -> tuple[Outcome, Outcome, int]:
    """Whole-product rules: (errors, warnings, rows). ``blocking_rules`` adds the schema suite and the
    error-level SQL rules (a product over all reports is judged whole by its blocking check). Only the
    columns the rules name are read, by DuckDB, over every file of the product."""
    errors, warned, rows = Outcome(), Outcome(), 0
    con = product_connection(paths)
    try:
        _read_once(con, contract, quality_rules(contract, "warning") + quality_rules(contract, "error"))
        rows = con.execute(f'SELECT COUNT(*) FROM "{contract.name}"').fetchone()[0]
        if blocking_rules:
            restricted = len(contract.public_columns) != len(contract.columns)
            table = _read_all(paths, contract, restricted)
            errors = validate_schema(contract, table)
            sql = run_sql_rules(contract, quality_rules(contract, "error"), con)
            errors.rules_checked += sql.rules_checked
            errors.failures += sql.failures
        errors.failures += duplicate_keys(contract, con)
        errors.rules_checked += 1
        if warnings:
            warned = run_sql_rules(contract, quality_rules(contract, "warning"), con)
    finally:
        con.close()
    return errors, warned, rows


def _read_once(con: duckdb.DuckDBPyConnection, contract: Contract, rules: list[dict]) -> None:
    """Replace the product's view by a table of the columns its rules and unique keys name, read in one pass
    over its files: the rules then cost a scan of memory, not one of thousands of files each."""
    sql = " ".join(rule["query"] for rule in rules)
    names = [c.name for c in contract.public_columns
             if c.unique or re.search(rf"(?<![\w]){re.escape(c.name)}(?![\w])", sql)]
    columns = ", ".join(f'"{n}"' for n in names) or "1 AS no_column"
    con.execute(f'CREATE TEMP TABLE "__{contract.name}" AS SELECT {columns} FROM "{contract.name}"')
    con.execute(f'DROP VIEW "{contract.name}"')
    con.execute(f'CREATE VIEW "{contract.name}" AS SELECT * FROM "__{contract.name}"')


def _read_all(paths: Paths, contract: Contract, restricted: bool) -> pa.Table:
    from dataval_pipeline.warehouse.store import read_partitions

    return read_partitions(paths, contract, None, restricted=restricted)


# --- Dagster ---------------------------------------------------------------------------------------------


def _metadata(outcome: Outcome, rows: int, **extra) -> dict:
    return {
        "rows_checked": dg.MetadataValue.int(rows),
        "rules_checked": dg.MetadataValue.int(outcome.rules_checked),
        "failed_rules": dg.MetadataValue.int(len(outcome.failures)),
        "result": dg.MetadataValue.md(outcome.markdown()),
        **extra,
    }


def _latest_materializations(instance: dg.DagsterInstance, key: dg.AssetKey, partitions: Sequence[str]) -> dict:
    """The materialisation each report's evaluation judges (so the UI and automation tie them together)."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    latest: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
    for start in range(0, len(partitions), 500):
        chunk = list(partitions[start:start + 500])
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=chunk), limit=len(chunk) * 4).records
        for record in records:  # newest first
            latest.setdefault(record.partition_key, AssetCheckEvaluationTargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp))
    return latest


def partition_evaluations(context: dg.AssetCheckExecutionContext, key: dg.AssetKey, contract: Contract,
                          paths: Paths) -> Iterator:
    """One evaluation per report of the run, then the check's output."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation

    keys = list(context.partition_keys)
    outcomes = judge_reports(paths, contract, keys)
    targets = _latest_materializations(context.instance, key, keys)
    failed = [k for k, (outcome, _) in outcomes.items() if not outcome.passed]
    if failed:
        context.log.warning(f"{contract.name}: {len(failed)} of {len(keys)} report(s) break the contract: "
                            + ", ".join(failed[:10]))
    for partition, (outcome, rows) in outcomes.items():
        extra = {}
        if rows == 0 and outcome.passed:
            extra["note"] = dg.MetadataValue.text("no row for this report (rejected upstream): nothing to judge "
                                                  "but the rules that count rows")
        yield AssetCheckEvaluation(
            asset_key=key, check_name=CONTRACT_CHECK, passed=outcome.passed, blocking=True,
            severity=dg.AssetCheckSeverity.ERROR, partition=partition, metadata=_metadata(outcome, rows, **extra),
            target_materialization_data=targets.get(partition),
            description=None if outcome.passed else f"{len(outcome.failures)} rule(s) broken by this report",
        )
    yield dg.Output(None)


def _per_report_check(key: dg.AssetKey, contract: Contract, partitions_def: dg.PartitionsDefinition, source: str
                      ) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key, name=CONTRACT_CHECK, blocking=True, partitions_def=partitions_def,
        description=f"Blocking, per report: the rows of each report of the run follow {source} (columns, "
        "types, required, unique, enums, patterns, error-level SQL rules, the report's own id). A failed "
        "report blocks only itself.",
    )
    def per_report_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        yield from partition_evaluations(context, key, contract, warehouse.paths)

    return per_report_check


def contract_checks(asset: dg.AssetsDefinition, contract: Contract) -> list[dg.AssetChecksDefinition]:
    """The ``contract`` and ``quality`` checks of one product (see the module docstring)."""
    key = product_key(asset, contract)
    partitions_def = asset.partitions_def
    source = f"data_contracts/{contract.name}.yaml v{contract.version}"

    if partitions_def is not None:
        with warnings.catch_warnings():  # partitioned checks are a preview in Dagster 1.13: the feature we need
            warnings.simplefilter("ignore", dg.PreviewWarning)
            per_report_check = _per_report_check(key, contract, partitions_def, source)

        @dg.asset_check(
            asset=key, name=QUALITY_CHECK, blocking=False, automation_condition=WHOLE_PRODUCT_CONDITION,
            description=f"Whole product, every report: unique keys over all partitions (error) and the "
            f"distribution rules of {source} (warnings). Run each morning, not with each batch of reports.",
        )
        def whole_product_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
                                ) -> dg.AssetCheckResult:
            errors, warned, rows = judge_product(warehouse.paths, contract, blocking_rules=False, warnings=True)
            return whole_product_result(errors, warned, rows)

        return [per_report_check, whole_product_check]

    @dg.asset_check(
        asset=key, name=CONTRACT_CHECK, blocking=True,
        description=f"Blocking: rows follow {source} (columns, types, required, unique, enums, patterns, "
        "error-level SQL rules).",
    )
    def blocking_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        errors, _, rows = judge_product(warehouse.paths, contract, blocking_rules=True, warnings=False)
        return dg.AssetCheckResult(passed=errors.passed, severity=dg.AssetCheckSeverity.ERROR,
                                   metadata=_metadata(errors, rows))

    @dg.asset_check(
        asset=key, name=QUALITY_CHECK, blocking=False,
        description=f"Warnings: distribution rules of {source} (shares, rates).",
    )
    def warning_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        _, warned, rows = judge_product(warehouse.paths, contract, blocking_rules=False, warnings=True)
        return dg.AssetCheckResult(passed=warned.passed, severity=dg.AssetCheckSeverity.WARN,
                                   metadata=_metadata(warned, rows))

    return [blocking_check, warning_check]


def whole_product_result(errors: Outcome, warned: Outcome, rows: int) -> dg.AssetCheckResult:
    """Whole-product result: an error when keys repeat, a warning when only distribution rules fail."""
    outcome = Outcome(errors.rules_checked + warned.rules_checked, errors.failures + warned.failures,
                      errors.notes + warned.notes)
    severity = dg.AssetCheckSeverity.ERROR if errors.failures else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(passed=outcome.passed, severity=severity, metadata=_metadata(outcome, rows))
