"""Cost of the contract checks on 1,000 rows next to the product's own compute (goal: under 10 %).

The product's compute is measured on the real ingestion code (raw_report_row on 1,000 generated
PDF files); the checks are the blocking GX suite plus the SQL rules on the same 1,000 rows, with the GX
context and suite built once per process (their one-off build time is printed apart). With
``--compute-rows K`` below ``--rows``, only K files are extracted and timed (the compute is scaled to
``--rows``); the other rows copy their text under their own file's id, so 10,000 rows are checked
without 10,000 extractions.
Usage: python bench/contracts.py [--rows 1000] [--compute-rows K]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.validation import (
    _gx,
    duplicate_keys,
    expectation_suite,
    quality_rules,
    run_sql_rules,
    validate_schema,
)
from dataval_pipeline.identifiers import report_id_for
from dataval_pipeline.ingest.extract import raw_report_row
from dataval_pipeline.sample import generate_sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--compute-rows", type=int, default=0, help="files extracted and timed (0: all rows)")
    args = parser.parse_args()
    contract = load_contract("raw_reports")
    with tempfile.TemporaryDirectory(prefix="dataval-bench-") as tmp:
        generate_sample(Path(tmp), reports=40, seed=77, with_bad_files=True)
        pdfs = [p.read_bytes() for p in sorted(Path(tmp).glob("*.pdf"))]
    computed = min(args.rows, max(args.compute_rows or args.rows, len(pdfs)))  # each distinct PDF extracted
    files = [pdfs[i % len(pdfs)] + f"\n%{i}\n".encode() for i in range(args.rows)]  # distinct contents

    start = time.perf_counter()
    rows = [raw_report_row(data, f"file-{i}.pdf") for i, data in enumerate(files[:computed])]
    compute_s = (time.perf_counter() - start) * args.rows / computed
    for i, data in enumerate(files[computed:], start=computed):
        rows.append({**rows[i % len(pdfs)], "report_id": report_id_for(data), "source_file": f"file-{i}.pdf",
                     "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)})
    table = pa.Table.from_pylist(rows, schema=contract.arrow_schema())

    start = time.perf_counter()
    _gx()
    expectation_suite(contract)
    setup_s = time.perf_counter() - start

    start = time.perf_counter()
    outcome = validate_schema(contract, table)
    con = duckdb.connect()
    con.register("raw_reports", table.drop(["text"]))
    outcome.failures += duplicate_keys(contract, con)
    sql = run_sql_rules(contract, quality_rules(contract, "error") + quality_rules(contract, "warning"), con)
    checks_s = time.perf_counter() - start

    print(f"\n| step ({args.rows} rows of raw_reports) | seconds | share of compute |")
    print("|---|---|---|")
    scaled = f", scaled from {computed}" if computed < args.rows else ""
    print(f"| product compute (raw_report_row on {args.rows} PDFs{scaled}) | {compute_s:.2f} | 100 % |")
    print(f"| contract checks (GX suite + SQL rules) | {checks_s:.2f} | {100 * checks_s / compute_s:.1f} % |")
    print(f"| one-off: GX context and suite build | {setup_s:.2f} | (once per process) |")
    print(f"\nchecks passed: {outcome.passed and sql.passed} ({outcome.rules_checked + sql.rules_checked} rules)")


if __name__ == "__main__":
    main()
