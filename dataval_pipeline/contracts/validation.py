"""Enforce a contract on product rows: a Great Expectations suite derived from the YAML, plus its SQL rules.

The GX context and one suite per contract are built once per process (importing GX costs seconds).
Failures say which rule broke, on how many rows, with a few example values of public columns only:
never a value of a restricted or free-text column.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from dataval_pipeline.contracts.model import Contract

MAX_EXAMPLES = 3
# ODCS comparison operators of quality rules, as functions of the measured value.
OPERATORS = {
    "mustBe": lambda v, x: v == x,
    "mustNotBe": lambda v, x: v != x,
    "mustBeGreaterThan": lambda v, x: v is not None and v > x,
    "mustBeGreaterOrEqualTo": lambda v, x: v is not None and v >= x,
    "mustBeLessThan": lambda v, x: v is not None and v < x,
    "mustBeLessOrEqualTo": lambda v, x: v is not None and v <= x,
    "mustBeBetween": lambda v, x: v is not None and x[0] <= v <= x[1],
}


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    column: str | None
    failing_rows: int | None
    examples: tuple[str, ...] = ()
    detail: str = ""

    def describe(self) -> str:
        where = f" on `{self.column}`" if self.column else ""
        rows = f": {self.failing_rows} row(s)" if self.failing_rows is not None else ""
        examples = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"{self.rule}{where}{rows}{examples}{' — ' + self.detail if self.detail else ''}"


@dataclass
class Outcome:
    rules_checked: int = 0
    failures: list[RuleFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rules that had nothing to measure, and why

    @property
    def passed(self) -> bool:
        return not self.failures

    def markdown(self) -> str:
        lines = ([f"All {self.rules_checked} rule(s) passed."] if self.passed
                 else [f"- {f.describe()}" for f in self.failures])
        return "\n".join(lines + [f"- not measured: {n}" for n in self.notes])


@functools.cache
def _gx():
    """(gx module, ephemeral context, batch definition) — built once per process."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    batch_definition = (
        context.data_sources.add_pandas("dataval").add_dataframe_asset("product").add_batch_definition_whole_dataframe("all")
    )
    return gx, context, batch_definition


_SUITES: dict[tuple[str, str], object] = {}


def expectation_suite(contract: Contract):
    """The contract's schema rules as a GX suite (built once per contract version and process)."""
    key = (contract.name, contract.version)
    if key not in _SUITES:
        _SUITES[key] = _build_suite(contract)
    return _SUITES[key]


def _build_suite(contract: Contract):
    gx, context, _ = _gx()
    suite = gx.ExpectationSuite(name=f"{contract.name}-v{contract.version}")
    suite.add_expectation(gx.expectations.ExpectTableColumnsToMatchOrderedList(column_list=contract.column_names))
    for column in contract.columns:
        if column.required:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.unique:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column=column.name))
        if column.enum:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.enum)))
        if column.pattern:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column=column.name, regex=column.pattern))
    return context.suites.add(suite)


def _rule_name(expectation_type: str) -> str:
    return {
        "expect_table_columns_to_match_ordered_list": "columns",
        "expect_column_values_to_not_be_null": "required",
        "expect_column_values_to_be_unique": "unique",
        "expect_column_values_to_be_in_set": "enum",
        "expect_column_values_to_match_regex": "pattern",
    }.get(expectation_type, expectation_type)


def _physical_types(contract: Contract, table: pa.Table) -> list[RuleFailure]:
    expected = {f.name: f.type for f in contract.arrow_schema()}
    return [
        RuleFailure("physical_type", f.name, None, detail=f"{f.type} instead of {expected[f.name]}")
        for f in table.schema if f.name in expected and f.type != expected[f.name]
    ]


