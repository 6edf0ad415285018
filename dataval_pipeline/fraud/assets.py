"""Dagster glue of the fraud stage: ``fraud_features`` and the analysts' ``fraud_watchlist`` view."""

import datetime as dt

import dagster as dg
import polars as pl

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.fraud.evaluate import evaluate, markdown, planted_from_gold
from dataval_pipeline.fraud.features import FEATURES_VERSION, compute_features, reports_without_finess
from dataval_pipeline.fraud.score import score
from dataval_pipeline.metadata import markdown_table, product_asset
from dataval_pipeline.reference.assets import establishments, financial_declarations
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.warehouse.catalog import publish_derived_view, view_sql
from dataval_pipeline.warehouse.store import UNPARTITIONED

FRAUD_FEATURES = load_contract("fraud_features")
WATCHLIST_VIEW = "fraud_watchlist"
WATCHLIST_COLUMNS = ("risk_rank", "finess", "establishment_name", "department_code", "legal_status", "capacity",
                     "anomaly_score", "signal_score", "peer_score", "stated_signals", "top_reasons", "reports", "last_inspection_date", "declaration_years",
                     "scored_features", "peer_group")
INPUTS = ("establishments", "financial_declarations", "extracted_facts", "report_classifications", "fraud_signals",
          "measures")
TOP_SHOWN = 10


def watchlist_sql(warehouse: WarehouseResource) -> str:
    columns = ", ".join(f'"{c}"' for c in WATCHLIST_COLUMNS)
    return (f"SELECT {columns} FROM ({view_sql(warehouse.paths, FRAUD_FEATURES, FRAUD_FEATURES.major)}) "
            "ORDER BY risk_rank")


def _top_table(scored: pl.DataFrame) -> str:
    if scored.is_empty():
        return "No establishment."
    rows = [(r["risk_rank"], r["finess"], r["establishment_name"] or "—", f"{r['anomaly_score']:.2f}",
             "; ".join(r["top_reasons"]) or "—") for r in scored.head(TOP_SHOWN).iter_rows(named=True)]
    return markdown_table(["rank", "FINESS", "establishment", "score", "reasons"], rows)


@product_asset(FRAUD_FEATURES, group="fraud", kinds={"duckdb", "polars", "parquet"},
               code_version=f"features-{FEATURES_VERSION}", per_report=False,
               deps=[establishments, financial_declarations, dg.AssetKey("extracted_facts"),
                     dg.AssetKey("report_classifications"), dg.AssetKey("fraud_signals"), dg.AssetKey("measures")])
def fraud_features(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Per establishment: the irregularities its reports state (fraud_signals, weighed by the configured
    weight table), features from its reports, measures and the reference data, a score and the reasons
    behind it (quotes of the findings with their figures first); analysts read it sorted in the
    fraud_watchlist view."""
    tables = {name: warehouse.read(load_contract(name)) for name in INPUTS}
    scored = score(compute_features(**tables))
    now = dt.datetime.now(dt.timezone.utc)
    product = scored.with_columns(features_version=pl.lit(FEATURES_VERSION), computed_at=pl.lit(now))
    warehouse.write_partition(FRAUD_FEATURES, UNPARTITIONED, product.to_arrow())
    warehouse.publish_views(FRAUD_FEATURES)
    publish_derived_view(warehouse.paths, WATCHLIST_VIEW, watchlist_sql(warehouse))
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(scored.height),
        "top_establishments": dg.MetadataValue.md(_top_table(scored)),
        "establishments_without_reports": dg.MetadataValue.int(scored.filter(pl.col("reports") == 0).height),
        "establishments_without_declarations": dg.MetadataValue.int(
            scored.filter(pl.col("declaration_years") == 0).height),
        "establishments_outside_register": dg.MetadataValue.int(scored.filter(~pl.col("in_register")).height),
        "establishments_with_stated_signals": dg.MetadataValue.int(
            scored.filter(pl.col("stated_signals").list.len() > 0).height),
        "fraud_signals_read": dg.MetadataValue.int(tables["fraud_signals"].num_rows),
        "reports_without_finess": dg.MetadataValue.int(reports_without_finess(tables["extracted_facts"])),
        "features_version": dg.MetadataValue.text(FEATURES_VERSION),
    }
    gold = warehouse.paths.gold
    if gold.exists():
        evaluation = evaluate(scored, planted_from_gold(gold))
        metadata["evaluation"] = dg.MetadataValue.md(markdown(evaluation))
        if evaluation.k:
            metadata["precision_at_k"] = dg.MetadataValue.float(evaluation.precision_at_k)
            metadata["planted_establishments"] = dg.MetadataValue.int(evaluation.k)
    return dg.MaterializeResult(metadata=metadata)
