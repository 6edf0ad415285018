"""Which Dagster instance the command line uses.

Production and `make ui` with ``DAGSTER_PG_HOST`` set: the repository's
``dagster.yaml`` (PostgreSQL). A fresh laptop with nothing set: a local
``DAGSTER_HOME`` under ``$DATAVAL_HOME/dagster`` with Dagster's default SQLite
storage, so the demo needs no database server.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import yaml

from dataval_pipeline.settings import Paths

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_DEFAULTS = {"DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster",
               "DAGSTER_PG_PORT": "5432"}
# What the local instance shares with the repository's dagster.yaml: everything but the storage.
SHARED_SECTIONS = ("run_coordinator", "concurrency", "freshness", "telemetry")


def local_instance_config() -> dict:
    """The local instance's ``dagster.yaml``: Dagster's default SQLite storage under its folder, and the run,
    backfill and pool limits, freshness and telemetry settings of the repository's ``dagster.yaml`` (read
    from it, so the two cannot drift), without the first-visit newsletter pop-up of the UI."""
    repo = yaml.safe_load(repo_dagster_yaml().read_text(encoding="utf-8"))
    config = {section: repo[section] for section in SHARED_SECTIONS if section in repo}
    config["nux"] = {"enabled": False}
    return config


def repo_dagster_yaml() -> Path:
    """The deployment's ``dagster.yaml`` (the repository's: production storage and limits)."""
    return REPO_ROOT / "dagster.yaml"


def prepare_dagster_home(paths: Paths) -> Path:
    """Set ``DAGSTER_HOME`` (unless the user did) to a folder holding the right ``dagster.yaml``."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = paths.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    if os.environ.get("DAGSTER_PG_HOST"):
        for key, value in PG_DEFAULTS.items():
            os.environ.setdefault(key, value)
        shutil.copyfile(repo_dagster_yaml(), home / "dagster.yaml")
    else:
        header = "# Local instance: SQLite storage under this folder; limits as in the repository's dagster.yaml.\n"
        (home / "dagster.yaml").write_text(header + yaml.safe_dump(local_instance_config(), sort_keys=False),
                                           encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance(paths: Paths) -> dg.DagsterInstance:
    prepare_dagster_home(paths)
    return dg.DagsterInstance.get()
