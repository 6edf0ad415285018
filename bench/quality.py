"""Every quality metric of the pipeline, on the development corpus (other authors, other house styles) and
on a freshly generated corpus side by side, without and with the LLM.

    python bench/quality.py [--reports N] [--seed S] [--no-llm | --llm-only] [--json OUT]

Runs ``dataval_pipeline.analyse`` in-process on every PDF (the same functions as the Dagster assets) and
scores with ``dataval_pipeline.evaluation.score`` (the same functions as the ``evaluation`` product), plus
the anonymiser's recall / precision / kept facts. The LLM is ``$DATAVAL_LLM_BASE_URL`` when set, else the
embedded server started for the run. The development corpus is read from ``<repo>/../shared/corpus/dev``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dataval_pipeline.analyse import analyse_texts, llm_client, read_document  # noqa: E402
from dataval_pipeline.evaluation.score import Metric, personal_data_metrics, score_analyses  # noqa: E402
from dataval_pipeline.gold import labelled_reports  # noqa: E402
from dataval_pipeline.sample import generate_sample  # noqa: E402
from dataval_pipeline.settings import paths  # noqa: E402

DEV = REPO.parent / "shared" / "corpus" / "dev"


def corpus_metrics(folder: Path, llm) -> tuple[list[Metric], dict]:
    """Analyse every PDF of ``folder`` labelled in its gold.jsonl; the metrics and what it cost."""
    gold = labelled_reports(folder / "gold.jsonl", "facts")
    by_file = {record["file"]: record for record in gold.values() if record.get("file")}
    texts = {}
    for pdf in sorted(folder.glob("*.pdf")):
        if by_file and pdf.name not in by_file:
            continue
        report_id, text = read_document(pdf)
        if report_id in gold:
            texts[report_id] = text
    started = time.perf_counter()
    calls_before = llm.stats.calls if llm is not None else 0
    analyses = analyse_texts(texts, llm)
    cost = {"reports": len(analyses), "seconds": round(time.perf_counter() - started, 1),
            "llm_calls": (llm.stats.calls - calls_before) if llm is not None else 0}
    return score_analyses(analyses, gold) + personal_data_metrics(analyses, gold), cost


def cell(metric: Metric | None) -> str:
    if metric is None or metric.value is None:
        return "—"
    return f"{metric.value:.3f} ({metric.matched}/{metric.total})"


def print_confusions(columns: dict[str, list[Metric]], limit: int = 8) -> None:
    """The most frequent main-theme mistakes of each column (gold -> found, findings / gold findings)."""
    for name, metrics in columns.items():
        mistakes = sorted((m for m in metrics if m.gold_label is not None and m.gold_label != m.found_label),
                          key=lambda m: -m.matched)[:limit]
        cells = ", ".join(f"{m.gold_label} -> {m.found_label} {m.matched}/{m.total}" for m in mistakes)
        print(f"main-theme mistakes, {name}: {cells or 'none'}")


def print_table(columns: dict[str, list[Metric]], costs: dict[str, dict]) -> None:
    """Every metric but the confusion cells (printed apart by ``print_confusions``), one column per run."""
    columns = {name: [m for m in metrics if m.gold_label is None] for name, metrics in columns.items()}
    keys = list(dict.fromkeys((m.product, m.metric) for metrics in columns.values() for m in metrics))
    products = list(dict.fromkeys(product for product, _ in keys))
    keys.sort(key=lambda key: products.index(key[0]))  # one block per product, metrics in scoring order
    index = {name: {(m.product, m.metric): m for m in metrics} for name, metrics in columns.items()}
    header = ["product", "metric", *columns]
    rows = [[product, metric, *(cell(index[name].get((product, metric))) for name in columns)]
            for product, metric in keys]
    rows.append(["", "reports / seconds / LLM calls", *(f"{c['reports']} / {c['seconds']} s / {c['llm_calls']}"
                                                         for c in costs.values())])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=12, help="reports in the generated corpus")
    parser.add_argument("--seed", type=int, default=4242, help="seed of the generated corpus")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-llm", action="store_true", help="only the run without the LLM")
    mode.add_argument("--llm-only", action="store_true", help="only the run with the LLM")
    parser.add_argument("--json", help="also write every metric to this file")
    args = parser.parse_args(argv)
    if not (DEV / "gold.jsonl").exists():
        print(f"the development corpus is missing: {DEV}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dataval-quality-") as tmp:
        generated = Path(tmp)
        generate_sample(generated, reports=args.reports, seed=args.seed, with_bad_files=False)
        corpora = {"dev": DEV, f"generated (seed {args.seed})": generated}
        modes = [m for m, on in (("no LLM", not args.llm_only), ("LLM", not args.no_llm)) if on]
        columns: dict[str, list[Metric]] = {}
        costs: dict[str, dict] = {}
        for mode_name in modes:
            with llm_client(mode_name == "LLM", paths().cache, log=Path(tmp) / "llm-server.log") as llm:
                for corpus_name, folder in corpora.items():
                    label = f"{corpus_name}, {mode_name}"
                    print(f"… {label}", file=sys.stderr, flush=True)
                    columns[label], costs[label] = corpus_metrics(folder, llm)
    print_table(columns, costs)
    print_confusions(columns)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {name: [{"product": m.product, "metric": m.metric, "matched": m.matched, "total": m.total,
                     "value": m.value, "gold_label": m.gold_label, "found_label": m.found_label}
                    for m in metrics] for name, metrics in columns.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
