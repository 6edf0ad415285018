"""The Dagster UI as an operator starts it: ``dagster-webserver -w workspace.yaml`` on a fresh instance.

One webserver per module (starting one costs 10-40 s). Its instance stores runs in a fresh PostgreSQL
database through the repository's ``dagster.yaml`` storage when a server answers on 127.0.0.1:5432,
else in SQLite; either way with the default run coordinator, so the webserver launches runs itself
and no daemon is needed (see ``dagster_ui.write_instance``).
"""

from __future__ import annotations

import contextlib
import os
import time

import pytest

from dataval_pipeline.ingest.assets import RAW_REPORTS
from dataval_pipeline.ingest.landing import land_inbox
from dataval_pipeline.partitions import report_partitions
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse.store import product_dir, read_partitions
from dataval_pipeline_tests import dagster_ui, postgres
from dataval_pipeline_tests.conftest import fill_inbox, read_gold

pytestmark = pytest.mark.slow


REJECTED_FILE = "vide.pdf"  # the sample's empty file: a rejected report


@pytest.fixture(scope="module")
def ui_home(tmp_path_factory, sample_corpus) -> Paths:
    """A DATAVAL_HOME whose inbox holds two sample reports (the empty file comes later)."""
    paths = Paths((tmp_path_factory.mktemp("ui") / "home").resolve())
    fill_inbox(paths, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2])
    return paths


@pytest.fixture(scope="module")
def webserver(tmp_path_factory, ui_home):
    folder = tmp_path_factory.mktemp("webserver")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DATAVAL_"))}
    with contextlib.ExitStack() as stack:
        use_postgres = postgres.reachable()
        if use_postgres:
            env.update(postgres.dagster_env(stack.enter_context(postgres.fresh_database("dataval_ui"))))
        dagster_ui.write_instance(folder / "dagster_home", postgres=use_postgres)
        env.update(DAGSTER_HOME=str(folder / "dagster_home"), DATAVAL_HOME=str(ui_home.home))
        server = stack.enter_context(dagster_ui.running_webserver(env, folder / "webserver.log"))
        server.storage = "postgres" if use_postgres else "sqlite"
        yield server


def in_process_definitions() -> dict[str, set]:
    """What the code location defines, read from the same ``Definitions`` object."""
    from dataval_pipeline.definitions import defs

    repo = defs.get_repository_def()
    graph = defs.resolve_asset_graph()
    return {
        "assets": {key.to_user_string() for key in graph.get_all_asset_keys()},
        "checks": {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys},
        "sensors": {sensor.name for sensor in repo.sensor_defs},
        "schedules": {schedule.name for schedule in repo.schedule_defs},
        "groups": {group for assets_def in repo.assets_defs_by_key.values()
                   for group in assets_def.group_names_by_key.values()},
    }


def test_code_location_loads_and_lists_every_definition(webserver):
    data = webserver.graphql(dagster_ui.WORKSPACE_QUERY)["workspaceOrError"]
    assert data["__typename"] == "Workspace", data
    [entry] = data["locationEntries"]
    assert entry["name"] == dagster_ui.LOCATION and entry["loadStatus"] == "LOADED"
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location.get("message", "") + location.get("stack", "")
    [repository] = location["repositories"]
    nodes = repository["assetNodes"]
    served = {
        "assets": {"/".join(node["assetKey"]["path"]) for node in nodes},
        "checks": {("/".join(node["assetKey"]["path"]), check["name"])
                   for node in nodes for check in node["assetChecksOrError"].get("checks", [])},
        "sensors": {sensor["name"] for sensor in repository["sensors"]},
        "schedules": {schedule["name"] for schedule in repository["schedules"]},
    }
    assert all(node["assetChecksOrError"]["__typename"] == "AssetChecks" for node in nodes)
    expected = in_process_definitions()
    for kind in ("assets", "checks", "sensors", "schedules"):
        assert served[kind] == expected[kind], kind
    assert "raw_reports" in served["assets"] and "inbox_sensor" in served["sensors"]

    instance = webserver.graphql(dagster_ui.INSTANCE_QUERY)["instance"]
    storage = "PostgresRunStorage" if webserver.storage == "postgres" else "SqliteRunStorage"
    assert f"run_storage: {storage}" in instance["info"]
    assert instance["runLauncher"]["name"] == "DefaultRunLauncher" and not instance["runQueuingSupported"]


