"""Gold labels (``reference/gold.jsonl``: the sample generator's, or reports labelled by inspectors)."""

from __future__ import annotations

import json
from pathlib import Path


def labelled_reports(path: Path, label: str) -> dict[str, dict]:
    """report_id -> gold record, for the reports expected to be read that carry ``label`` ("pii", "facts")."""
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("expected_status") == "ok" and record.get(label):
            records[record["report_id"]] = record
    return records
