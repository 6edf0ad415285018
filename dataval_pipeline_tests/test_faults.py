"""Faults a production run meets: the LLM server dies mid-run, a writer is killed mid-write, the
database restarts between runs. Each uses the real thing: an HTTP server, a process, PostgreSQL."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS, anonymised_corpus
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline.config import load_taxonomy_config
from dataval_pipeline.findings.assets import LLM_QUARANTINE, read_findings_asset
from dataval_pipeline.findings.read import read_report
from dataval_pipeline.findings.rows import FINDINGS
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import LLMResource, WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.themes.classify import ASK_MARGIN_ENV, needs_model
from dataval_pipeline.themes.evidence import finding_evidence
from dataval_pipeline.warehouse import catalog
from dataval_pipeline.warehouse.store import TEMP_DIR, product_dir, read_partitions
from dataval_pipeline_tests import postgres
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import QUIET_LOGS, materialize_reports
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer


# -- the LLM server killed mid-run ----------------------------------------------------------------------------
def _read_findings(home, instance, keys, base_url) -> dg.ExecuteInProcessResult:
    llm = LLMResource(base_url=base_url, model="scripted", concurrency=2, backoff_s=0.05)
    return dg.materialize([read_findings_asset], instance=instance, run_config=QUIET_LOGS,
                          resources={"warehouse": WarehouseResource(home=str(home.home)), "llm": llm},
                          tags=range_tags(keys))


def _questions(texts: dict[str, str]) -> int:
    """The distinct questions the themes stage asks about these reports (one per finding that needs the model)."""
    taxonomy = load_taxonomy_config()
    asked = set()
    for text in texts.values():
        for f in read_report(text).findings:
            if needs_model(finding_evidence(f.text, f.legal_refs, f.section, taxonomy), 1.0):
                asked.add((f.text, f.section, f.legal_refs, f.kind))
    return len(asked)


def _kill_when_busy(server: ScriptedLLMServer, run_over: threading.Event) -> None:
    """Kill the server once some answers went out and more requests are waiting for theirs."""
    while not run_over.is_set():
        if server.answered >= 2 and server.in_flight >= 1:
            server.kill()
            return
        time.sleep(0.01)


def test_llm_server_killed_mid_run_quarantines_then_a_new_server_finishes(home, tmp_path, monkeypatch):
    monkeypatch.setenv(ASK_MARGIN_ENV, "1.0")  # every finding with close candidates is a question
    corpus = tmp_path / "corpus"
    generate_sample(corpus, reports=5, seed=404, max_pages=2, with_bad_files=False)
    fill_inbox(home, corpus)
    with dg.instance_for_test() as instance:
        assert materialize_reports(home, instance, [raw_reports, anonymised_corpus], anonymiser=True).success
        keys = instance.get_dynamic_partitions("reports")
        texts = {r["report_id"]: r["text"] for r in read_partitions(home, ANONYMISED_CORPUS).to_pylist()}
        questions = _questions(texts)
        assert questions >= 6  # some answered, some in flight and some queued when the server dies

        first, run_over = ScriptedLLMServer(delay_s=0.4).__enter__(), threading.Event()
        killer = threading.Thread(target=_kill_when_busy, args=(first, run_over))
        killer.start()
        try:
            result = _read_findings(home, instance, keys, first.base_url)
        finally:
            run_over.set()
            killer.join()
            first.__exit__(None, None, None)
        assert first.killed
        assert result.success, "a dead LLM server must quarantine requests, not fail the run"
        answered = len(list((home.cache / "llm").rglob("*.json")))  # what the client got and cached
        assert 0 < answered < questions
        read = {r["report_id"] for r in read_partitions(home, FINDINGS).to_pylist()}
        assert read == set(texts), "no report is lost: evidence decides where the model could not"
        quarantined = read_partitions(home, LLM_QUARANTINE).to_pylist()
        assert quarantined, "the requests that got no answer are quarantined"
        for row in quarantined:
            assert row["reason"].startswith("LLM server unavailable after 4 attempts"), row["reason"]
        metadata = result.asset_materializations_for_node("read_findings")
        quarantine_meta = next(m.metadata for m in metadata if m.asset_key == dg.AssetKey(LLM_QUARANTINE.name))
        assert quarantine_meta["rows_in_run"].value == len(quarantined)

        with ScriptedLLMServer() as second:  # a new server, on a new port
            assert second.base_url != first.base_url
            rerun = _read_findings(home, instance, keys, second.base_url)
        assert rerun.success
        # the themes' questions (the signals stage asks its own, which this scripted server cannot answer)
        sent = [b["messages"][-1]["content"] for b in second.requests
                if b["response_format"].get("json_schema", {}).get("name") == "FindingTheme"]
        assert len(sent) == questions - answered, "only the questions not answered before are sent again"
        assert len(set(sent)) == len(sent)
        assert read_partitions(home, LLM_QUARANTINE).num_rows == 0


# -- a writer killed with SIGKILL in the middle of a Parquet write ---------------------------------------------
PARTITIONS = [f"{i:016x}" for i in range(3)]
ROWS = 4_000  # 6 MB of text per partition: a write takes long enough to be caught in the middle
WRITER = """
import random, sys
from pathlib import Path
import pyarrow as pa
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse.store import write_partition

