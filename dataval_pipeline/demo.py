"""`dataval demo`: the main job end to end on the embedded defaults, with progress and a summary."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dataval_pipeline.ingest.landing import current_skips, inbox_has_entries, land_inbox
from dataval_pipeline.ingest.sensors import unregistered_report_ids
from dataval_pipeline.instance import get_instance
from dataval_pipeline.partitions import range_tags, report_partitions
from dataval_pipeline.gold import install_gold
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse import catalog

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def seed_inbox(paths: Paths, reports: int, seed: int, console: Console, max_pages: int = 15) -> None:
    """Fill an empty inbox with a sample corpus; gold labels and reference data go to reference/."""
    if inbox_has_entries(paths):
        return
    with tempfile.TemporaryDirectory(prefix="dataval-sample-") as tmp:
        summary = generate_sample(paths.inbox, Path(tmp), reports=reports, seed=seed, max_pages=max_pages)
        paths.reference.mkdir(parents=True, exist_ok=True)
        install_gold(summary.gold_path, paths)  # personal-data surfaces: restricted zone, owner only
        for item in summary.reference_dir.iterdir():
            shutil.copyfile(item, paths.reference / item.name)
    console.print(f"Generated {summary.reports} sample reports and {summary.bad_files} bad files in {paths.inbox}",
                  soft_wrap=True)


def register_inbox(paths: Paths, instance: dg.DagsterInstance, console: Console | None = None) -> list[str]:
    """Land every settled inbox file (waiting once for files still being written) and add the partitions
    the landing zone holds that are not registered yet; returns all registered keys. Skipped entries are
    printed on the operator's console with their reason."""
    from dataval_pipeline.ingest.landing import LandingOptions

    land_inbox(paths, LandingOptions.from_env(max_files=1_000_000, time_budget_s=float("inf")), wait=True)
    if console is not None:
        for skip in current_skips(paths):
            console.print(f"[yellow]inbox: {skip.name!r} skipped: {skip.reason}[/yellow]", soft_wrap=True)
    existing = instance.get_dynamic_partitions(report_partitions.name)
    new_keys = unregistered_report_ids(paths, set(existing))
    if new_keys:
        instance.add_dynamic_partitions(report_partitions.name, new_keys)
    return list(instance.get_dynamic_partitions(report_partitions.name))


def _partition_files_since(paths: Paths, product: str, since: float) -> int:
    folder = paths.warehouse / product
    return sum(1 for f in folder.glob("v*/part-*.parquet") if f.stat().st_mtime >= since) if folder.exists() else 0


def _materialize(instance: dg.DagsterInstance, selection: list, tags: dict) -> dg.ExecuteInProcessResult:
    from dataval_pipeline.automation import run_selection
    from dataval_pipeline.definitions import defs

    return dg.materialize(
        [*(defs.assets or []), *(defs.asset_checks or [])], instance=instance, resources=defs.resources,
        tags=tags, run_config=QUIET_LOGS, raise_on_error=False,
        selection=run_selection(selection, [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]),
    )