def test_one_raw_reports_partition_materialises_through_the_webserver(webserver, ui_home):
    landed, _ = land_inbox(ui_home)  # what the inbox sensor does before it registers partitions
    assert len(landed) == 2
    key, other = landed[0].report_id, landed[1].report_id
    added = dagster_ui.add_partition(webserver, report_partitions.name, key)
    assert added == {"__typename": "AddDynamicPartitionSuccess", "partitionsDefName": "reports",
                     "partitionKey": key}

    run_id = dagster_ui.launch_partition_run(webserver, "raw_reports", [key])
    run = dagster_ui.wait_for_run(webserver, run_id)
    assert run["status"] == "SUCCESS", (
        f"{run.get('status')}: {dagster_ui.run_failure_messages(run)}\n{webserver.log_tail()}")
    assert {"key": "dagster/partition", "value": key} in run["tags"]

    asset = webserver.graphql(dagster_ui.ASSET_QUERY, {"assetKey": {"path": ["raw_reports"]},
                                                      "partitions": [key]})["assetNodeOrError"]
    assert asset["assetMaterializations"] == [{"runId": run_id, "partition": key}]
    checks = asset["assetChecksOrError"]["checks"]
    assert checks and all(c["executionForLatestMaterialization"]["runId"] == run_id for c in checks)
    blocking = [c for c in checks if c["blocking"]]
    assert blocking and all(c["executionForLatestMaterialization"]["status"] == "SUCCEEDED" for c in blocking)

    [row] = read_partitions(ui_home, RAW_REPORTS, [key]).to_pylist()
    assert row["report_id"] == key and row["status"] == "ok" and row["page_count"] >= 1
    files = sorted(p.name for p in product_dir(ui_home.warehouse, RAW_REPORTS).glob("part-*.parquet"))
    assert files == [f"part-{key}.parquet"], f"only the launched partition ({key}, not {other}) is written"


def test_asset_graph_renders_in_headless_chromium(webserver, tmp_path):
    if dagster_ui.chromium_binary() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    expected = in_process_definitions()
    out = tmp_path / "asset_graph.png"
    dom = dagster_ui.screenshot(dagster_ui.asset_graph_url(webserver.url, sorted(expected["groups"])), out,
                                size=(1600, 1000))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, colours = dagster_ui.png_summary(out)
    assert (width, height) == (1600, 1000)
    assert colours > 200, f"the page looks blank ({colours} colours)"  # an unrendered page has 1
    assert "Global asset lineage" in dom
    assert all(group in dom for group in expected["groups"]), "every asset group is on the page"
    assert any(name in dom for name in expected["assets"]), "the expanded graph shows the asset nodes"



def test_each_partition_shows_its_own_rows_and_status_and_no_personal_data(webserver, ui_home, sample_corpus, tmp_path):
    """One run over an accepted and a rejected report: each partition's page says its own row count, status,
    reason, pages and source label (never the other report's, never the batch's), and no page the operator
    opens (the partitions, the run) shows personal data of the reports."""
    fill_inbox(ui_home, sample_corpus, names=[REJECTED_FILE])
    deadline = time.monotonic() + 60
    while len(list(ui_home.landing.glob("*.pdf"))) < 3 and time.monotonic() < deadline:
        land_inbox(ui_home)  # what the inbox sensor does first (a file lands once it has settled)
        time.sleep(1)
    landed = sorted(p.stem for p in ui_home.landing.glob("*.pdf"))
    assert len(landed) == 3
    for key in landed:  # the first test added one already: that one answers DuplicateDynamicPartitionError
        dagster_ui.add_partition(webserver, report_partitions.name, key)
    keys = dagster_ui.partition_keys(webserver, "raw_reports")  # in registration order, for a range
    assert sorted(keys) == landed
    run_id = dagster_ui.launch_partition_run(webserver, "raw_reports", keys)
    run = dagster_ui.wait_for_run(webserver, run_id)
    assert run["status"] == "SUCCESS", f"{dagster_ui.run_failure_messages(run)}\n{webserver.log_tail()}"
    rows = {r["report_id"]: r for r in read_partitions(ui_home, RAW_REPORTS, keys).to_pylist()}
    rejected = [k for k, r in rows.items() if r["status"] == "rejected"]
    accepted = [k for k, r in rows.items() if r["status"] == "ok"]
    assert len(rejected) == 1 and len(accepted) == 2, {k: r["status"] for k, r in rows.items()}
    for key in keys:
        metadata = dagster_ui.partition_metadata(webserver, "raw_reports", key)
        row = rows[key]
        assert metadata["dagster/row_count"] == 1, (key, metadata)
        assert metadata["status"] == row["status"]
        assert metadata["pages"] == row["page_count"]
        assert metadata["source"] == row["source_label"] and key in metadata["source"]
        if row["status"] == "rejected":
            assert metadata["reject_reason"] == row["reject_reason"] and "empty" in row["reject_reason"]
        else:
            assert row["page_count"] >= 1 and "reject_reason" not in metadata

    gold = {g["report_id"]: g for g in read_gold(sample_corpus)}
    surfaces = {p["surface"] for key in accepted for p in gold.get(key, {}).get("pii", []) if len(p["surface"]) >= 6}
    assert surfaces, "the accepted reports hold labelled personal data"
    if dagster_ui.chromium_binary() is None:
        pytest.fail("chromium is missing (Debian: apt-get install chromium; .ci/run installs it)")
    pages = [dagster_ui.asset_partition_url(webserver.url, "raw_reports", key) for key in keys]
    pages.append(f"{webserver.url}/runs/{run_id}")
    for number, url in enumerate(pages):
        dom = dagster_ui.screenshot(url, tmp_path / f"page-{number}.png", size=(1400, 1000))
        assert "raw_reports" in dom, url
        shown = [s for s in surfaces if s in dom]
        assert not shown, f"{url} shows personal data ({len(shown)} surface(s))"
    partition_page = dagster_ui.screenshot(pages[keys.index(rejected[0])], tmp_path / "rejected.png", size=(1400, 1000))
    assert rejected[0] in partition_page
