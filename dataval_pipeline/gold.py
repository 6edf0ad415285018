"""Gold labels (``restricted/gold.jsonl``: the sample generator's, or reports labelled by inspectors).

They list personal-data surfaces, so they stay in the restricted zone, readable by the pipeline's user only.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dataval_pipeline.settings import Paths


def labelled_reports(path: Path, label: str) -> dict[str, dict]:
    """report_id -> gold record, for the reports expected to be read that carry ``label`` ("pii", "facts")."""
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("expected_status") == "ok" and record.get(label):
            records[record["report_id"]] = record
    return records


def install_gold(source: Path, paths: Paths) -> Path:
    """Copy a corpus's ``gold.jsonl`` into the restricted zone, readable by the pipeline's user only."""
    target = paths.gold
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    return target
