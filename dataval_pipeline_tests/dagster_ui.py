"""A real ``dagster-webserver`` on a throwaway instance, its GraphQL API, and headless Chromium.

Used by ``test_webserver.py`` and ``docs/screenshot.py``: both need the UI exactly as an operator
starts it (``dagster-webserver -w workspace.yaml`` from the repository root), not an in-process
imitation, so that a code location that fails to load or a run that cannot be launched shows up here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline.partitions import range_tags

LOCATION = "dataval_pipeline"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a Definitions object
ASSET_JOB = "__ASSET_JOB"  # the implicit job the UI uses to materialise a selection of assets
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on PythonError { message stack }
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message stack }
          ... on RepositoryLocation {
            repositories {
              name
              sensors { name }
              schedules { name }
              assetNodes {
                assetKey { path }
                assetChecksOrError {
                  __typename
                  ... on AssetChecks { checks { name } }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""

INSTANCE_QUERY = """
query Instance {
  instance { info runLauncher { name } runQueuingSupported }
}
"""

ADD_PARTITION_MUTATION = """
mutation AddPartition($key: String!, $partitionsDefName: String!, $repositorySelector: RepositorySelector!) {
  addDynamicPartition(partitionKey: $key, partitionsDefName: $partitionsDefName,
                      repositorySelector: $repositorySelector) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionsDefName partitionKey }
    ... on DuplicateDynamicPartitionError { partitionName }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
  }
}
"""

LAUNCH_RUN_MUTATION = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on UnauthorizedError { message }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      status
      tags { key value }
      eventConnection {
        events {
          __typename
          ... on MessageEvent { message level }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

ASSET_QUERY = """
query Asset($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode {
      assetMaterializations(partitions: $partitions) { runId partition }
      assetChecksOrError {
        ... on AssetChecks {
          checks { name blocking executionForLatestMaterialization { runId status } }
        }
      }
    }
  }
}
"""


PARTITION_METADATA_QUERY = """
query PartitionMetadata($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      assetMaterializations(partitions: $partitions) {
        runId
        partition
        metadataEntries {
          label
          __typename
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text }
          ... on MarkdownMetadataEntry { mdStr }
        }
      }
    }
  }
}
"""


def partition_metadata(server: "Webserver", asset: str, partition: str) -> dict:
    """The metadata of the latest materialisation of one partition, as the UI's partition page shows it."""
    data = server.graphql(PARTITION_METADATA_QUERY, {"assetKey": {"path": [asset]}, "partitions": [partition]})
    materializations = data["assetNodeOrError"]["assetMaterializations"]
    if not materializations:
        return {}
    entries = materializations[0]["metadataEntries"]
    return {e["label"]: e.get("intValue", e.get("text", e.get("mdStr"))) for e in entries}


def partition_keys(server: "Webserver", asset: str) -> list[str]:
    """The asset's partition keys, in the order the instance holds them."""
    data = server.graphql("query Keys($assetKey: AssetKeyInput!) { assetNodeOrError(assetKey: $assetKey) "
                          "{ ... on AssetNode { partitionKeys } } }", {"assetKey": {"path": [asset]}})
    return data["assetNodeOrError"]["partitionKeys"]


def asset_partition_url(server_url: str, asset: str, partition: str) -> str:
    """The asset's page opened on one partition (what an operator clicks in the partitions bar)."""
    return f"{server_url}/assets/{asset}?view=partitions&partition={partition}"


def repository_selector() -> dict:
    return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the instance -------------------------------------------------------------------------------


def write_instance(dagster_home: Path, *, postgres: bool) -> Path:
    """Write ``dagster.yaml`` for a webserver that launches runs by itself.

    Storage is the repository's own ``dagster.yaml`` (PostgreSQL) when ``postgres`` is true, else
    Dagster's default SQLite. The run coordinator is the default, non-queued one: with the queued
    coordinator of production a run would wait for ``dagster-daemon`` to dequeue it, which adds a
    second long-lived process and up to a polling interval of latency, and tests nothing of ours.
    Without a daemon the inbox sensor does not tick either, so nothing but the test adds partitions
    or launches runs. The community pop-up of a fresh local instance is switched off, or it covers
    the screenshots.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    config: dict = {}
    if postgres:
        config["storage"] = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8"))["storage"]
    config["run_coordinator"] = {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"}
    config["telemetry"] = {"enabled": False}
    config["nux"] = {"enabled": False}
    path = dagster_home / "dagster.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# --- the webserver ------------------------------------------------------------------------------


@dataclass
class Webserver:
    url: str
    process: subprocess.Popen
    log_path: Path
    storage: str = ""  # what the instance stores runs in, set by whoever wrote its dagster.yaml

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        """POST one GraphQL document; returns ``data`` and raises on GraphQL errors."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.load(response)
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {json.dumps(payload['errors'], indent=1)[:3000]}")
        return payload["data"]


