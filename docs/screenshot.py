"""Regenerate docs/asset_graph.png: the global asset lineage page of the Dagster UI.

Starts ``dagster-webserver -w workspace.yaml`` on a throwaway SQLite instance whose inbox holds a small
generated corpus, materialises ``raw_reports`` for every report (no LLM needed) so the graph shows real
partition counts, and captures the page in headless Chromium. Run from anywhere: ``make screenshot``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from dataval_pipeline.definitions import defs  # noqa: E402
from dataval_pipeline.ingest.landing import land_inbox  # noqa: E402
from dataval_pipeline.partitions import report_partitions  # noqa: E402
from dataval_pipeline.sample import generate_sample  # noqa: E402
from dataval_pipeline.settings import Paths  # noqa: E402
from dataval_pipeline_tests import dagster_ui  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "asset_graph.png")
    parser.add_argument("--reports", type=int, default=3)
    parser.add_argument("--width", type=int, default=2000)  # wide enough for full asset cards
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args()

    groups = sorted({group for assets_def in defs.get_repository_def().assets_defs_by_key.values()
                     for group in assets_def.group_names_by_key.values()})
    with tempfile.TemporaryDirectory(prefix="dataval-screenshot-") as tmp:
        folder = Path(tmp)
        paths = Paths(folder / "home")
        generate_sample(paths.inbox, folder / "meta", reports=args.reports, seed=7, with_bad_files=False,
                        max_pages=2)
        dagster_ui.write_instance(folder / "dagster_home", postgres=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DATAVAL_"))}
        env.update(DAGSTER_HOME=str(folder / "dagster_home"), DATAVAL_HOME=str(paths.home))
        with dagster_ui.running_webserver(env, folder / "webserver.log") as server:
            landed, _ = land_inbox(paths)
            keys = list(dict.fromkeys(f.report_id for f in landed))
            for key in keys:
                dagster_ui.add_partition(server, report_partitions.name, key)
            run = dagster_ui.wait_for_run(server, dagster_ui.launch_partition_run(server, "raw_reports", keys))
            if run["status"] != "SUCCESS":
                print(f"raw_reports run {run['status']}: {dagster_ui.run_failure_messages(run)}", file=sys.stderr)
                return 1
            dagster_ui.screenshot(dagster_ui.asset_graph_url(server.url, groups), args.out,
                                  size=(args.width, args.height))
    width, height, colours = dagster_ui.png_summary(args.out)
    print(f"wrote {args.out} ({width}x{height}, {colours} colours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
