"""Where things live, read once from the environment.

Every path derives from ``DATAVAL_HOME`` so that one variable moves a whole
installation (inbox, warehouse, restricted zone, reference data, caches).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The folder layout under ``DATAVAL_HOME``."""

    home: Path

    @property
    def inbox(self) -> Path:
        """Where new report PDFs arrive (watched by the sensor)."""
        return self.home / "inbox"

    @property
    def warehouse(self) -> Path:
        """Parquet products and the analysts' DuckDB catalog."""
        return self.home / "warehouse"

    @property
    def catalog(self) -> Path:
        return self.warehouse / "dataval.duckdb"

    @property
    def restricted(self) -> Path:
        """Personal data (source PDFs, raw text): readable by the pipeline's user only."""
        return self.home / "restricted"

    @property
    def landing(self) -> Path:
        """Content-addressed copies of the PDFs, one per partition key."""
        return self.restricted / "landing"

    @property
    def reference(self) -> Path:
        """Reference extracts: FINESS register, capacities, financial declarations (no personal data)."""
        return self.home / "reference"

    @property
    def gold(self) -> Path:
        """Gold labels (a sample's or inspectors'), when there are: they hold personal-data surfaces, so they
        live in the restricted zone (created private on first use), never under the analysts' reference/."""
        make_private_dir(self.restricted)
        return self.restricted / "gold.jsonl"

    @property
    def cache(self) -> Path:
        return self.home / "cache"


def dataval_home() -> Path:
    return Path(os.environ.get("DATAVAL_HOME", "./data")).expanduser().resolve()


def paths() -> Paths:
    return Paths(dataval_home())


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


@contextlib.contextmanager
def exclusive_lock(path: Path, mode: int = 0o600) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created with ``mode``): one holder at a time across processes."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
