"""Benchmarks: ingestion and anonymisation throughput next to their libraries' raw cost, in one run.

Prints a table; ratios compare the pipeline's code with the plain library loop on the same files in the
same process, so machine noise affects both sides alike; the ingestion pair runs interleaved ``--repeats``
times and keeps each side's fastest time, because one pass of each on a shared machine swung the ratio
by more than the overhead being measured. Usage: python bench/run.py [--reports N] [--repeats R]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from dataval_pipeline.anonymise.engine import get_anonymiser
from dataval_pipeline.anonymise.evaluate import Score, markdown, score_report
from dataval_pipeline.ingest.extract import raw_report_row
from dataval_pipeline.ingest.normalise import normalise_page, strip_running_lines
from dataval_pipeline.sample import generate_sample


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--seed", type=int, default=4242, help="a seed the tests do not use")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of the ingestion pair")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dataval-bench-") as tmp:
        corpus = Path(tmp)
        generate_sample(corpus, reports=args.reports, seed=args.seed, with_bad_files=False)
        files = [(p.name, p.read_bytes()) for p in sorted(corpus.glob("*.pdf"))]
        gold = {json.loads(line)["file"]: json.loads(line) for line in (corpus / "gold.jsonl").read_text().splitlines()}

        def pypdf_once():
            pages = 0
            for _, data in files:
                reader = PdfReader(io.BytesIO(data))
                for page in reader.pages:
                    page.extract_text()
                    pages += 1
            return pages

        raw_times, ingest_times = [], []
        for _ in range(max(1, args.repeats)):
            pages, seconds = timed(pypdf_once)
            raw_times.append(seconds)
            rows, seconds = timed(lambda: [raw_report_row(data, name) for name, data in files])
            ingest_times.append(seconds)
        raw_s, ingest_s = min(raw_times), min(ingest_times)
        texts = [row["text"] for row in rows]
        page_texts = [[page.extract_text() for page in PdfReader(io.BytesIO(data)).pages] for _, data in files]
        _, normalise_s = timed(lambda: [strip_running_lines([normalise_page(p) for p in pages_])
                                        for pages_ in page_texts])

        anonymiser, load_s = timed(get_anonymiser)
        nlp = anonymiser.nlp_engine.nlp["fr"]
        _, spacy_s = timed(lambda: list(nlp.pipe(texts, batch_size=8)))
        results, anon_s = timed(lambda: [anonymiser.anonymise_with_detections(t) for t in texts])

        score = Score()
        for (name, _), row, (result, detections) in zip(files, rows, results, strict=True):
            score.add(score_report(row["report_id"], row["text"], result, detections, gold[name]))

    table = [
        ("ingest: plain pypdf extract_text loop", pages / raw_s, 1.0),
        ("ingest: raw_report_row (hash, checks, normalise)", pages / ingest_s, ingest_s / raw_s),
        ("  of which normalise_page + strip_running_lines", pages / normalise_s, normalise_s / raw_s),
        ("anonymise: spaCy nlp.pipe (tokens + NER)", pages / spacy_s, 1.0),
        ("anonymise: Presidio + French recognizers + linking", pages / anon_s, anon_s / spacy_s),
    ]
    print(f"\n{len(files)} reports, {pages} pages (seed {args.seed}); spaCy model load {load_s:.1f} s; "
          f"ingestion pair: fastest of {len(raw_times)} interleaved runs\n")
    print(f"| {'step':<52} | pages/s | time ratio vs library |")
    print(f"|{'-' * 54}|---------|-----------------------|")
    for step, rate, ratio in table:
        print(f"| {step:<52} | {rate:7.1f} | {ratio:21.2f} |")
    print()
    print(markdown(score, len(files)))


if __name__ == "__main__":
    main()
