"""Dagster glue of the reference extracts: ``establishments`` and ``financial_declarations``.

Each asset also rewrites its own partition of ``reference_rejects``, so the
lines it could not read are a product analysts can query, not a log line.
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
    """Write the product and its rejects; the metadata says what was kept, skipped and set aside."""
    now = dt.datetime.now(dt.timezone.utc)
    warehouse.write_partition(contract, UNPARTITIONED, parsed.frame.to_arrow())
    warehouse.write_partition(REFERENCE_REJECTS, contract.name,
                              [{**r.row(), "product": contract.name, "rejected_at": now} for r in parsed.rejects])
    for product in (contract, REFERENCE_REJECTS):
        warehouse.publish_views(product)
    rejects = (markdown_table(["file", "line", "reason"], [(r.source, r.line, r.reason)
                                                          for r in parsed.rejects[:MAX_REJECTS_SHOWN]])
               if parsed.rejects else "No line rejected.")
    if len(parsed.rejects) > MAX_REJECTS_SHOWN:
        rejects += f"\n\n… and {len(parsed.rejects) - MAX_REJECTS_SHOWN} more in the reference_rejects view."
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(parsed.frame.height),
        "rejected_lines": dg.MetadataValue.int(len(parsed.rejects)),
        "rejects": dg.MetadataValue.md(rejects),
        "line_counts": dg.MetadataValue.json(parsed.counts),
    }
    if parsed.warnings:
        metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in parsed.warnings))
    return dg.MaterializeResult(metadata=metadata)


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
    folder = warehouse.paths.reference
    parsed = read_register(folder) if (folder / FINESS_FILE).exists() else _missing(ESTABLISHMENTS, FINESS_FILE, context)
    return _publish(warehouse, ESTABLISHMENTS, parsed)


@product_asset(FINANCIAL_DECLARATIONS, group="reference", kinds={"csv", "parquet", "duckdb"},
               code_version=f"declarations-reader-{READER_VERSION}", per_report=False)
def financial_declarations(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Yearly financial declarations per establishment: what operators declare, for the fraud features
    to set against what inspectors saw."""
    folder = warehouse.paths.reference
    parsed = (read_declarations(folder) if (folder / DECLARATIONS_FILE).exists()
              else _missing(FINANCIAL_DECLARATIONS, DECLARATIONS_FILE, context))
    return _publish(warehouse, FINANCIAL_DECLARATIONS, parsed)
