"""``dataval evaluate DIR``: the whole pipeline through Dagster on ``DIR/*.pdf`` in a fresh ``DATAVAL_HOME``,
scored against ``DIR/gold.jsonl`` by the ``evaluation`` and ``anonymisation_quality`` products.

It materialises every asset the way ``dataval demo`` does (one run over all report partitions, then the
products over all reports) and prints one table per product, or every metric as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from dataval_pipeline.gold import install_gold
from dataval_pipeline.settings import Paths


class NotALabelledCorpus(Exception):
    pass


def install_corpus(corpus: Path, paths: Paths) -> int:
    """Copy the PDFs to the inbox, the gold labels and reference data where the pipeline reads them."""
    pdfs = sorted(corpus.glob("*.pdf"))
    gold = corpus / "gold.jsonl"
    if not pdfs:
        raise NotALabelledCorpus(f"no PDF in {corpus}")
    if not gold.exists():
        raise NotALabelledCorpus(f"no gold.jsonl in {corpus}")
    paths.inbox.mkdir(parents=True, exist_ok=True)
    for pdf in pdfs:
        shutil.copyfile(pdf, paths.inbox / pdf.name)
    install_gold(gold, paths)
    paths.reference.mkdir(parents=True, exist_ok=True)
    if (corpus / "reference").is_dir():
        for item in (corpus / "reference").iterdir():
            if item.is_file():
                shutil.copyfile(item, paths.reference / item.name)
    return len(pdfs)


@contextlib.contextmanager
def environment(home: Path, use_llm: bool, console: Console):
    """DATAVAL_HOME set to ``home`` (and no DAGSTER_HOME of the user's), the LLM endpoint or none."""
    from dataval_pipeline.demo import llm_endpoint

    saved = {k: os.environ.get(k) for k in ("DATAVAL_HOME", "DAGSTER_HOME", "DATAVAL_LLM_BASE_URL", "DATAVAL_LLM_MODEL")}
    os.environ["DATAVAL_HOME"] = str(home)
    os.environ.pop("DAGSTER_HOME", None)
    if not use_llm:
        os.environ.pop("DATAVAL_LLM_BASE_URL", None)
        os.environ.pop("DATAVAL_LLM_MODEL", None)
    try:
        if use_llm:
            with llm_endpoint(Paths(home), console):
                yield
        else:
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def read_scores(paths: Paths) -> dict:
    """The evaluation and anonymisation_quality rows of this home (empty lists when not built)."""
    from dataval_pipeline.anonymise.assets import ANONYMISATION_QUALITY
    from dataval_pipeline.evaluation.assets import EVALUATION
    from dataval_pipeline.warehouse.store import read_partitions

    def rows(contract) -> list[dict]:
        try:
            return read_partitions(paths, contract).to_pylist()
        except (FileNotFoundError, OSError, ValueError):
            return []

    return {"evaluation": rows(EVALUATION), "anonymisation_quality": rows(ANONYMISATION_QUALITY)}


def print_tables(scores: dict, console: Console) -> None:
    from rich.table import Table

    quality = scores["anonymisation_quality"]
    if quality:
        table = Table(title="personal data (anonymised_corpus)")
        for column in ("kind", "gold items", "leaked", "recall", "precision", "kept facts"):
            table.add_column(column)
        for row in sorted(quality, key=lambda r: (r["metric_scope"] == "ALL", r["metric_scope"])):
            table.add_row(row["metric_scope"], str(row["gold_items"]), str(row["leaked"]),
                          *("" if v is None else f"{v:.3f}" for v in (row["recall"], row["precision"], row["keep_rate"])))
        console.print(table)
    by_product: dict[str, list[dict]] = {}
    for row in scores["evaluation"]:
        if row.get("gold_label") is None:
            by_product.setdefault(row["product"], []).append(row)
    for product, rows in by_product.items():
        table = Table(title=product)
        for column in ("metric", "value", "matched / total"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["metric"], "—" if row["value"] is None else f"{row['value']:.3f}",
                          f"{row['matched']} / {row['total']}")
        console.print(table)
    print_confusion(scores["evaluation"], console)


def print_confusion(rows: list[dict], console: Console) -> None:
    """The main-theme confusion: one row per gold theme, one column per theme found, counts of findings."""
    from rich.table import Table

    from dataval_pipeline.evaluation.score import Metric, confusion_matrix

    cells = [Metric(r["product"], r["metric"], r["matched"], r["total"], r["gold_label"], r["found_label"])
             for r in rows if r.get("gold_label") is not None]
    (golds, founds), counts = confusion_matrix(cells)
    if not counts:
        return
    table = Table(title="main theme of findings: gold (rows) vs found (columns)")
    table.add_column("gold \\ found")
    for found in founds:
        table.add_column(found, justify="right")
    for gold in golds:
        table.add_row(gold, *(str(counts.get((gold, found), "")) for found in founds))
    console.print(table)


def run_evaluate(corpus: Path, home: Path | None = None, use_llm: bool = True, as_json: bool = False) -> int:
    from dataval_pipeline.demo import materialize_everything, print_checks, register_inbox
    from dataval_pipeline.instance import get_instance

    console = Console(stderr=as_json)
    home = (home or Path(tempfile.mkdtemp(prefix="dataval-evaluate-"))).resolve()
    paths = Paths(home)
    try:
        reports = install_corpus(corpus, paths)
    except NotALabelledCorpus as reason:
        print(f"dataval evaluate: {reason}", file=sys.stderr)
        return 2
    console.print(f"{reports} PDF(s) from {corpus} in {home} ({'with' if use_llm else 'without'} the LLM)",
                  soft_wrap=True)
    with environment(home, use_llm, console):
        instance = get_instance(paths)
        try:
            keys = register_inbox(paths, instance)
            results = materialize_everything(paths, instance, keys, console)
        finally:
            instance.dispose()
    failed = [event.step_key for result in results if not result.success
              for event in result.all_events if event.is_step_failure]
    scores = read_scores(paths)
    if as_json:
        print(json.dumps({"home": str(home), "reports": reports, "failed_steps": failed, **scores},
                         ensure_ascii=False, indent=2, default=str))
    else:
        print_tables(scores, console)
        print_checks(results, console)
        for step in failed:
            console.print(f"[red]failed step: {step}[/red]")
        console.print(f"DATAVAL_HOME: {home}", soft_wrap=True)
    return 1 if failed or not all(r.success for r in results) else 0
