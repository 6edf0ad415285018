"""The analysts' catalog with a second process holding it, read-only or read-write: the pipeline never
waits for it nor fails because of it, views over empty products return zero rows, and a view is written
only when it really changes."""

import datetime as dt
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.demo import print_summary
from dataval_pipeline.warehouse import catalog, store
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import register_and_run_all

QUARANTINE = load_contract("llm_quarantine")
CLASSIFICATIONS = load_contract("report_classifications")

ANALYST = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
if sys.argv[2] == "rw":
    con.execute("CREATE TABLE analyst_notes AS SELECT 1 AS note")  # a session that writes
print("ready", flush=True)
for line in sys.stdin:  # one query per line, one answer per line, until stdin closes
    try:
        print(con.execute(line).fetchall(), flush=True)
    except Exception as error:
        print("ERROR", type(error).__name__, error, flush=True)
con.close()
"""


class Analyst:
    """A DuckDB session in another process, holding the catalog file open."""

    def __init__(self, path, mode: str):
        self.process = subprocess.Popen([sys.executable, "-c", ANALYST, str(path), mode], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = self.process.stdout.readline()
        assert ready.strip() == "ready", self.process.stderr.read()

    def query(self, sql: str) -> str:
        self.process.stdin.write(sql.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0, self.process.stderr.read()


def _quarantine_row(report_id: str) -> dict:
    return {"report_id": report_id, "product": "report_classifications", "request": None, "reason": "test",
            "model": "m", "quarantined_at": dt.datetime.now(dt.timezone.utc)}


def _count(paths, view: str) -> int:
    con = duckdb.connect(str(paths.catalog), read_only=True)
    try:
        return con.execute(f'SELECT COUNT(*) FROM "{view}"').fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_a_session_holding_the_catalog_never_blocks_a_catalog_change(home, mode):
    store.write_partition(home, QUARANTINE, "a" * 16 + "-x", [_quarantine_row("a" * 16)])
    catalog.publish_views(home, QUARANTINE)
    analyst = Analyst(home.catalog, mode)
    try:
        assert analyst.query("SELECT COUNT(*) FROM llm_quarantine") == "[(1,)]"
        # while the file is held: a product never written, and a derived view (both change the catalog)
        assert "report_classifications" in catalog.publish_views(home, CLASSIFICATIONS)
        assert catalog.publish_derived_view(home, "quarantine_reasons",
                                            "SELECT reason, COUNT(*) AS n FROM llm_quarantine GROUP BY reason")
        store.write_partition(home, QUARANTINE, "b" * 16 + "-x", [_quarantine_row("b" * 16)])
        # the analyst's session keeps working on what it opened; new partitions show without a rewrite
        assert analyst.query("SELECT COUNT(*) FROM llm_quarantine") == "[(2,)]"
        # the products read whatever the file's state (what the demo's summary uses)
        con = catalog.connect(home)
        assert con.execute("SELECT n FROM quarantine_reasons").fetchall() == [(2,)]
        assert con.execute("SELECT COUNT(*) FROM report_classifications").fetchone()[0] == 0
        con.close()
        if mode == "ro":  # a new session opens the new catalog at once
            assert _count(home, "report_classifications") == 0 and _count(home, "quarantine_reasons") == 1
    finally:
        analyst.close()
    # after the session: the new catalog for everyone (a read-write session's own tables are not kept)
    assert _count(home, "report_classifications") == 0 and _count(home, "llm_quarantine") == 2


def test_a_view_over_a_product_whose_last_row_went_returns_zero_rows(home):
    key = "c" * 16 + "-x"
    store.write_partition(home, QUARANTINE, key, [_quarantine_row("c" * 16)])
    catalog.publish_views(home, QUARANTINE)
    store.delete_partition(home, QUARANTINE, key)
    assert catalog.publish_views(home, QUARANTINE) == [], "emptying a product needs no catalog write"
    assert _count(home, "llm_quarantine") == 0
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        columns = [row[0] for row in con.execute("DESCRIBE llm_quarantine").fetchall()]
    finally:
        con.close()
    assert columns == [c.name for c in QUARANTINE.public_columns], "typed like the product, even when empty"


def test_an_unchanged_view_is_never_rewritten(home):
    store.write_partition(home, QUARANTINE, "d" * 16 + "-x", [_quarantine_row("d" * 16)])
    catalog.publish_views(home, QUARANTINE)
    sql = f"SELECT reason FROM ({catalog.view_sql(home, QUARANTINE, QUARANTINE.major)}) ORDER BY reason"
    assert catalog.publish_derived_view(home, "sorted_reasons", sql) == ["sorted_reasons"]
    inode = home.catalog.stat().st_ino
    for _ in range(3):
        assert catalog.publish_derived_view(home, "sorted_reasons", sql) == []
        assert catalog.publish_views(home, QUARANTINE) == []
    assert home.catalog.stat().st_ino == inode, "the catalog file must not be rebuilt when nothing changed"
    script = (home.warehouse / catalog.SCRIPT_NAME).read_text(encoding="utf-8")
    con = duckdb.connect()  # the SQL script gives the same views to an in-memory session
    con.execute(script)
    assert con.execute("SELECT COUNT(*) FROM sorted_reasons").fetchone()[0] == 1


@pytest.fixture
def two_reports(home, sample_corpus):
    names = sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2]
    fill_inbox(home, sample_corpus, names=names[:1])
    return names


def test_runs_succeed_with_an_analyst_holding_the_catalog_read_only_then_read_write(home, sample_corpus,
                                                                                      two_reports, capsys):
    """The whole pipeline (real assets, scripted LLM) while another process holds the catalog: read-only
    during the first run (every product's first view is created then), read-write during a rerun with a
    new report; the demo's summary prints after each."""
    from rich.console import Console

    catalog.refresh(home)  # an empty catalog, opened by the analyst before any product exists
    with dg.instance_for_test() as instance:
        for mode, extra in (("ro", None), ("rw", two_reports[1])):
            analyst = Analyst(home.catalog, mode)
            try:
                if extra:
                    fill_inbox(home, sample_corpus, names=[extra])
                results = register_and_run_all(home, instance, raise_on_error=False)
                assert all(r.success for r in results), [e.message for r in results for e in r.all_events
                                                         if e.is_step_failure]
                print_summary(home, Console(width=200))
                assert "ERROR" not in analyst.query("SELECT 1")
            finally:
                analyst.close()
    printed = capsys.readouterr().out
    assert "raw_reports" in printed and "fraud_watchlist" in printed
    assert _count(home, "raw_reports") == 2
