"""Dagster glue of the ingestion stage: the ``raw_reports`` product."""


from collections import Counter

import dagster as dg

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.ingest.extract import raw_report_row
from dataval_pipeline.ingest.landing import landing_pdf, read_sidecar, source_label
from dataval_pipeline.metadata import markdown_table, product_asset, report_metadata
from dataval_pipeline.resources import WarehouseResource

RAW_REPORTS = load_contract("raw_reports")


def ingest_one(warehouse: WarehouseResource, report_id: str) -> dict:
    """Read one landed file and write its row; a missing file is a rejected row, not an error. Landed copies
    are the pipeline's own and immutable (content-addressed), so what is read is what was hashed."""
    paths = warehouse.paths
    source = landing_pdf(paths, report_id)
    sidecar = read_sidecar(paths, report_id)
    source_file = sidecar.get("source_file", f"{report_id}.pdf")
    if source.exists():
        row = raw_report_row(source.read_bytes(), source_file)
        if row["report_id"] != report_id:  # the landing copy was altered by hand
            row.update(status="rejected", reject_reason="landed file does not match its content hash", text=None,
                       char_count=0, extraction=None, sha256=sidecar.get("sha256") or row["sha256"])
            row["report_id"] = report_id
    else:
        row = raw_report_row(b"", source_file)
        row.update(report_id=report_id, reject_reason="file missing from the landing zone (register it again)",
                   sha256=sidecar.get("sha256") or row["sha256"])
    row["source_label"] = source_label(sidecar, report_id)
    warehouse.write_partition(RAW_REPORTS, report_id, [row])
    return row


@product_asset(RAW_REPORTS, group="ingest", kinds={"pdf", "parquet", "duckdb"}, code_version="extract-2")
def raw_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Text of each report PDF, or the reason it could not be read (restricted: the text is personal data)."""
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    pages = failed_pages = truncated = 0
    for report_id in context.partition_keys:
        row = ingest_one(warehouse, report_id)
        report_metadata(context, report_id, rows=1, status=row["status"], reason=row["reject_reason"],
                        source_label=row.get("source_label"), pages=row["page_count"],
                        extraction=dg.MetadataValue.text(row["extraction"] or "none"))
        statuses[row["status"]] += 1
        pages += row["page_count"]
        failed_pages += row["failed_pages"]
        truncated += bool(row["truncated"])
        if row["status"] == "rejected":
            reasons[row["reject_reason"]] += 1
        else:
            methods[row["extraction"]] += 1
    views = warehouse.publish_views(RAW_REPORTS)
    context.log.info(f"raw_reports: {dict(statuses)} over {len(context.partition_keys)} partition(s)")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(context.partition_keys)),
            "reports_ok": dg.MetadataValue.int(statuses["ok"]),
            "reports_rejected": dg.MetadataValue.int(statuses["rejected"]),
            "pages": dg.MetadataValue.int(pages),
            "extraction": dg.MetadataValue.json(dict(methods)),
            "failed_pages": dg.MetadataValue.int(failed_pages),
            "reports_truncated": dg.MetadataValue.int(truncated),
            "reject_reasons": dg.MetadataValue.md(
                markdown_table(["reason", "files"], reasons.most_common()) if reasons else "No rejected file."
            ),
            "catalog_views_updated": dg.MetadataValue.text(", ".join(views) or "none (already current)"),
        }
    )
