"""The PostgreSQL the tests use (127.0.0.1:5432, user postgres, trust): a fresh database per test and
the DAGSTER_PG_* variables that point the repository's dagster.yaml at it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from dataval_pipeline.instance import PG_DEFAULTS

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def connect(database: str = "postgres"):
    import psycopg2

    return contextlib.closing(psycopg2.connect(dbname=database, connect_timeout=3, **PG))


def reachable() -> bool:
    try:
        with connect():
            return True
    except Exception:  # no driver, no server, no role
        return False


def _admin(sql: str) -> None:
    with connect() as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql)


@contextlib.contextmanager
def fresh_database(prefix: str = "dataval_test") -> Iterator[str]:
    """A new, empty database, dropped afterwards over a new connection (the server may restart meanwhile)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def dagster_env(database: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables the repository's dagster.yaml reads."""
    return {**PG_DEFAULTS, "DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]),
            "DAGSTER_PG_USER": PG["user"], "DAGSTER_PG_DB": database}