def partition_table(partition, rows):
    # distinct keys; random text compresses badly, so the file is large and a write takes a while
    rng = random.Random(partition)
    texts = [rng.randbytes(750).hex() for _ in range(rows)]
    return pa.table({
        "report_id": [f"{partition[-4:]}{i:012x}" for i in range(rows)], "text": texts,
        "entity_counts": ["{}"] * rows, "entity_total": [0] * rows, "char_count": [len(t) for t in texts],
        "anonymiser_version": [""] * rows, "anonymised_at": pa.array([0] * rows, pa.timestamp("us", tz="UTC")),
    })

home, mode, rows, partitions = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
contract = load_contract("anonymised_corpus")
tables = {p: partition_table(p, rows) for p in partitions}
column = tables[partitions[0]].schema.get_field_index("anonymiser_version")
print("writing", flush=True)
generation = 0
while True:  # "loop": until killed; "once:<version>": one write of each partition
    generation += 1
    version = mode.split(":", 1)[1] if mode.startswith("once:") else f"gen-{generation}"
    for partition, table in tables.items():
        write_partition(Paths(home), contract, partition, table.set_column(column, "anonymiser_version",
                                                                          pa.array([version] * rows)))
    if mode.startswith("once:"):
        break
"""


def _run_writer(home, mode: str) -> subprocess.Popen:
    """A separate Python process writing the partitions through the pipeline's store."""
    return subprocess.Popen([sys.executable, "-c", WRITER, str(home.home), mode, str(ROWS), *PARTITIONS],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def _write_once(home, version: str) -> None:
    writer = _run_writer(home, f"once:{version}")
    assert writer.wait(timeout=120) == 0
    writer.stdout.close()


def _assert_readers_see_whole_partitions(home, contract) -> set[str]:
    """Every file a reader's glob finds is complete, and no row appears twice; returns the versions seen."""
    folder = product_dir(home.warehouse, contract)
    files = sorted(folder.glob("part-*.parquet"))
    assert [f.name for f in files] == [f"part-{p}.parquet" for p in PARTITIONS]
    for path in files:
        assert pq.read_table(path).num_rows == ROWS
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        count, distinct, versions = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT report_id), LIST(DISTINCT anonymiser_version) FROM anonymised_corpus"
        ).fetchone()
    finally:
        con.close()
    assert count == distinct == ROWS * len(PARTITIONS)
    assert read_partitions(home, contract).num_rows == ROWS * len(PARTITIONS)
    return set(versions)


