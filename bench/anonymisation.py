"""Anonymisation quality and cost on the dev corpus (other authors' documents) beside a generated corpus.

For each corpus: recall per kind, precision (a detection matching no gold surface, or covering a must-keep
string, is a false positive), must-keep rate, structure (reports whose every line and cell survived, lines
out / lines in), and the anonymiser's time against spaCy's own ``nlp.pipe`` on the same texts (fastest of
``--repeats`` interleaved runs, so machine noise hits both sides alike). Texts are extracted from the PDFs
first, outside the timings. Usage: python bench/anonymisation.py [--dev DIR] [--reports N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from dataval_pipeline.anonymise.engine import KINDS, get_anonymiser
from dataval_pipeline.anonymise.evaluate import Score, score_report
from dataval_pipeline.ingest.extract import raw_report_row
from dataval_pipeline.sample import generate_sample

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


def load_corpus(folder: Path) -> list[tuple[str, str, dict]]:
    """(report_id, text, gold record) of every PDF of ``folder`` that has gold labels and reads."""
    gold = {}
    for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        gold[record["file"]] = record
    corpus = []
    for pdf in sorted(folder.glob("*.pdf")):
        record = gold.get(pdf.name)
        if record is None or record.get("expected_status", "ok") != "ok":
            continue
        row = raw_report_row(pdf.read_bytes(), pdf.name)
        if row["status"] == "ok":
            corpus.append((row["report_id"], row["text"], record))
    return corpus


def measure(corpus: list[tuple[str, str, dict]], repeats: int) -> tuple[Score, float, float]:
    anonymiser = get_anonymiser()
    nlp = anonymiser.nlp_engine.nlp["fr"]
    texts = [text for _, text, _ in corpus]
    spacy_times, anon_times, results = [], [], []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        list(nlp.pipe(texts, batch_size=8))
        spacy_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        results = [anonymiser.anonymise_with_detections(text) for text in texts]
        anon_times.append(time.perf_counter() - start)
    score = Score()
    for (report_id, text, record), (result, detections) in zip(corpus, results, strict=True):
        score.add(score_report(report_id, text, result, detections, record))
    return score, min(spacy_times), min(anon_times)


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", type=Path, default=DEV, help="the dev corpus (PDFs + gold.jsonl)")
    parser.add_argument("--reports", type=int, default=50, help="reports in the generated corpus")
    parser.add_argument("--seed", type=int, default=4242, help="a seed the tests do not use")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved timing runs (fastest kept)")
    args = parser.parse_args()
    if not (args.dev / "gold.jsonl").exists():
        raise SystemExit(f"no dev corpus at {args.dev}")
    get_anonymiser()  # model load outside the timings
    columns = {}
    with tempfile.TemporaryDirectory(prefix="dataval-bench-") as tmp:
        generate_sample(Path(tmp), reports=args.reports, seed=args.seed, with_bad_files=False)
        corpora = {"dev corpus": load_corpus(args.dev), f"generated (seed {args.seed})": load_corpus(Path(tmp))}
        for name, corpus in corpora.items():
            columns[name] = (len(corpus), *measure(corpus, args.repeats))
    names = list(columns)
    print(f"\n| measure | {' | '.join(names)} |")
    print(f"|---|{'---|' * len(names)}")
    print(f"| reports | {' | '.join(str(columns[n][0]) for n in names)} |")
    for kind in KINDS:
        cells = []
        for n in names:
            score = columns[n][1]
            cells.append("—" if not score.gold[kind] else
                         f"{fmt(score.recall(kind))} ({score.gold[kind] - score.leaked[kind]}/{score.gold[kind]})")
        print(f"| recall {kind} | {' | '.join(cells)} |")
    rows = [
        ("precision", lambda s: f"{fmt(s.precision)} ({s.true_detections}/{s.detections})"),
        ("must-keep", lambda s: f"{fmt(s.keep_rate)} ({s.keep_found}/{s.keep_total})"),
        ("structure (reports)", lambda s: f"{fmt(s.structure_rate)} ({s.structure_ok}/{s.reports})"),
        ("lines out / in", lambda s: f"{s.lines_out}/{s.lines_in}"),
    ]
    for label, cell in rows:
        print(f"| {label} | {' | '.join(cell(columns[n][1]) for n in names)} |")
    print(f"| spaCy nlp.pipe (s) | {' | '.join(f'{columns[n][2]:.2f}' for n in names)} |")
    print(f"| anonymiser (s) | {' | '.join(f'{columns[n][3]:.2f}' for n in names)} |")
    print(f"| time ratio vs nlp.pipe | {' | '.join(f'{columns[n][3] / columns[n][2]:.2f}' for n in names)} |")
    print()


if __name__ == "__main__":
    main()
