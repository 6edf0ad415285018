"""Atomic, idempotent Parquet storage of products, versioned by contract major.

Layout: ``<root>/<product>/v<major>/part-<partition>.parquet``. One file per
partition means re-materialising a partition replaces its rows (never appends
duplicates), and a write is a rename of a finished temporary file, so a reader
or a crash never sees half a file. Temporary files live in ``v<major>/.writing/``,
which no reader's ``part-*.parquet`` glob enters; the next write of the product
removes those whose writer died (killed mid-write). Columns classified
``restricted`` in the contract (personal data) go only to the restricted zone,
never to the warehouse.

Each public version folder also holds ``_schema.parquet``: no rows, the
contract's public schema. The catalog's views glob ``*.parquet``, so a product
whose last row was removed (or that has none yet) reads as zero rows instead of
failing; Python readers glob ``part-*.parquet`` and never see it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dataval_pipeline.contracts import Contract
from dataval_pipeline.settings import Paths, make_private_dir

UNPARTITIONED = "all"
SCHEMA_FILE = "_schema.parquet"
TEMP_DIR = ".writing"  # matched neither by the readers' part-*.parquet glob nor by *.tmp
STALE_AFTER_S = 3600  # a temporary file this old is a dead writer's, whichever host wrote it
_TEMP_NAME = re.compile(r".+\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)-[0-9a-f]{12}\.tmp")


def product_dir(root: Path, contract: Contract, major: int | None = None) -> Path:
    return root / contract.name / f"v{contract.major if major is None else major}"


def _file_name(partition: str) -> str:
    if not partition or "/" in partition or partition.startswith("."):
        raise ValueError(f"invalid partition name {partition!r}")
    return f"part-{partition}.parquet"


def conform(contract: Contract, rows: list[dict] | pa.Table, *, include_restricted: bool) -> pa.Table:
    """Build a table with exactly the contract's columns, order and types (extra keys are an error)."""
    schema = contract.arrow_schema(include_restricted=include_restricted)
    if isinstance(rows, pa.Table):
        unknown = set(rows.column_names) - set(contract.column_names)
        if unknown:
            raise ValueError(f"{contract.name}: columns not in the contract: {sorted(unknown)}")
        return rows.select(schema.names).cast(schema)
    for row in rows:
        unknown = set(row) - set(contract.column_names)
        if unknown:
            raise ValueError(f"{contract.name}: columns not in the contract: {sorted(unknown)}")
    return pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema=schema)


@functools.cache
def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _temp_path(target: Path) -> Path:
    """Named after its writer (host and process), so a later write can tell a dead writer's file."""
    return target.parent / TEMP_DIR / f"{target.name}.{_host_tag()}-{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"


def _is_stale(path: Path) -> bool:
    """Left by a writer that died: its process is gone (same host), or the file is over an hour old."""
    try:
        age_s = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False
    if age_s > STALE_AFTER_S:
        return True
    match = _TEMP_NAME.fullmatch(path.name)
    if match is None or match["host"] != _host_tag() or int(match["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete the unfinished writes of dead writers in ``folder`` (a product version); live ones stay."""
    removed = []
    try:
        entries = list((folder / TEMP_DIR).iterdir())
    except FileNotFoundError:
        return removed
    for path in entries:
        if path.name.endswith(".tmp") and _is_stale(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def atomic_write_parquet(table: pa.Table, target: Path, *, private: bool = False) -> None:
    """Write ``table`` to ``target`` so that readers see the old file or the new one, never a part."""
    tmp = _temp_path(target)
    if private:
        for folder in (target.parent, tmp.parent):
            make_private_dir(folder)
    else:
        tmp.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent)
    try:
        with open(tmp, "wb", opener=lambda p, f: os.open(p, f, 0o600 if private else 0o644)) as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp.exists():
            tmp.unlink()


_schemas_checked: set[tuple[str, str]] = set()


def ensure_schema_file(paths: Paths, contract: Contract) -> Path:
    """The empty file with the product's public schema in its current version folder (checked once per
    process; rewritten when the contract's schema changed, e.g. a column added in a minor version)."""
    schema = contract.arrow_schema(include_restricted=False)
    path = product_dir(paths.warehouse, contract) / SCHEMA_FILE
    key = (str(path), schema.to_string())
    if key in _schemas_checked and path.exists():
        return path
    try:
        current = pq.read_schema(path).remove_metadata()
    except (FileNotFoundError, OSError, pa.ArrowInvalid):
        current = None
    if current is None or not current.equals(schema):
        atomic_write_parquet(schema.empty_table(), path)
    _schemas_checked.add(key)
    return path


def write_partition(paths: Paths, contract: Contract, partition: str, rows: list[dict] | pa.Table) -> Path:
    """Replace one partition of a product; restricted columns go to the restricted zone only."""
    name = _file_name(partition)
    public = conform(contract, rows, include_restricted=False)
    if len(contract.public_columns) != len(contract.columns):
        full = conform(contract, rows, include_restricted=True)
        restricted_dir = product_dir(paths.restricted, contract)
        for folder in (paths.restricted, restricted_dir.parent, restricted_dir):
            make_private_dir(folder)
        atomic_write_parquet(full, restricted_dir / name, private=True)
    target = product_dir(paths.warehouse, contract) / name
    atomic_write_parquet(public, target)
    ensure_schema_file(paths, contract)
    return target


def read_partitions(
    paths: Paths, contract: Contract, partitions: list[str] | None = None, *, restricted: bool = False
) -> pa.Table:
    """Read a product (all partitions, or the given ones) as one Arrow table."""
    folder = product_dir(paths.restricted if restricted else paths.warehouse, contract)
    schema = contract.arrow_schema(include_restricted=restricted)
    if partitions is None:
        files = sorted(folder.glob("part-*.parquet"))
    else:
        files = [folder / _file_name(p) for p in partitions]
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise FileNotFoundError(f"{contract.name}: partitions not materialised: {missing[:5]}")
    if not files:
        return schema.empty_table()
    # One dataset over the files reads them on Arrow's threads: twice as fast as a loop over 10,000 partitions.
    return ds.dataset([str(f) for f in files], schema=schema, format="parquet").to_table()


def existing_partitions(paths: Paths, contract: Contract, partitions: list[str]) -> list[str]:
    """The partitions, in order, that have a file (a rejected report writes no downstream row)."""
    folder = product_dir(paths.warehouse, contract)
    return [p for p in partitions if (folder / _file_name(p)).exists()]


def delete_partition(paths: Paths, contract: Contract, partition: str) -> None:
    ensure_schema_file(paths, contract)  # the folder never empties: views over it keep working
    for root in (paths.warehouse, paths.restricted):
        target = product_dir(root, contract) / _file_name(partition)
        target.unlink(missing_ok=True)
