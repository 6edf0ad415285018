"""With `dagster-daemon` running on the workspace, a PDF dropped into the inbox reaches every per-report
product with no other action: the inbox sensor registers it and requests its first stage, the automation
sensor each later stage, one stage per run, and the run queue launches them."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline_tests.dagster_ui import _stop
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

PRODUCTS = ("raw_reports", "anonymised_corpus", "report_classifications", "extracted_facts")
# The per-report stages, in order: a run holds one of them (a blocking check then judges one report).
STAGES = (("raw_reports",), ("anonymised_corpus",), ("findings", "measures", "fraud_signals", "llm_quarantine"),
          ("report_classifications", "extracted_facts"))
STAGE_OF = {name: index for index, names in enumerate(STAGES) for name in names}


def _rows(catalog: Path, product: str) -> int:
    if not catalog.exists():
        return 0
    try:
        with duckdb.connect(str(catalog), read_only=True) as con:
            return con.execute(f"SELECT COUNT(*) FROM {product}").fetchone()[0]
    except (duckdb.CatalogException, duckdb.IOException):  # not published yet, or being written
        return 0


def test_a_dropped_pdf_reaches_every_per_report_product(tmp_path, sample_corpus):
    dagster_home, dataval_home = tmp_path / "dagster", tmp_path / "home"
    dagster_home.mkdir()
    (dataval_home / "inbox").mkdir(parents=True)
    # The production coordinator: runs wait in the queue until the daemon launches them.
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump({
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"},
        "telemetry": {"enabled": False}}), encoding="utf-8")
    daemon_bin = Path(sys.executable).with_name("dagster-daemon")
    with ScriptedLLMServer() as llm:
        env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "DATAVAL_HOME": str(dataval_home),
               "DATAVAL_LLM_BASE_URL": llm.base_url, "DATAVAL_LLM_MODEL": "scripted"}
        env.pop("DAGSTER_PG_HOST", None)
        log = open(tmp_path / "daemon.log", "wb")
        daemon = subprocess.Popen([str(daemon_bin), "run", "-w", "workspace.yaml"], cwd=REPO_ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            pdf = sorted(sample_corpus.glob("2*.pdf"))[0]
            shutil.copy2(pdf, dataval_home / "inbox" / pdf.name)
            catalog = dataval_home / "warehouse" / "dataval.duckdb"
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and min(_rows(catalog, product) for product in PRODUCTS) < 1:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text(errors="replace")[-3000:]
                time.sleep(5)
            counts = {product: _rows(catalog, product) for product in PRODUCTS}
            findings = _rows(catalog, "findings")
        finally:
            _stop(daemon)
            log.close()
    if min(counts.values()) < 1:
        pytest.fail(f"rows per product after 10 minutes: {counts}\n"
                    + (tmp_path / "daemon.log").read_text(errors="replace")[-3000:])
    # Every per-report product, the findings step (with its LLM resource) included, came from runs the daemon
    # launched; whether the model was asked depends on how sure the evidence was, so calls are not counted here.
    assert counts == dict.fromkeys(PRODUCTS, 1)
    assert findings > 0, "the findings step ran for the dropped report"
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = [sorted(key.path[-1] for key in run.asset_selection or ()) for run in instance.get_runs()]
    per_run_stages = [{STAGE_OF[name] for name in selected if name in STAGE_OF} for selected in runs]
    assert all(len(stages) <= 1 for stages in per_run_stages), f"a run held several stages: {runs}"
    assert set().union(*per_run_stages) == set(range(len(STAGES))), runs
