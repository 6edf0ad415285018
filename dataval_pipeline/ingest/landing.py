"""Inbox to landing zone: content-addressed copies of the report files.

A file in the inbox is hashed once; its bytes are linked (or copied) to
``restricted/landing/<report_id>.pdf`` with a sidecar naming where it came from.
The partition key is the content hash, so a renamed duplicate lands on the same
key and adds nothing. The asset then reads the landing copy, which stays valid
even if someone moves or deletes the inbox file.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from dataval_pipeline.identifiers import sha256_of_file
from dataval_pipeline.settings import Paths, make_private_dir

REPORT_SUFFIXES = {".pdf"}


@dataclass(frozen=True)
class LandedFile:
    report_id: str
    source_file: str
    new_content: bool  # False when the same bytes had already landed (a duplicate)


def landing_pdf(paths: Paths, report_id: str) -> Path:
    return paths.landing / f"{report_id}.pdf"


def landing_sidecar(paths: Paths, report_id: str) -> Path:
    return paths.landing / f"{report_id}.json"


def read_sidecar(paths: Paths, report_id: str) -> dict:
    path = landing_sidecar(paths, report_id)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def land_file(paths: Paths, source: Path) -> LandedFile:
    """Put one inbox file into the landing zone (idempotent)."""
    make_private_dir(paths.restricted)
    make_private_dir(paths.landing)
    report_id = sha256_of_file(source)[:16]
    target = landing_pdf(paths, report_id)
    sidecar = read_sidecar(paths, report_id)
    new_content = not target.exists()
    if new_content:
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            os.link(source, tmp)
        except OSError:  # another filesystem, or links not allowed
            shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    names = sidecar.get("names", [])
    if source.name not in names:
        _write_json_atomic(landing_sidecar(paths, report_id), {"source_file": names[0] if names else source.name,
                                                              "names": [*names, source.name]})
    return LandedFile(report_id, names[0] if names else source.name, new_content)


def inbox_files(paths: Paths, since_mtime_ns: int = 0) -> list[tuple[Path, int]]:
    """Report files in the inbox modified at or after ``since_mtime_ns``, oldest first (cheap: one scandir)."""
    if not paths.inbox.exists():
        return []
    found = []
    with os.scandir(paths.inbox) as entries:
        for entry in entries:
            if not entry.is_file() or entry.name.startswith("."):
                continue
            if Path(entry.name).suffix.lower() not in REPORT_SUFFIXES:
                continue
            mtime = entry.stat().st_mtime_ns
            if mtime >= since_mtime_ns:
                found.append((Path(entry.path), mtime))
    return sorted(found, key=lambda item: (item[1], item[0].name))


def land_inbox(paths: Paths, since_mtime_ns: int = 0) -> tuple[list[LandedFile], int]:
    """Land every inbox file changed since the cursor; returns what landed and the next cursor."""
    landed, cursor = [], since_mtime_ns
    for path, mtime in inbox_files(paths, since_mtime_ns):
        landed.append(land_file(paths, path))
        cursor = max(cursor, mtime)
    return landed, cursor
