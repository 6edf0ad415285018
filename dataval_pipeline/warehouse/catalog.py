"""The analysts' DuckDB catalog: one view per product over its Parquet folder, and a few derived views.

The pipeline never needs the catalog file to be free:

- Views glob the product folder (``*.parquet``), which always holds an empty file with the product's schema
  (``_schema.parquet``, written by the store), so new or removed partitions need no catalog write, and a view
  over a product with no rows returns zero rows instead of failing.
- The catalog is written only when the set of views changes (a new product, a new major version, a derived
  view whose SQL changed). It is then built whole in a new file from what is on disk and renamed over the old
  one: an analyst session holding the old file (read-only or read-write) keeps it and is never waited for;
  the next session opens the new one. A manifest (``warehouse/.catalog/manifest.json``) records the SQL of
  the published views, so "has anything changed" is a comparison of the pipeline's own strings, never a read
  of the catalog file.
- The catalog is the pipeline's: analysts keep their own tables in their own DuckDB file and
  ``ATTACH '<catalog>' (READ_ONLY)`` it; a table created inside the catalog itself disappears at the next
  rebuild.

``connect(paths)`` gives an in-memory DuckDB with the same views, for code that must query the products
whatever state the catalog file is in (the demo's summary); ``warehouse/dataval_views.sql`` holds the same
views as SQL for an in-memory session (``duckdb -init warehouse/dataval_views.sql``).

An analyst who opens the catalog read-write and writes into it leaves a write-ahead log beside it: until
that session closes, new sessions cannot open the rebuilt catalog (DuckDB: "WAL does not match database
file"); the pipeline itself never opens the file, so its runs are not affected.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from pathlib import Path

import duckdb

from dataval_pipeline.contracts import Contract
from dataval_pipeline.settings import Paths, exclusive_lock
from dataval_pipeline.warehouse.store import SCHEMA_FILE, ensure_schema_file, product_dir

STATE_DIR = ".catalog"
SCRIPT_NAME = "dataval_views.sql"
_MAJOR = re.compile(r"v([0-9]+)")


def _sql_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def folder_sql(folder: Path) -> str:
    """The SELECT of a view over one product version folder (union by name: a column added in a minor
    version reads as null in older partitions)."""
    return f"SELECT * FROM read_parquet({_sql_literal(folder / '*.parquet')}, union_by_name = true)"


def view_sql(paths: Paths, contract: Contract, major: int) -> str:
    return folder_sql(product_dir(paths.warehouse, contract, major))


def _state(paths: Paths) -> Path:
    return paths.warehouse / STATE_DIR


def product_views(paths: Paths) -> dict[str, str]:
    """``<product>_v<N>`` for every version folder with a file, ``<product>`` for the newest: from the disk."""
    views: dict[str, str] = {}
    try:
        products = sorted(p for p in paths.warehouse.iterdir() if p.is_dir() and not p.name.startswith("."))
    except FileNotFoundError:
        return views
    for product in products:
        majors = []
        for folder in product.iterdir():
            match = _MAJOR.fullmatch(folder.name)
            if match and folder.is_dir() and any(folder.glob("*.parquet")):
                majors.append(int(match[1]))
        for major in sorted(majors):
            views[f"{product.name}_v{major}"] = folder_sql(product / f"v{major}")
        if majors:
            views[product.name] = folder_sql(product / f"v{max(majors)}")
    return views


def derived_views(paths: Paths) -> dict[str, str]:
    folder = _state(paths) / "derived"
    if not folder.exists():
        return {}
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.sql"))}


def wanted_views(paths: Paths) -> dict[str, str]:
    """Every view the catalog should hold; derived views come after the products they read."""
    return {**product_views(paths), **derived_views(paths)}


def _lock(paths: Paths):
    """Catalog rebuilds one at a time across the pipeline's processes (steps run in parallel)."""
    _state(paths).mkdir(parents=True, exist_ok=True)
    return exclusive_lock(_state(paths) / "lock", 0o644)


def _read_manifest(paths: Paths) -> dict:
    try:
        return json.loads((_state(paths) / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _catalog_inode(paths: Paths) -> int | None:
    try:
        return os.stat(paths.catalog).st_ino
    except FileNotFoundError:
        return None


def refresh(paths: Paths) -> list[str]:
    """Make the catalog hold ``wanted_views``; returns the views whose SQL changed (empty: nothing written)."""
    with _lock(paths):
        wanted = wanted_views(paths)
        manifest = _read_manifest(paths)
        published = manifest.get("views", {})
        inode = _catalog_inode(paths)
        if published == wanted and inode is not None and manifest.get("inode") == inode:
            return []
        changed = sorted(n for n in wanted if published.get(n) != wanted[n]) or sorted(wanted)
        written = _build(paths, wanted)
        _write_atomic(_state(paths) / "manifest.json",
                      json.dumps({"views": written, "inode": _catalog_inode(paths)}, indent=1, sort_keys=True))
        return [n for n in changed if n in written]


def _build(paths: Paths, wanted: dict[str, str]) -> dict[str, str]:
    """A new catalog file with ``wanted``, renamed over the old one; returns the views it holds."""
    tmp = _state(paths) / f"build-{uuid.uuid4().hex}.duckdb"
    written: dict[str, str] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, select_sql in wanted.items():
                try:
                    con.execute(f'CREATE VIEW "{name}" AS {select_sql}')
                    written[name] = select_sql
                except duckdb.Error:
                    # A derived view over a product that is not there yet: left out until it is.
                    continue
        finally:
            con.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, paths.catalog)
        _write_atomic(paths.warehouse / SCRIPT_NAME, "".join(
            f'CREATE OR REPLACE VIEW "{name}" AS {select_sql};\n' for name, select_sql in written.items()))
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return written


def publish_views(paths: Paths, contract: Contract, **_ignored) -> list[str]:
    """The product's views (its folder and schema file made if it has never been written); names changed."""
    ensure_schema_file(paths, contract)
    return refresh(paths)


def publish_derived_view(paths: Paths, name: str, select_sql: str, **_ignored) -> list[str]:
    """A view for analysts over products (a sorted list, a selection of columns); same rules as product views."""
    folder = _state(paths) / "derived"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    if not path.exists() or path.read_text(encoding="utf-8") != select_sql:
        _write_atomic(path, select_sql)
    return refresh(paths)


def connect(paths: Paths) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the catalog's views, built from the disk: it neither opens nor waits for the
    catalog file."""
    con = duckdb.connect()
    for name, select_sql in wanted_views(paths).items():
        with contextlib.suppress(duckdb.Error):
            con.execute(f'CREATE VIEW "{name}" AS {select_sql}')
    return con


__all__ = ["SCHEMA_FILE", "connect", "folder_sql", "product_views", "publish_derived_view", "publish_views",
           "refresh", "view_sql", "wanted_views"]
