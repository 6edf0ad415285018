"""Contract evolution: a removed or retyped column is breaking and must bump the major version.

``data_contracts/released.lock.json`` records, per product, the version and columns last released.
Run ``python -m dataval_pipeline.contracts.compat --write-lock`` after a release to refresh it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dataval_pipeline.contracts.model import Contract, contracts_dir, load_contract

LOCK_NAME = "released.lock.json"


def snapshot(contract: Contract) -> dict:
    return {"version": contract.version, "columns": {c.name: c.physical_type for c in contract.columns}}


def breaking_changes(old: dict, new: Contract) -> list[str]:
    """What a reader of the old version would trip over in the new one."""
    changes = []
    new_columns = {c.name: c.physical_type for c in new.columns}
    for name, physical_type in old["columns"].items():
        if name not in new_columns:
            changes.append(f"column {name} removed")
        elif new_columns[name] != physical_type:
            changes.append(f"column {name} retyped {physical_type} -> {new_columns[name]}")
    return changes


def version_problems(old: dict, new: Contract) -> list[str]:
    """Breaking changes released without a major bump."""
    old_major = int(old["version"].split(".")[0])
    changes = breaking_changes(old, new)
    if changes and new.major <= old_major:
        return [f"{new.name}: {c} without a major version bump (still v{new.major})" for c in changes]
    return []


def read_lock(folder: Path | None = None) -> dict:
    path = (folder or contracts_dir()) / LOCK_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def all_contracts(folder: Path | None = None) -> list[Contract]:
    return [load_contract(p.stem) for p in sorted((folder or contracts_dir()).glob("*.yaml"))]


def write_lock(folder: Path | None = None) -> Path:
    path = (folder or contracts_dir()) / LOCK_NAME
    lock = {c.name: snapshot(c) for c in all_contracts(folder)}
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-lock", action="store_true")
    if parser.parse_args().write_lock:
        print(write_lock())
