"""The code location loads; the repo's dagster.yaml stores runs in a real PostgreSQL."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dataval_pipeline.definitions import defs
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline_tests import postgres
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import materialize_reports



def test_definitions_hold_the_products_and_the_sensor():
    repo = defs.get_repository_def()
    assert dg.AssetKey("raw_reports") in repo.assets_defs_by_key
    assert {s.name for s in repo.sensor_defs} >= {"inbox_sensor"}
    spec = repo.assets_defs_by_key[dg.AssetKey("raw_reports")].specs_by_key[dg.AssetKey("raw_reports")]
    schema = spec.metadata["dagster/column_schema"]
    assert "text" not in [c.name for c in schema.columns], "the UI must not advertise the restricted column"


def test_workspace_validates_with_the_dagster_cli(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "DATAVAL_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_repo_dagster_yaml_stores_materialisations_in_postgres(home, sample_corpus, tmp_path, monkeypatch, postgres_database):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    for key, value in {"DAGSTER_HOME": str(dagster_home), **postgres.dagster_env(postgres_database)}.items():
        monkeypatch.setenv(key, value)
    fill_inbox(home, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:1])
    instance = dg.DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    result = materialize_reports(home, instance, [raw_reports])
    assert result.success
    instance.dispose()
    # a new instance (new connections) reads the event back from PostgreSQL
    reopened = dg.DagsterInstance.get()
    try:
        event = reopened.get_latest_materialization_event(dg.AssetKey("raw_reports"))
        assert event is not None and event.run_id == result.run_id
        assert reopened.get_run_by_id(result.run_id).is_success
        assert reopened.get_dynamic_partitions("reports") == [event.dagster_event.partition]
    finally:
        reopened.dispose()
