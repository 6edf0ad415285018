"""The code location loads; the repo's dagster.yaml stores runs in a real PostgreSQL."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import dagster as dg
import pytest
import yaml

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


def test_code_location_passes_dg_check_defs(tmp_path):
    """`dg check defs` (dagster-dg-cli, the successor of `dagster definitions validate`) on the project."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "DATAVAL_HOME": str(tmp_path / "home")}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs", "--use-active-venv"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout + result.stderr


# --- the asset graph, as reviewed: a change to any spec shows in this file's diff ----------------------------
SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_specs.json"
UPDATE_ENV = "DATAVAL_UPDATE_SNAPSHOTS"


def asset_specs_snapshot() -> dict:
    """Every asset's key, deps, group, kinds, owners, partitions, automation and checks (with partitions and
    blocking), and the jobs, sensors and schedules, in a stable order."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_executable:
            continue
        spec = repo.assets_defs_by_key[key].specs_by_key[key]
        checks = {}
        for check_key in sorted((c for c in graph.asset_check_keys if c.asset_key == key), key=lambda c: c.name):
            check = graph.get(check_key)
            checks[check_key.name] = {"blocking": check.blocking,
                                      "partitions": type(check.partitions_def).__name__ if check.partitions_def
                                      else None}
        assets[key.to_user_string()] = {
            "deps": sorted(d.to_user_string() for d in node.parent_keys),
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "owners": sorted(spec.owners),
            "partitions": getattr(node.partitions_def, "name", None) if node.partitions_def else None,
            "automation": node.automation_condition.get_label() or type(node.automation_condition).__name__
            if node.automation_condition else None,
            "freshness": spec.freshness_policy is not None,
            "pool": repo.assets_defs_by_key[key].op.pool,
            "checks": checks,
        }
    return {"assets": assets,
            "sensors": sorted(s.name for s in repo.sensor_defs),
            "schedules": {s.name: s.cron_schedule for s in repo.schedule_defs}}


def test_asset_specs_match_the_reviewed_snapshot():
    """Keys, deps, groups, kinds, owners, partitions and checks of every asset: a change is deliberate
    (re-run with DATAVAL_UPDATE_SNAPSHOTS=1 and review the diff of snapshots/asset_specs.json)."""
    current = asset_specs_snapshot()
    if os.environ.get(UPDATE_ENV):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert current == json.loads(SNAPSHOT.read_text(encoding="utf-8")), f"asset graph changed: {UPDATE_ENV}=1"


def test_every_per_report_product_has_a_partitioned_blocking_check():
    for name, spec in asset_specs_snapshot()["assets"].items():
        if spec["partitions"]:
            assert spec["checks"]["contract"] == {"blocking": True, "partitions": "DynamicPartitionsDefinition"}, name
            assert spec["checks"]["quality"] == {"blocking": False, "partitions": None}, name
        else:
            assert spec["checks"]["contract"]["blocking"] and spec["freshness"], name


# --- the instances -------------------------------------------------------------------------------------------


def test_the_local_instance_has_the_limits_of_the_repo_dagster_yaml(home):
    """`dataval dagster-home` (make ui, dataval demo): SQLite storage, the same run, backfill and pool limits
    as the production dagster.yaml, telemetry off, no newsletter pop-up."""
    from dataval_pipeline.instance import get_instance

    instance = get_instance(home)
    try:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        config = instance.get_concurrency_config()
        repo = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8"))["concurrency"]
        assert config.run_queue_config.max_concurrent_runs == repo["runs"]["max_concurrent_runs"] == 4
        assert config.run_queue_config.tag_concurrency_limits == repo["runs"]["tag_concurrency_limits"]
        assert config.pool_config.default_pool_limit == repo["pools"]["default_limit"] == 1
        assert not instance.nux_enabled and not instance.telemetry_enabled
    finally:
        instance.dispose()


def test_resources_name_their_environment_variables():
    """The UI's resource page shows which variable configures what (dg.EnvVar), and what applies when unset."""
    from dataval_pipeline.resources import configured_resources

    resources = configured_resources({"DATAVAL_HOME": "/srv/dataval", "DATAVAL_LLM_BASE_URL": "http://llm/v1",
                                      "DATAVAL_LLM_CONCURRENCY": "8"})
    assert resources["warehouse"].home == dg.EnvVar("DATAVAL_HOME")
    assert resources["llm"].base_url == dg.EnvVar("DATAVAL_LLM_BASE_URL")
    assert resources["llm"].concurrency == dg.EnvVar.int("DATAVAL_LLM_CONCURRENCY")
    unset = configured_resources({})
    assert unset["warehouse"].home and Path(unset["warehouse"].home).is_absolute(), "the default path, shown"
    assert unset["llm"].base_url == ""


# --- packaging -----------------------------------------------------------------------------------------------


def test_the_wheel_carries_the_contracts(tmp_path):
    """A wheel built from the repository holds data_contracts/ inside the package (and not the tests), and the
    contracts load from the wheel's own files (unpacked on sys.path ahead of the editable install, from
    another directory)."""
    source = tmp_path / "source"  # a copy: setuptools writes build/ beside the project it builds
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "data")
    shutil.copytree(REPO_ROOT / "dataval_pipeline", source / "dataval_pipeline", symlinks=True, ignore=ignore)
    shutil.copytree(REPO_ROOT / "data_contracts", source / "data_contracts")
    shutil.copytree(REPO_ROOT / "dataval_pipeline_tests", source / "dataval_pipeline_tests", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, source / name)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [wheel] = tmp_path.glob("dataval_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if n.startswith("dataval_pipeline_tests/")], "the tests are not part of the wheel"
    shipped = {Path(n).name for n in names if n.startswith("dataval_pipeline/data_contracts/")}
    assert shipped == {p.name for p in (REPO_ROOT / "data_contracts").iterdir() if p.suffix in (".yaml", ".json")}
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import dataval_pipeline.contracts.model as m; "
             "c = m.load_contract('raw_reports'); print(m.contracts_dir()); print(c.name, len(c.columns))")
    out = subprocess.run([sys.executable, "-c", probe, str(unpacked)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={k: v for k, v in os.environ.items() if k != "DATAVAL_CONTRACTS_DIR"})
    assert out.returncode == 0, out.stderr[-3000:]
    folder, loaded = out.stdout.strip().splitlines()
    assert Path(folder) == unpacked / "dataval_pipeline" / "data_contracts"
    assert loaded.startswith("raw_reports ")


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
