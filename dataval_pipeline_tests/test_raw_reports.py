"""raw_reports through Dagster on a real instance: rows, idempotence, restricted zone, catalog."""

import os
import stat

import duckdb
import dagster as dg
import pyarrow.parquet as pq

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.ingest.extract import ocr_available
from dataval_pipeline.warehouse.store import read_partitions
from dataval_pipeline_tests.conftest import fill_inbox, read_gold
from dataval_pipeline_tests.dagster_helpers import event_log_text, materialize_reports


def _catalog_rows(paths, sql):
    con = duckdb.connect(str(paths.catalog), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_one_row_per_distinct_file_with_status_and_reason(home, sample_corpus):
    files = fill_inbox(home, sample_corpus)
    gold = {g["report_id"]: g for g in read_gold(sample_corpus)}
    with dg.instance_for_test() as instance:
        result = materialize_reports(home, instance, [raw_reports])
        assert result.success
        rows = {r[0]: r for r in _catalog_rows(home, "SELECT report_id, status, reject_reason FROM raw_reports")}
        assert len(rows) == len(files) == len(gold)
        for report_id, (_, status, reason) in rows.items():
            expected = gold[report_id]
            if expected.get("ocr_rescues") and ocr_available():
                assert status == "ok"
                continue
            assert status == expected["expected_status"], (expected["file"], reason)
            if status == "rejected":
                assert expected["expected_reason"] in reason
        metadata = result.asset_materializations_for_node("raw_reports")[0].metadata
        assert metadata["reports_ok"].value + metadata["reports_rejected"].value == len(files)


def test_rematerialising_replaces_rows_never_duplicates(home, sample_corpus):
    fill_inbox(home, sample_corpus)
    contract = load_contract("raw_reports")
    with dg.instance_for_test() as instance:
        assert materialize_reports(home, instance, [raw_reports]).success
        first = read_partitions(home, contract).sort_by("report_id")
        assert materialize_reports(home, instance, [raw_reports]).success
        second = read_partitions(home, contract).sort_by("report_id")
    assert second.num_rows == first.num_rows
    assert second.column("report_id").to_pylist() == first.column("report_id").to_pylist()
    assert second.drop(["ingested_at"]).equals(first.drop(["ingested_at"]))
    (count, distinct), = _catalog_rows(home, "SELECT COUNT(*), COUNT(DISTINCT report_id) FROM raw_reports")
    assert count == distinct == first.num_rows
    assert not list(home.warehouse.rglob("*.tmp")), "temporary files must never stay visible"


def test_raw_text_stays_in_the_restricted_zone(home, sample_corpus):
    fill_inbox(home, sample_corpus)
    gold = [g for g in read_gold(sample_corpus) if g["expected_status"] == "ok"]
    surfaces = [p["surface"] for g in gold for p in g["pii"] if len(p["surface"]) >= 6]
    with dg.instance_for_test() as instance:
        result = materialize_reports(home, instance, [raw_reports])
        log = event_log_text(instance, result.run_id)
    # the analysts' side: no text column, no personal data anywhere
    columns = [c[0] for c in _catalog_rows(home, "DESCRIBE raw_reports")]
    assert "text" not in columns and "report_id" in columns
    for parquet in home.warehouse.rglob("*.parquet"):
        assert "text" not in pq.read_schema(parquet).names
    catalog_bytes = home.catalog.read_bytes().decode("latin-1")
    for surface in surfaces:
        assert surface not in log, "personal data in the Dagster event log"
        assert surface not in catalog_bytes
    # the restricted side: text present, owner-only permissions
    restricted = read_partitions(home, load_contract("raw_reports"), restricted=True)
    assert any(t and len(t) > 1000 for t in restricted.column("text").to_pylist())
    for path in home.restricted.rglob("*"):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"


def test_an_open_analyst_session_does_not_block_the_pipeline(home, sample_corpus):
    files = fill_inbox(home, sample_corpus)
    with dg.instance_for_test() as instance:
        keys = [k for k in _keys_after_first_run(home, instance)]
        analyst = duckdb.connect(str(home.catalog), read_only=True)
        try:
            before = analyst.execute("SELECT COUNT(*) FROM raw_reports").fetchone()[0]
            # a new file arrives and is materialised while the analyst's session is open
            extra = home.inbox / "copie renommée é.pdf"
            extra.write_bytes(files[0].read_bytes() + b"\n% appended comment\n")
            result = materialize_reports(home, instance, [raw_reports])
            assert result.success
            after = analyst.execute("SELECT COUNT(*) FROM raw_reports").fetchone()[0]
        finally:
            analyst.close()
    assert after == before + 1 == len(keys) + 1


def _keys_after_first_run(home, instance):
    result = materialize_reports(home, instance, [raw_reports])
    assert result.success
    return instance.get_dynamic_partitions("reports")
