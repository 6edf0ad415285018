"""The console script as a user runs it: sample, then the demo end to end."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dataval_pipeline.instance import REPO_ROOT

DATAVAL = str(Path(sys.executable).with_name("dataval"))


def _run(args, home, timeout=600):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DATAVAL_"))}
    env["DATAVAL_HOME"] = str(home)
    return subprocess.run([DATAVAL, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_sample_command_writes_pdfs_gold_and_reference(tmp_path):
    result = _run(["sample", "--out", str(tmp_path / "out"), "--reports", "4", "--seed", "3"], tmp_path / "home")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert len(list(out.glob("*.pdf"))) == 4 + 6
    assert len((out / "gold.jsonl").read_text().splitlines()) == 10
    assert (out / "reference" / "finess_etablissements.csv").read_text().startswith("finess;etalab;")


def test_demo_runs_end_to_end_on_a_fresh_home(tmp_path):
    home = tmp_path / "home"
    result = _run(["demo", "--reports", "4"], home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "raw_reports" in result.stdout and "dataval.duckdb" in result.stdout
    assert (home / "dagster" / "dagster.yaml").exists(), "the embedded default uses a local DAGSTER_HOME"
    con = duckdb.connect(str(home / "warehouse" / "dataval.duckdb"), read_only=True)
    try:
        (rows,) = con.execute("SELECT COUNT(*) FROM raw_reports").fetchone()
        (rejected,) = con.execute("SELECT COUNT(*) FROM raw_reports WHERE status = 'rejected'").fetchone()
    finally:
        con.close()
    assert rows == len(list((home / "inbox").glob("*.pdf")))
    assert rejected in (4, 5)  # the scanned PDF is rescued when Tesseract is installed
    # a second demo reuses the inbox and the instance
    again = _run(["demo"], home)
    assert again.returncode == 0, again.stderr[-3000:]
