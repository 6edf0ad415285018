"""Dagster glue of the reference extracts: ``establishments``, ``financial_declarations`` and
``reference_rejects``.

``reference_rejects`` is its own asset (page, contract checks, lineage in the UI): it reads the same
extracts with the same pure readers and keeps every line they could not read, one partition per product,
so a bad line is a row analysts can query, not a log line, and never drops the others.
"""

import datetime as dt

import dagster as dg
import polars as pl

from dataval_pipeline.contracts import Contract, load_contract
from dataval_pipeline.metadata import markdown_table, product_asset
from dataval_pipeline.reference.declarations import DECLARATIONS_FILE, read_declarations
from dataval_pipeline.reference.finess import FINESS_FILE, read_register
from dataval_pipeline.reference.parsing import Parsed
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.warehouse.store import UNPARTITIONED

ESTABLISHMENTS = load_contract("establishments")
FINANCIAL_DECLARATIONS = load_contract("financial_declarations")
REFERENCE_REJECTS = load_contract("reference_rejects")
READER_VERSION = "1"
MAX_REJECTS_SHOWN = 20


def _publish(warehouse: WarehouseResource, contract: Contract, parsed: Parsed) -> dg.MaterializeResult:
    """Write the product; the metadata says what was kept, skipped and set aside (in reference_rejects)."""
    warehouse.write_partition(contract, UNPARTITIONED, parsed.frame.to_arrow())
    warehouse.publish_views(contract)
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(parsed.frame.height),
        "rejected_lines": dg.MetadataValue.int(len(parsed.rejects)),
        "rejects": dg.MetadataValue.md(_rejects_table(parsed)),
        "line_counts": dg.MetadataValue.json(parsed.counts),
    }
    if parsed.warnings:
        metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in parsed.warnings))
    return dg.MaterializeResult(metadata=metadata)


def _rejects_table(parsed: Parsed) -> str:
    if not parsed.rejects:
        return "No line rejected."
    table = markdown_table(["file", "line", "reason"], [(r.source, r.line, r.reason)
                                                       for r in parsed.rejects[:MAX_REJECTS_SHOWN]])
    if len(parsed.rejects) > MAX_REJECTS_SHOWN:
        table += f"\n\n… and {len(parsed.rejects) - MAX_REJECTS_SHOWN} more in the reference_rejects view."
    return table


def _missing(contract: Contract, file_name: str, context: dg.AssetExecutionContext) -> Parsed:
    """No extract yet: an empty product (downstream still runs on the reports) and a visible warning."""
    message = f"no {file_name} in the reference folder: {contract.name} is empty"
    context.log.warning(message)
    return Parsed(pl.from_arrow(contract.arrow_schema().empty_table()), warnings=[message])


@product_asset(ESTABLISHMENTS, group="reference", kinds={"csv", "parquet", "duckdb"},
               code_version=f"finess-reader-{READER_VERSION}", per_report=False)
def establishments(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The EHPAD register from the national FINESS extract and capacites.csv: the establishments that
    reports and declarations are joined to."""
    return _publish(warehouse, ESTABLISHMENTS, _read_establishments(warehouse, context))


@product_asset(FINANCIAL_DECLARATIONS, group="reference", kinds={"csv", "parquet", "duckdb"},
               code_version=f"declarations-reader-{READER_VERSION}", per_report=False)
def financial_declarations(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Yearly financial declarations per establishment: what operators declare, for the fraud features
    to set against what inspectors saw."""
    return _publish(warehouse, FINANCIAL_DECLARATIONS, _read_declarations(warehouse, context))


def _read_establishments(warehouse: WarehouseResource, context) -> Parsed:
    folder = warehouse.paths.reference
    return read_register(folder) if (folder / FINESS_FILE).exists() else _missing(ESTABLISHMENTS, FINESS_FILE, context)


def _read_declarations(warehouse: WarehouseResource, context) -> Parsed:
    folder = warehouse.paths.reference
    return (read_declarations(folder) if (folder / DECLARATIONS_FILE).exists()
            else _missing(FINANCIAL_DECLARATIONS, DECLARATIONS_FILE, context))


@product_asset(REFERENCE_REJECTS, group="reference", kinds={"csv", "parquet", "duckdb"},
               code_version=f"reference-readers-{READER_VERSION}", per_report=False)
def reference_rejects(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every line of the reference extracts that could not be read (file, line number, reason), so that a
    bad line is visible and queryable; the other lines still reach establishments and financial_declarations."""
    now = dt.datetime.now(dt.timezone.utc)
    counts = {}
    for contract, parsed in ((ESTABLISHMENTS, _read_establishments(warehouse, context)),
                             (FINANCIAL_DECLARATIONS, _read_declarations(warehouse, context))):
        warehouse.write_partition(REFERENCE_REJECTS, contract.name,
                                  [{**r.row(), "product": contract.name, "rejected_at": now} for r in parsed.rejects])
        counts[contract.name] = len(parsed.rejects)
    warehouse.publish_views(REFERENCE_REJECTS)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": dg.MetadataValue.int(sum(counts.values())),
        "rejected_lines": dg.MetadataValue.md(markdown_table(["product", "lines rejected"], counts.items())),
    })