def materialize_everything(
    paths: Paths, instance: dg.DagsterInstance, keys: list[str], console: Console
) -> list[dg.ExecuteInProcessResult]:
    """One run over all report partitions (single-run backfill) with per-product progress, then one run of
    the products that span all reports."""
    from dataval_pipeline.definitions import defs

    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    partitioned = [a for a in assets if a.partitions_def is not None]
    whole = [a for a in assets if a.partitions_def is None]
    products = [key.path[-1] for a in partitioned for key in a.keys]
    started = time.time()
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = _materialize(instance, partitioned, range_tags(keys))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    with Progress(TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        tasks = {p: progress.add_task(p, total=len(keys)) for p in products}
        worker.start()
        while worker.is_alive():
            for product, task in tasks.items():
                progress.update(task, completed=_partition_files_since(paths, product, started))
            time.sleep(0.3)
        for task in tasks.values():  # rejected reports write no downstream row: the stage is done
            progress.update(task, completed=len(keys))
    if "error" in box:
        raise box["error"]
    results = [box["result"]]
    if whole and results[0].success:
        with console.status("Products over all reports: " + ", ".join(k.path[-1] for a in whole for k in a.keys)):
            results.append(_materialize(instance, whole, {}))
    return results


def _print_table(console: Console, title: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


def print_summary(paths: Paths, console: Console) -> None:
    by_status = _query(paths, "SELECT status, COUNT(*), COALESCE(SUM(page_count), 0) FROM raw_reports "
                              "GROUP BY status ORDER BY status")
    _print_table(console, "raw_reports", ("status", "reports", "pages"), by_status or [])
    reasons = _query(paths, "SELECT reject_reason, COUNT(*) FROM raw_reports WHERE status = 'rejected' "
                            "GROUP BY reject_reason ORDER BY 2 DESC, 1")
    if reasons:
        _print_table(console, "Rejected files", ("reason", "files"), reasons)
    _print_anonymisation(paths, console)
    _print_llm(paths, console)
    _print_facts_and_risk(paths, console)
    console.print(f"DuckDB catalog: {paths.catalog}", soft_wrap=True)
    console.print(f"Analysts open it read-only: duckdb -readonly {paths.catalog}", soft_wrap=True)


def _query(paths: Paths, sql: str) -> list[tuple] | None:
    """Rows of ``sql`` over the products, or None when a product is not there (or cannot be read): the
    summary reads the Parquet through an in-memory DuckDB, so an analyst holding the catalog file, even
    read-write, cannot make it fail."""
    try:
        con = catalog.connect(paths)
    except duckdb.Error:
        return None
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()


def _print_llm(paths: Paths, console: Console) -> None:
    themes = _query(paths, "SELECT theme, COUNT(*) FROM (SELECT UNNEST(themes) AS theme FROM report_classifications) "
                           "GROUP BY 1 ORDER BY 2 DESC, 1")
    if themes:
        _print_table(console, "report_classifications: reports per theme", ("theme", "reports"), themes)
    quarantined = _query(paths, "SELECT reason, COUNT(*) FROM llm_quarantine GROUP BY 1")
    for reason, count in quarantined or []:
        console.print(f"[yellow]{count} report(s) quarantined by the LLM stage: {reason}[/yellow]")


def _print_anonymisation(paths: Paths, console: Console) -> None:
    corpus = _query(paths, "SELECT COUNT(*), SUM(entity_total) FROM anonymised_corpus")
    if corpus:
        console.print(f"anonymised_corpus: {corpus[0][0]} reports, {corpus[0][1] or 0} placeholders written")
    quality = _query(paths, "SELECT metric_scope, gold_items, leaked, recall, precision, keep_rate "
                            "FROM anonymisation_quality ORDER BY metric_scope = 'ALL', metric_scope")
    if quality:
        rates = [(scope, gold, leaked, *(None if v is None else f"{v:.4f}" for v in (recall, precision, keep)))
                 for scope, gold, leaked, recall, precision, keep in quality]
        _print_table(console, "Anonymisation quality (against gold labels)",
                     ("kind", "gold items", "leaked", "recall", "precision", "kept facts"), rates)


@contextlib.contextmanager
def llm_endpoint(paths: Paths, console: Console):
    """The configured endpoint, or the embedded server for the duration of the demo."""
    if os.environ.get("DATAVAL_LLM_BASE_URL"):
        yield
        return
    from dataval_pipeline.llm.server import EmbeddedServer

    with console.status("Starting the embedded LLM server (llama.cpp, Qwen2.5-Coder-0.5B-Instruct)…"):
        server = EmbeddedServer(log=paths.home / "llm-server.log").start()
    os.environ["DATAVAL_LLM_BASE_URL"], os.environ["DATAVAL_LLM_MODEL"] = server.base_url, server.model
    console.print(f"Embedded LLM server on {server.base_url}", soft_wrap=True)
    try:
        yield
    finally:
        server.stop()
        del os.environ["DATAVAL_LLM_BASE_URL"], os.environ["DATAVAL_LLM_MODEL"]


def _print_facts_and_risk(paths: Paths, console: Console) -> None:
    facts = _query(paths, "SELECT finess, inspection_date, trigger, breaches, remarks, injunctions, "
                          "json_array_length(disagreements) FROM extracted_facts ORDER BY inspection_date")
    if facts:
        _print_table(console, "extracted_facts", ("FINESS", "inspected", "trigger", "écarts", "remarques",
                                                  "injonctions", "rule ≠ LLM"), facts)
    scores = _query(paths, "SELECT product, metric, round(value, 3), matched || ' / ' || total FROM evaluation "
                           "WHERE metric IN ('theme_micro_f1', 'primary_theme_accuracy', 'schema_valid_rate', "
                           "'exact_match_all_facts', 'grounded_quote_rate', 'precision_at_k') ORDER BY 1, 2")
    if scores:
        _print_table(console, "Evaluation (against gold labels)", ("product", "metric", "value", "matched / total"), scores)
    risk = _query(paths, "SELECT risk_rank, finess, establishment_name, round(anomaly_score, 2), top_reasons[1] "
                         "FROM fraud_watchlist ORDER BY risk_rank LIMIT 5")
    if risk:
        _print_table(console, "fraud_watchlist: top-risk establishments", ("rank", "FINESS", "name", "score", "first reason"), risk)


def run_demo(paths: Paths, reports: int = 3, seed: int = 7, console: Console | None = None, max_pages: int = 1) -> int:
    console = console or Console()
    seed_inbox(paths, reports, seed, console, max_pages)
    paths.home.mkdir(parents=True, exist_ok=True)
    with llm_endpoint(paths, console):
        return _run(paths, console)


def _run(paths: Paths, console: Console) -> int:
    instance = get_instance(paths)
    keys = register_inbox(paths, instance, console)
    if not keys:
        console.print("No report file has landed: nothing to materialise.")
        return 0
    console.print(f"{len(keys)} report partition(s) registered; materialising every asset in one run…")
    results = materialize_everything(paths, instance, keys, console)
    failed = [r for r in results if not r.success]
    for result in failed:
        console.print("[red]A run failed; see the Dagster UI (make ui) for the failed step.[/red]")
        for event in result.all_events:
            if event.is_step_failure:
                console.print(f"  failed step: {event.step_key}")
    try:
        print_summary(paths, console)
    except Exception as error:  # noqa: BLE001 - the products are written; a summary problem is not a failed run
        console.print(f"[yellow]Summary not printed ({type(error).__name__}: {error}); the products are in "
                      f"{paths.warehouse}[/yellow]", soft_wrap=True)
    print_checks(results, console)
    return 1 if failed else 0


def print_checks(results: list[dg.ExecuteInProcessResult], console: Console) -> None:
    """Contract checks of the runs: one line per product, the failed rules in full."""
    evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
    if evaluations:
        # A per-report check is evaluated once per partition: the passes count on one line, each failure shows.
        passes = Counter((e.asset_key.to_user_string(), e.check_name) for e in evaluations if e.passed)
        failures = [((e.asset_key.to_user_string(), e.check_name),
                     f"[red]FAILED[/red]{f' ({e.partition})' if e.partition else ''}: {e.metadata['result'].value}")
                    for e in evaluations if not e.passed]
        lines = [(key, "passed" if n == 1 else f"passed ({n} partitions)") for key, n in passes.items()] + failures
        rows = [(product, check, result) for (product, check), result in sorted(lines, key=lambda line: line[0])]
        _print_table(console, "Contract checks", ("product", "check", "result"), rows)