def validate_schema(contract: Contract, table: pa.Table) -> Outcome:
    """Blocking rules on ``table`` (rows of the product, restricted columns included when present)."""
    _, _, batch_definition = _gx()
    suite = expectation_suite(contract)
    outcome = Outcome(rules_checked=len(suite.expectations) + 1)
    outcome.failures += _physical_types(contract, table)
    frame = table.to_pandas()
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="SUMMARY")
    public = {c.name for c in contract.columns if c.classification == "public"}
    for item in result.results:
        if item.success:
            continue
        column = item.expectation_config.kwargs.get("column")
        details = item.result or {}
        examples = ()
        if column in public:
            examples = tuple(dict.fromkeys(repr(v) for v in details.get("partial_unexpected_list") or []))[:MAX_EXAMPLES]
        detail = ""
        if column is None and details.get("details"):
            mismatched = details["details"].get("mismatched") or []
            detail = "columns differ from the contract: " + ", ".join(str(m) for m in mismatched)[:300]
        outcome.failures.append(RuleFailure(_rule_name(item.expectation_config.type), column,
                                            details.get("unexpected_count"), examples, detail))
    return outcome


def quality_rules(contract: Contract, severity: str) -> list[dict]:
    """The contract's SQL quality rules of one severity (rules without one are errors, i.e. blocking)."""
    return [r for r in contract.quality if r.get("type") == "sql" and r.get("severity", "error") == severity]


def rule_sql(contract: Contract, rule: dict) -> str:
    """A rule's query: ``${object}`` is the product's table, ``${taxonomy_ids}`` the configured taxonomy's ids
    as a SQL list (a list column cannot carry an enum, so its rule follows ``DATAVAL_TAXONOMY`` this way)."""
    sql = rule["query"].replace("${object}", f'"{contract.name}"')
    if "${taxonomy_ids}" in sql:
        from dataval_pipeline.config import theme_ids

        sql = sql.replace("${taxonomy_ids}", ", ".join("'" + t.replace("'", "''") + "'" for t in theme_ids()))
    return sql


def run_sql_rules(contract: Contract, rules: list[dict], con: duckdb.DuckDBPyConnection) -> Outcome:
    """Evaluate ODCS ``type: sql`` rules (queries as :func:`rule_sql` fills them)."""
    outcome = Outcome(rules_checked=len(rules))
    for rule in rules:
        sql = rule_sql(contract, rule)
        try:
            value = con.execute(sql).fetchone()[0]
        except duckdb.Error as error:
            outcome.failures.append(RuleFailure(rule["name"], None, None, detail=f"query failed: {type(error).__name__}"))
            continue
        if value is None:  # a distribution over nothing (no rows, or fewer than the rule needs to judge)
            outcome.notes.append(f"{rule['name']} (no value: {' '.join(str(rule.get('description', '')).split())})")
            continue
        for key, expected in rule.items():
            if key in OPERATORS and not OPERATORS[key](value, expected):
                outcome.failures.append(RuleFailure(rule["name"], None, None, detail=f"measured {value!r}, {key} {expected!r}"))
    return outcome


def duplicate_keys(contract: Contract, con: duckdb.DuckDBPyConnection) -> list[RuleFailure]:
    """Unique columns checked over the whole product (the GX suite sees the rows of one run)."""
    failures = []
    for column in (c for c in contract.columns if c.unique):
        rows = con.execute(
            f'SELECT "{column.name}", COUNT(*) FROM "{contract.name}" GROUP BY 1 HAVING COUNT(*) > 1 '
            f"ORDER BY 2 DESC LIMIT {MAX_EXAMPLES}"
        ).fetchall()
        if rows:
            (total,) = con.execute(
                f'SELECT COUNT(*) FROM (SELECT "{column.name}" FROM "{contract.name}" GROUP BY 1 HAVING COUNT(*) > 1)'
            ).fetchone()
            examples = tuple(repr(r[0]) for r in rows) if column.classification == "public" else ()
            failures.append(RuleFailure("unique (whole product)", column.name, total, examples))
    return failures