def _stop(process: subprocess.Popen) -> None:
    """Stop the webserver and what it started (code server, run workers): its whole process group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _webserver_binary() -> str:
    found = Path(sys.executable).with_name("dagster-webserver")
    return str(found) if found.exists() else "dagster-webserver"


@contextlib.contextmanager
def running_webserver(env: dict[str, str], log_path: Path, timeout: float = 240) -> Iterator[Webserver]:
    """``dagster-webserver -w workspace.yaml`` from the repository root on a free port of 127.0.0.1,
    until its code location has loaded; stopped (with its children) on exit."""
    port = free_port()
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [_webserver_binary(), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = Webserver(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_until_loaded(server, timeout)
        yield server
    finally:
        _stop(process)
        log.close()


def wait_until_loaded(server: Webserver, timeout: float) -> dict:
    """Poll until the webserver answers and the code location is no longer LOADING."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            data = server.graphql(WORKSPACE_QUERY, timeout=30)
            entries = data["workspaceOrError"].get("locationEntries", [])
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                return data
            last = data
        except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as error:
            last = error
        time.sleep(1)
    raise TimeoutError(f"the webserver did not load {LOCATION} in {timeout:.0f} s ({last}):\n{server.log_tail()}")


def launch_partition_run(server: Webserver, asset: str, partitions: list[str]) -> str:
    """Launch one run of ``asset`` over ``partitions``, as the UI's Materialize button does: one key
    is the ``dagster/partition`` tag, several consecutive keys a range (single-run backfill)."""
    tags = {"dagster/partition": partitions[0]} if len(partitions) == 1 else range_tags(partitions)
    params = {
        "selector": {**repository_selector(), "jobName": ASSET_JOB, "assetSelection": [{"path": [asset]}]},
        "executionMetadata": {"tags": [{"key": key, "value": value} for key, value in tags.items()]},
    }
    result = server.graphql(LAUNCH_RUN_MUTATION, {"executionParams": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise AssertionError(f"launchRun failed: {json.dumps(result)[:3000]}")
    return result["run"]["runId"]


def add_partition(server: Webserver, partitions_def: str, key: str) -> dict:
    result = server.graphql(ADD_PARTITION_MUTATION, {"key": key, "partitionsDefName": partitions_def,
                                                     "repositorySelector": repository_selector()})
    return result["addDynamicPartition"]


def wait_for_run(server: Webserver, run_id: str, timeout: float = 240) -> dict:
    """Poll the run until it finishes; returns the ``Run`` (status, tags, events)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            run = server.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        except urllib.error.HTTPError as error:  # a busy webserver answers 500 now and then while a run writes
            if error.code < 500 or time.monotonic() > deadline:
                raise
            run = {}
        if run.get("status") in FINISHED or time.monotonic() > deadline:
            return run
        time.sleep(1)


def run_failure_messages(run: dict) -> str:
    events = run.get("eventConnection", {}).get("events", [])
    return "\n".join(e["message"] for e in events if e.get("level") in ("ERROR", "CRITICAL") and e.get("message"))


# --- headless Chromium --------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def asset_graph_url(server_url: str, groups: list[str]) -> str:
    """The global asset lineage page (``/asset-groups``) with every group expanded: groups start
    collapsed, and the UI keeps the open ones in ``?expanded=`` (ids ``global@global:<group>``)."""
    expanded = ",".join(f"global@global:{group}" for group in sorted(groups))
    return f"{server_url}/asset-groups?expanded={expanded}"


def screenshot(url: str, out: Path, size: tuple[int, int] = (1600, 1000), budget_ms: int = 30000,
               timeout: float = 120) -> str:
    """Render ``url`` in headless Chromium, write a PNG to ``out`` and return the page's DOM.

    ``--virtual-time-budget`` lets the React app fetch its GraphQL data and lay out the graph before
    the capture (virtual time waits while requests are in flight), so no DevTools client is needed.
    Background networking, component updates and sync are off: nothing is fetched from outside.
    """
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dataval-chromium-") as profile:
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
            "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}", f"--screenshot={out}",
            f"--window-size={size[0]},{size[1]}", f"--virtual-time-budget={budget_ms}", "--dump-dom", url,
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            dom, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        finally:
            with contextlib.suppress(ProcessLookupError):  # renderer or zygote left behind
                os.killpg(process.pid, signal.SIGKILL)
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"chromium exited with {process.returncode}: {errors.decode(errors='replace')[-3000:]}")
    return dom.decode("utf-8", errors="replace")


def png_summary(path: Path) -> tuple[int, int, int]:
    """Width, height and number of distinct colours of a PNG (Pillow, which reportlab requires)."""
    from PIL import Image

    with Image.open(path) as image:
        image.verify()  # a truncated or corrupt file raises here
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
        return rgb.width, rgb.height, len(colours or [])
