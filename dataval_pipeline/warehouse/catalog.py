"""The analysts' DuckDB catalog: one view per product over its Parquet folder.

Views glob the folder, so new partitions appear without touching the catalog.
The pipeline only opens the file for writing when a view is missing or points
elsewhere (a new product or a new major version); an analyst holding it open
read-only therefore never blocks a materialisation, and if the lock is taken
the write is retried and then reported, not fatal (the Parquet is already there).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from dataval_pipeline.contracts import Contract
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse.store import product_dir


def view_sql(paths: Paths, contract: Contract, major: int) -> str:
    folder = product_dir(paths.warehouse, contract, major)
    pattern = str(folder / "part-*.parquet").replace("'", "''")
    return f"SELECT * FROM read_parquet('{pattern}')"


def _majors_on_disk(paths: Paths, contract: Contract) -> list[int]:
    base = paths.warehouse / contract.name
    majors = []
    for folder in base.glob("v*"):
        if folder.name[1:].isdigit() and any(folder.glob("part-*.parquet")):
            majors.append(int(folder.name[1:]))
    return sorted(majors)


def wanted_views(paths: Paths, contract: Contract) -> dict[str, str]:
    """``<product>_v<N>`` for every major with data, and ``<product>`` for the newest one."""
    majors = _majors_on_disk(paths, contract)
    views = {f"{contract.name}_v{m}": view_sql(paths, contract, m) for m in majors}
    if majors:
        views[contract.name] = view_sql(paths, contract, majors[-1])
    return views


def _existing_views(catalog: Path) -> dict[str, str]:
    if not catalog.exists():
        return {}
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        rows = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall()
    finally:
        con.close()
    return {name: sql for name, sql in rows}


def _matches(existing_sql: str | None, select_sql: str) -> bool:
    return existing_sql is not None and select_sql in existing_sql


def publish_views(paths: Paths, contract: Contract, *, attempts: int = 20, wait_s: float = 0.5) -> list[str]:
    """Create or repoint the product's views; returns the names written (empty when up to date)."""
    return _write_views(paths, wanted_views(paths, contract), attempts=attempts, wait_s=wait_s)


def publish_derived_view(paths: Paths, name: str, select_sql: str, *, attempts: int = 20, wait_s: float = 0.5
                         ) -> list[str]:
    """A view for analysts over products (a sorted list, a selection of columns); same rules as product views."""
    return _write_views(paths, {name: select_sql}, attempts=attempts, wait_s=wait_s)


def _write_views(paths: Paths, wanted: dict[str, str], *, attempts: int, wait_s: float) -> list[str]:
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            existing = _existing_views(paths.catalog)
            stale = {n: s for n, s in wanted.items() if not _matches(existing.get(n), s)}
            if not stale:
                return []
            paths.warehouse.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(paths.catalog))
            try:
                for name, select_sql in stale.items():
                    con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {select_sql}')
            finally:
                con.close()
            return sorted(stale)
        except duckdb.IOException as error:  # the file is locked by another process
            last_error = error
            time.sleep(wait_s * (1 + attempt % 4))
    raise RuntimeError(f"DuckDB catalog {paths.catalog} stayed locked: {last_error}")
