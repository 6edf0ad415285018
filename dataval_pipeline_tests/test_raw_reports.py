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


PERSONAL_NAME = "Signalement Mme Martine DUPONTEL 06 12 34 56 78.pdf"


def test_a_file_name_never_reaches_the_analysts_side(home, sample_corpus):
    """A name can carry a person's name and phone number: it stays in the restricted zone; the public
    product and the catalog show the report id and a safe label."""
    report = sorted(sample_corpus.glob("2*.pdf"))[0]
    home.inbox.mkdir(parents=True)
    (home.inbox / PERSONAL_NAME).write_bytes(report.read_bytes())
    with dg.instance_for_test() as instance:
        result = materialize_reports(home, instance, [raw_reports])
        assert result.success
        log = event_log_text(instance, result.run_id)
    [(report_id, label)] = _catalog_rows(home, "SELECT report_id, source_label FROM raw_reports")
    assert label.startswith(f"pdf file {report_id} received ")
    assert "source_file" not in [c[0] for c in _catalog_rows(home, "DESCRIBE raw_reports")]
    public = [home.catalog, *home.warehouse.rglob("*.parquet"), *home.warehouse.rglob("*.sql")]
    for fragment in ("DUPONTEL", "06 12 34 56 78"):
        assert fragment not in log
        for path in public:
            assert fragment.encode() not in path.read_bytes(), path
    restricted = read_partitions(home, load_contract("raw_reports"), restricted=True).to_pylist()
    assert restricted[0]["source_file"] == PERSONAL_NAME


def test_a_file_overwritten_or_landed_half_written_never_breaks_the_rows_before_it(home, sample_corpus):
    """The inbox file is rewritten in place, first cut short (as a half-finished copy that settled), then
    whole: each content is its own partition and row, every row's hash is its own copy's, and the
    product's contract (unique sha256 included) holds over all of them."""
    from dataval_pipeline.contracts.checks import judge_product

    data = sorted(sample_corpus.glob("2*.pdf"))[0].read_bytes()
    other = sorted(sample_corpus.glob("2*.pdf"))[1].read_bytes()
    home.inbox.mkdir(parents=True)
    path = home.inbox / "rapport.pdf"
    contract = load_contract("raw_reports")
    with dg.instance_for_test() as instance:
        for content in (other, data[: len(data) // 2], data):
            with open(path, "wb") as handle:  # same name, same inode when it exists: in place
                handle.write(content)
            assert materialize_reports(home, instance, [raw_reports]).success
        rows = {r["report_id"]: r for r in read_partitions(home, contract, restricted=True).to_pylist()}
    assert len(rows) == 3
    for report_id, row in rows.items():
        assert row["sha256"].startswith(report_id)
    assert [r["status"] for r in rows.values()].count("ok") == 2
    assert any("truncated PDF" in (r["reject_reason"] or "") for r in rows.values())
    errors, _, count = judge_product(home, contract, blocking_rules=True, warnings=False)
    assert count == 3 and errors.passed, errors.markdown()