def test_a_writer_killed_mid_write_leaves_readers_whole_files_and_the_rerun_cleans_up(home):
    contract = load_contract("anonymised_corpus")
    _write_once(home, "gen-0")  # what readers had before the crash
    catalog.publish_views(home, contract)
    temp_dir = product_dir(home.warehouse, contract) / TEMP_DIR
    rng = random.Random()
    caught_mid_write = False
    for _ in range(6):
        writer = _run_writer(home, "loop")
        assert writer.stdout.readline().strip() == "writing"
        time.sleep(rng.uniform(0.05, 1.0))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        _assert_readers_see_whole_partitions(home, contract)  # whatever the moment of the kill
        if list(temp_dir.glob("*.tmp")):
            caught_mid_write = True
            break
    assert caught_mid_write, "no kill landed during a write in 6 tries"
    stale = list(temp_dir.glob("*.tmp"))
    assert not list(product_dir(home.warehouse, contract).glob("*.tmp")), "temporary files stay out of the folder"

    _write_once(home, "final")
    assert _assert_readers_see_whole_partitions(home, contract) == {"final"}
    assert not any(path.exists() for path in stale), "the next write removes a dead writer's temporary file"
    assert not list(temp_dir.glob("*.tmp"))


# -- PostgreSQL restarted between two runs -------------------------------------------------------------------
def _postmaster_started(database: str):
    with postgres.connect(database) as con, con.cursor() as cursor:
        cursor.execute("SELECT pg_postmaster_start_time()")
        return cursor.fetchone()[0]


def _restart_postgres(database: str) -> str:
    """Restart the server where this machine can (root and Debian's pg_ctlcluster); else end every session
    of the test database from the client side. Returns which of the two happened."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if versions and shutil.which("pg_ctlcluster") and os.geteuid() == 0:
        done = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode == 0:
            for _ in range(120):
                ready = subprocess.run(["pg_isready", "-h", postgres.PG["host"], "-p", str(postgres.PG["port"])],
                                       capture_output=True)
                if ready.returncode == 0:
                    return "restarted"
                time.sleep(0.5)
            pytest.fail("PostgreSQL did not come back within 60 s of its restart")
    with postgres.connect("postgres") as admin:
        admin.autocommit = True
        admin.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                               (database,))
    return "sessions terminated"


def test_postgres_restart_between_runs_keeps_the_history(home, tmp_path, monkeypatch, postgres_database):
    corpus = tmp_path / "corpus"
    generate_sample(corpus, reports=2, seed=505, max_pages=1, with_bad_files=False)
    first_file, second_file = sorted(p.name for p in corpus.glob("*.pdf"))
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    for key, value in {"DAGSTER_HOME": str(dagster_home), **postgres.dagster_env(postgres_database)}.items():
        monkeypatch.setenv(key, value)

    instance = dg.DagsterInstance.get()
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        fill_inbox(home, corpus, names=[first_file])
        first = materialize_reports(home, instance, [raw_reports])
        assert first.success
        started = _postmaster_started(postgres_database)
        how = _restart_postgres(postgres_database)
        if how == "restarted":
            assert _postmaster_started(postgres_database) > started
        print(f"PostgreSQL between the two runs: {how}")
        # the same instance object carries on: dagster-postgres opens a new connection per operation
        assert len(instance.get_dynamic_partitions("reports")) == 1
        fill_inbox(home, corpus, names=[second_file])
        second = materialize_reports(home, instance, [raw_reports])
        assert second.success
    finally:
        instance.dispose()

    reopened = dg.DagsterInstance.get()
    try:
        runs = reopened.get_runs()
        assert {run.run_id for run in runs} == {first.run_id, second.run_id}
        assert all(run.is_success for run in runs)
        partitions = reopened.get_dynamic_partitions("reports")
        assert len(partitions) == 2
        assert reopened.get_materialized_partitions(dg.AssetKey("raw_reports")) == set(partitions)
    finally:
        reopened.dispose()
