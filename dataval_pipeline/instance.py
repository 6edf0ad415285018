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

from dataval_pipeline.settings import Paths

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_DEFAULTS = {"DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster",
               "DAGSTER_PG_PORT": "5432"}
LOCAL_INSTANCE_YAML = """# Local instance: Dagster's default SQLite storage under this folder.
telemetry:
  enabled: false
"""


def prepare_dagster_home(paths: Paths) -> Path:
    """Set ``DAGSTER_HOME`` (unless the user did) to a folder holding the right ``dagster.yaml``."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = paths.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    if os.environ.get("DAGSTER_PG_HOST"):
        for key, value in PG_DEFAULTS.items():
            os.environ.setdefault(key, value)
        shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(LOCAL_INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance(paths: Paths) -> dg.DagsterInstance:
    prepare_dagster_home(paths)
    return dg.DagsterInstance.get()
