"""Load and scale: a backfill of N reports, one new report after it, contract checks and analyst queries
on 10,000 reports. Prints tables.

1. Backfill: N generated reports through raw_reports and anonymised_corpus (with their contract checks)
   in one Dagster run over every partition (what `dataval demo` and a single-run backfill do), with the
   process's resident memory sampled over time against the partitions done: it must stay flat.
2. Incremental: one more report, and a run of the per-report stages for its partition only; the
   partitions processed are counted from the Parquet files written and from the assets' metadata.
3. Scale without the LLM: 10,000 report_classifications partitions (one Parquet file per report, as the
   pipeline writes them) and a fraud_features product synthesised from the contracts' Arrow schemas;
   the blocking contract check's work on them, and analysts' queries through the DuckDB catalog
   (a theme count, the fraud_watchlist view), opened read-only as analysts do.
4. Inbox burst: 500 files dropped at once (distinct PDFs, duplicates and a few hostile entries: a FIFO,
   links, a folder, hidden and temporary names, a non-UTF-8 name), taken by the real inbox sensor tick
   after tick with its per-tick cap: every entry is accounted for (landed or skipped with a reason), time
   per file and per tick.
5. Analyst sessions: runs of the per-report stages while another process holds the catalog, read-only
   then read-write: every run succeeds, and the time spent publishing catalog views is printed (the bound
   on what an analyst can cost a run).

Usage: python bench/load.py [--reports 1000] [--max-pages 15] [--analyst-reports 10000] [--inbox-files 500]
                            [--seed 9090] [--skip-backfill] [--only-inbox]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dataval_pipeline.config import load_taxonomy
from dataval_pipeline.contracts import Contract, load_contract
from dataval_pipeline.contracts.checks import product_connection
from dataval_pipeline.contracts.validation import duplicate_keys, quality_rules, run_sql_rules, validate_schema
from dataval_pipeline.demo import QUIET_LOGS, register_inbox
from dataval_pipeline.identifiers import finess_with_check_digit
from dataval_pipeline.instance import get_instance
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import AnonymiserResource, WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse import catalog
from dataval_pipeline.warehouse.store import conform, product_dir

STAGES = ("raw_reports", "anonymised_corpus")


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; the backfill runs in this process)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def files_written(paths: Paths, product: str, since: float) -> int:
    folder = paths.warehouse / product
    return sum(1 for f in folder.glob("v*/part-*.parquet") if f.stat().st_mtime >= since) if folder.exists() else 0


class MemorySampler:
    """RSS every ``interval_s`` with the partitions each stage has written so far."""

    def __init__(self, paths: Paths, since: float, interval_s: float = 0.5) -> None:
        self.paths, self.since, self.interval_s = paths, since, interval_s
        self.samples: list[tuple[float, float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            done = {stage: files_written(self.paths, stage, self.since) for stage in STAGES}
            self.samples.append((time.time() - self.since, rss_mb(), done))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def at_progress(self, stage: str, total: int) -> list[tuple[str, float, float]]:
        """(progress, seconds, RSS MB) at the first sample where ``stage`` had done 10/25/50/75/100 %."""
        rows = []
        for share in (0.10, 0.25, 0.50, 0.75, 1.0):
            for seconds, rss, done in self.samples:
                if done[stage] >= share * total:
                    rows.append((f"{stage} {int(share * 100)} %", seconds, rss))
                    break
        return rows


def step_seconds(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> dict[str, float]:
    """Wall time of each step of a run (assets and checks), from its event log."""
    spans: dict[str, list[float]] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is not None and event.event_type_value in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE"):
            spans.setdefault(entry.step_key, []).append(entry.timestamp)
    return {key: max(times) - min(times) for key, times in spans.items()}


def materialize(paths: Paths, instance: dg.DagsterInstance, keys: list[str]) -> dg.ExecuteInProcessResult:
    """The per-report stages and their contract checks over ``keys`` in one run, as `dataval demo` runs them."""
    from dataval_pipeline.definitions import defs

    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    selected = [a for a in assets if any(key.path[-1] in STAGES for key in a.keys)]
    resources = {**defs.resources, "warehouse": WarehouseResource(home=str(paths.home)), "anonymiser": AnonymiserResource()}
    return dg.materialize([*assets, *defs.asset_checks], instance=instance, resources=resources,
                          tags=range_tags(keys), run_config=QUIET_LOGS, raise_on_error=False,
                          selection=dg.AssetSelection.assets(*selected))


def metadata_rows(result: dg.ExecuteInProcessResult, stage: str) -> int:
    events = result.asset_materializations_for_node(stage)
    return int(events[0].metadata["dagster/row_count"].value) if events else 0


def print_table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row) + " |")


# -- 1 and 2: backfill, then one new report ------------------------------------------------------------------
def backfill_and_incremental(paths: Paths, reports: int, max_pages: int, seed: int) -> None:
    started = time.perf_counter()
    summary = generate_sample(paths.inbox, paths.home / "sample-meta", reports=reports, seed=seed,
                              max_pages=max_pages, with_bad_files=True)
    generate_s = time.perf_counter() - started
    instance = get_instance(paths)
    keys = register_inbox(paths, instance)

    since = time.time()
    with MemorySampler(paths, since) as sampler:
        started = time.perf_counter()
        result = materialize(paths, instance, keys)
        backfill_s = time.perf_counter() - started
    if not result.success:
        raise SystemExit("the backfill run failed: see the Dagster event log")
    pages = int(result.asset_materializations_for_node("raw_reports")[0].metadata["pages"].value)
    ok = metadata_rows(result, "anonymised_corpus")
    steps = step_seconds(instance, result)

    print(f"\n{reports} generated reports + {summary.bad_files} bad files = {len(keys)} partitions, {pages} pages "
          f"(generated in {generate_s:.1f} s; seed {seed}, at most {max_pages} pages per report)")
    print_table("Backfill: one run over every partition (steps: the assets and their contract checks)",
                ("step", "seconds", "per partition (s)", "pages/s"),
                [(key, seconds, seconds / len(keys), pages / seconds if key in STAGES else "")
                 for key, seconds in sorted(steps.items())]
                + [("whole run", backfill_s, backfill_s / len(keys), pages / backfill_s)])
    rows = [("start", 0.0, sampler.samples[0][1])]
    for stage in STAGES:
        rows += sampler.at_progress(stage, len(keys) if stage == "raw_reports" else ok)
    rows.append(("end", sampler.samples[-1][0], sampler.samples[-1][1]))
    print_table("Resident memory during the backfill (sampled every 0.5 s)", ("point", "seconds", "RSS MB"), rows)
    rss = [rss for _, rss, _ in sampler.samples]
    after_model = [rss for _, rss, done in sampler.samples if done["anonymised_corpus"] >= max(1, ok // 10)]
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB; during anonymisation (after 10 % done, spaCy model loaded) RSS moved "
          f"between {min(after_model, default=0):,.0f} and {max(after_model, default=0):,.0f} MB; "
          f"{len(rss)} samples")

    # 2. one new report: only its partition is processed
    new_dir = paths.home / "new-report"
    generate_sample(new_dir, reports=1, seed=seed + 1, max_pages=max_pages, with_bad_files=False)
    for pdf in new_dir.glob("*.pdf"):
        (paths.inbox / pdf.name).write_bytes(pdf.read_bytes())
    before = set(keys)
    all_keys = register_inbox(paths, instance)
    new_keys = [k for k in all_keys if k not in before]
    since = time.time()
    started = time.perf_counter()
    incremental = materialize(paths, instance, new_keys)
    incremental_s = time.perf_counter() - started
    written = {stage: files_written(paths, stage, since) for stage in STAGES}
    restricted = sum(1 for f in (paths.restricted / "raw_reports").glob("v*/part-*.parquet")
                     if f.stat().st_mtime >= since)
    print_table(f"Incremental: 1 new report, run over its partition only ({len(all_keys)} partitions in all)",
                ("stage", "partitions in the run", "Parquet files written", "row_count metadata", "seconds"), [
                    (stage, len(new_keys), f"{written[stage]}" + (f" (+{restricted} restricted)"
                                                                   if stage == "raw_reports" else ""),
                     metadata_rows(incremental, stage), step_seconds(instance, incremental).get(stage, 0.0))
                    for stage in STAGES])
    checks = {k: v for k, v in step_seconds(instance, incremental).items() if "contract" in k or "quality" in k}
    print(f"\nincremental run: {incremental_s:.1f} s in all, of which contract checks "
          f"{sum(checks.values()):.1f} s (the blocking check reads the run's partitions; duplicate keys and SQL "
          "rules scan the whole product)")
    per_report = backfill_s / len(keys)
    print(f"\nat this rate, a backfill of 1,000 reports of this kind takes about {1000 * per_report / 60:.0f} min "
          f"({per_report:.2f} s per partition) plus {1000 * generate_s / reports:.0f} s to generate them")


# -- 3: scale without the LLM: synthetic products from the contracts' schemas ---------------------------------
def synthetic_value(field: pa.Field, rng: random.Random, index: int):
    """A plausible value of any Arrow type (for columns a contract adds later)."""
    kind = field.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return f"{field.name}-{index % 97}"
    if pa.types.is_integer(kind):
        return rng.randint(0, 50)
    if pa.types.is_floating(kind):
        return rng.gauss(0, 1)
    if pa.types.is_boolean(kind):
        return rng.random() < 0.5
    if pa.types.is_timestamp(kind):
        return dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=index)
    if pa.types.is_date(kind):
        return dt.date(2024, 1, 1) + dt.timedelta(days=index % 700)
    if pa.types.is_list(kind):
        return [synthetic_value(pa.field(field.name, kind.value_type), rng, index)]
    return None


def synthetic_rows(contract: Contract, count: int, rng: random.Random, known) -> list[dict]:
    schema = contract.arrow_schema()
    rows = []
    for index in range(count):
        values = known(index)
        rows.append({f.name: values[f.name] if f.name in values else synthetic_value(f, rng, index) for f in schema})
    return rows


def write_files(paths: Paths, contract: Contract, partitions: dict[str, list[dict]]) -> float:
    """Partitions in the store's layout; written directly (no fsync, no temp file): setup, not the measure."""
    folder = product_dir(paths.warehouse, contract)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for partition, rows in partitions.items():
        pq.write_table(conform(contract, rows, include_restricted=False), folder / f"part-{partition}.parquet",
                       compression="zstd")
    return time.perf_counter() - started


def analyst_scale(paths: Paths, reports: int, seed: int) -> None:
    rng = random.Random(seed)
    themes = [t.id for t in load_taxonomy()]
    severities = ["low"] * 4 + ["medium"] * 4 + ["high"] * 2 + ["critical"]
    now = dt.datetime.now(dt.timezone.utc)
    classifications = load_contract("report_classifications")

    def classification(index: int) -> dict:
        picked = rng.sample(themes, rng.randint(1, 4))
        return {"report_id": f"{index:016x}", "themes": picked, "primary_theme": picked[0],
                "severity": rng.choice(severities), "llm_calls": rng.randint(1, 3), "dropped_quotes": rng.randint(0, 1),
                "evidence": json.dumps([{"theme": picked[0], "quote": "Le registre n'est pas tenu à jour."}]),
                "model": "synthetic", "prompt_version": "report_analysis.v2", "classified_at": now}

    rows = synthetic_rows(classifications, reports, rng, classification)
    write_s = write_files(paths, classifications, {row["report_id"]: [row] for row in rows})

    features = load_contract("fraud_features")
    establishments = max(2, round(reports * 0.7))  # as many reports per establishment as the sample generator
    departments = ["01", "13", "2A", "29", "33", "35", "44", "59", "69", "75", "83", "93"]
    bands = ["<60", "60-99", "100-199", "200+"]
    scores = sorted((rng.expovariate(1.0) for _ in range(establishments)), reverse=True)

    def establishment(index: int) -> dict:
        department = departments[index % len(departments)]
        capacity = rng.choice([45, 64, 80, 96, 120, 150, 210])
        band = bands[(capacity >= 60) + (capacity >= 100) + (capacity >= 200)]
        return {"finess": finess_with_check_digit(department + f"{index:06d}"), "establishment_name": f"EHPAD {index}",
                "department_code": department, "legal_status": rng.choice(["public", "private_non_profit",
                                                                           "private_commercial"]),
                "capacity": capacity, "capacity_band": band, "peer_group": f"{department}/{band}", "in_register": True,
                "reports": 1 + (index % 3 == 0), "anomaly_score": scores[index], "risk_rank": index + 1,
                "scored_features": 12, "top_features": ["care_fte_gap"],
                "top_reasons": ["déclare 3,2 ETP soignants de plus que constaté en inspection"],
                "features_version": "1", "computed_at": now}

    feature_rows = synthetic_rows(features, establishments, rng, establishment)
    write_s += write_files(paths, features, {"all": feature_rows})
    for contract in (classifications, features):
        catalog.publish_views(paths, contract)
    from dataval_pipeline.fraud.assets import WATCHLIST_VIEW, watchlist_sql

    catalog.publish_derived_view(paths, WATCHLIST_VIEW, watchlist_sql(WarehouseResource(home=str(paths.home))))

    # the blocking contract check's work over the whole product, as a backfill of every report runs it
    warehouse = WarehouseResource(home=str(paths.home))
    timings = []
    started = time.perf_counter()
    table = warehouse.read(classifications)
    timings.append(("read every partition (Arrow)", time.perf_counter() - started))
    started = time.perf_counter()
    outcome = validate_schema(classifications, table)
    timings.append(("schema, types, required, enums (GX suite)", time.perf_counter() - started))
    started = time.perf_counter()
    con = product_connection(warehouse)
    outcome.failures += duplicate_keys(classifications, con)
    sql = run_sql_rules(classifications, quality_rules(classifications, "error") + quality_rules(classifications,
                                                                                                 "warning"), con)
    con.close()
    timings.append(("unique keys + SQL rules (DuckDB over the Parquet files)", time.perf_counter() - started))
    print(f"\nScale: {reports:,} report_classifications partitions (one Parquet file each) and {establishments:,} "
          f"fraud_features rows, synthesised from the contracts' schemas in {write_s:.1f} s")
    print_table(f"Contract checks on {table.num_rows:,} rows of report_classifications "
                f"(passed: {outcome.passed and sql.passed})", ("part", "seconds"),
                timings + [("all", sum(s for _, s in timings))])

    queries = {
        "reports per theme": "SELECT theme, COUNT(*) AS reports FROM (SELECT UNNEST(themes) AS theme "
                             "FROM report_classifications) GROUP BY theme ORDER BY reports DESC",
        "severity by primary theme": "SELECT primary_theme, severity, COUNT(*) FROM report_classifications "
                                     "GROUP BY ALL ORDER BY ALL",
        "fraud_watchlist: top 20": "SELECT risk_rank, finess, establishment_name, anomaly_score, top_reasons[1] "
                                   "FROM fraud_watchlist LIMIT 20",
        "fraud_watchlist: one département": "SELECT risk_rank, finess, anomaly_score FROM fraud_watchlist "
                                            "WHERE department_code = '29' LIMIT 10",
    }
    rows = []
    for name, sql_text in queries.items():
        con = duckdb.connect(str(paths.catalog), read_only=True)  # a fresh analyst session: cold first query
        try:
            started = time.perf_counter()
            count = len(con.execute(sql_text).fetchall())
            cold = time.perf_counter() - started
            warm = []
            for _ in range(3):
                started = time.perf_counter()
                con.execute(sql_text).fetchall()
                warm.append(time.perf_counter() - started)
        finally:
            con.close()
        rows.append((name, count, cold, statistics.median(warm)))
    print_table("Analyst queries through the catalog (read-only session)",
                ("query", "rows", "first run (s)", "median of 3 more (s)"), rows)


# -- 4: 500 files dropped at once, taken by the sensor --------------------------------------------------------
def _hostile_entries(inbox: Path, outside: Path) -> int:
    """Entries that are not report files; returns how many."""
    os.mkfifo(inbox / "tube.pdf")
    os.symlink(outside, inbox / "lien vers l'extérieur.pdf")
    os.symlink(inbox / "absent.pdf", inbox / "lien cassé.pdf")
    (inbox / "dossier.pdf").mkdir()
    (inbox / ".DS_Store").write_bytes(b"\0" * 64)
    (inbox / "envoi.pdf.part").write_bytes(b"%PDF-1.4 partial")
    return 6


def inbox_burst(paths: Paths, files: int, seed: int) -> None:
    from dataval_pipeline.definitions import defs
    from dataval_pipeline.ingest.landing import current_skips, landed_report_ids, read_sidecar

    source = paths.home / "burst-source"
    generate_sample(source, reports=20, seed=seed + 2, max_pages=3, with_bad_files=False)
    pdfs = [p.read_bytes() for p in sorted(source.glob("*.pdf"))]
    paths.inbox.mkdir(parents=True, exist_ok=True)
    outside = paths.home / "outside.pdf"
    outside.write_bytes(pdfs[0])
    hostile = _hostile_entries(paths.inbox, outside)
    duplicates = files // 20
    distinct = files - hostile - duplicates
    contents = {}
    for index in range(distinct):  # distinct contents: a sample report with its own trailing comment
        data = pdfs[index % len(pdfs)] + f"\n% deposit {index}\n".encode()
        name = os.fsencode(str(paths.inbox)) + b"/" + (f"dépôt {index:04d}.pdf".encode() if index % 50
                                                      else f"d\xe9p\xf4t {index:04d}.pdf".encode("latin-1"))
        with open(name, "wb") as handle:
            handle.write(data)
        contents[index] = data
    for index in range(duplicates):  # the same bytes under another name
        (paths.inbox / f"copie {index:04d}.pdf").write_bytes(contents[index])
    entries = len(os.listdir(paths.inbox))
    bytes_total = sum(len(d) for d in contents.values()) + sum(len(contents[i]) for i in range(duplicates))
    time.sleep(float(os.environ.get("DATAVAL_INBOX_SETTLE_S", "3")) + 0.2)  # dropped at once, then settled

    sensor = defs.resolve_sensor_def("inbox_sensor")
    rows, registered, cursor = [], [], None
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        for tick in range(1, 100):
            tick_started = time.perf_counter()
            context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                              resources={"warehouse": WarehouseResource(home=str(paths.home))})
            result = sensor(context)
            keys = [k for r in result.dynamic_partitions_requests or [] for k in r.partition_keys]
            if keys:
                instance.add_dynamic_partitions("reports", keys)
            registered += keys
            cursor = result.cursor
            rows.append((tick, len(keys), time.perf_counter() - tick_started))
            if not keys:
                break
        total_s = time.perf_counter() - started
    names = sum(len(read_sidecar(paths, key).get("names", [])) for key in landed_report_ids(paths))
    skips = current_skips(paths)
    print(f"\nInbox burst: {entries} entries dropped at once ({distinct} distinct PDFs, {duplicates} duplicates "
          f"under other names, {hostile} entries that are not report files; {bytes_total / 1e6:.1f} MB), "
          "taken by the inbox sensor (DATAVAL_INBOX_MAX_PER_TICK="
          f"{os.environ.get('DATAVAL_INBOX_MAX_PER_TICK', '200')})")
    print_table("Sensor ticks", ("tick", "partitions added", "seconds"), rows)
    print_table("Accounting", ("what", "count"), [
        ("entries in the inbox", entries),
        ("partitions registered (distinct contents)", len(set(registered))),
        ("names recorded in the landing sidecars", names),
        ("entries skipped with a reason", len(skips)),
        ("unaccounted (entries - names - skipped)", entries - names - len(skips)),
    ])
    for reason, count in sorted({s.reason: sum(1 for t in skips if t.reason == s.reason) for s in skips}.items()):
        print(f"- skipped ({count}): {reason}")
    print(f"\nall ticks: {total_s:.1f} s, {1000 * total_s / max(1, entries):.1f} ms per inbox entry, "
          f"{bytes_total / 1e6 / total_s:.1f} MB/s copied and hashed")


# -- 5: runs while an analyst holds the catalog ---------------------------------------------------------------
ANALYST = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
if sys.argv[2] == "rw":
    con.execute("CREATE TABLE analyst_notes AS SELECT 1 AS note")
print(con.execute("SELECT COUNT(*) FROM raw_reports").fetchone()[0], flush=True)
sys.stdin.read()
print(con.execute("SELECT COUNT(*) FROM raw_reports").fetchone()[0], flush=True)
"""


def analyst_sessions(paths: Paths, seed: int) -> None:
    published: list[float] = []
    refresh = catalog.refresh

    def timed_refresh(target: Paths) -> list[str]:
        started = time.perf_counter()
        try:
            return refresh(target)
        finally:
            published.append(time.perf_counter() - started)

    catalog.refresh = timed_refresh
    rows = []
    try:
        instance = get_instance(paths)
        paths.inbox.mkdir(parents=True, exist_ok=True)
        for index, mode in enumerate(("none", "ro", "rw")):
            batch = paths.home / f"batch-{index}"
            generate_sample(batch, reports=2, seed=seed + 10 + index, max_pages=2, with_bad_files=False)
            for pdf in batch.glob("*.pdf"):
                shutil.copyfile(pdf, paths.inbox / pdf.name)
            before = set(instance.get_dynamic_partitions("reports"))
            keys = [k for k in register_inbox(paths, instance) if k not in before]
            analyst = None
            if mode != "none":
                analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(paths.catalog), mode], text=True,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                analyst.stdout.readline()
            published.clear()
            started = time.perf_counter()
            result = materialize(paths, instance, keys)
            run_s = time.perf_counter() - started
            seen = ""
            if analyst is not None:
                seen, _ = analyst.communicate("", timeout=60)
            rows.append((f"analyst {'absent' if mode == 'none' else 'read-only' if mode == 'ro' else 'read-write'}",
                         "yes" if result.success else "NO", len(keys), run_s, len(published), max(published, default=0.0),
                         seen.strip() or "-"))
    finally:
        catalog.refresh = refresh
    print_table("Runs of raw_reports + anonymised_corpus while another process holds the catalog",
                ("session", "run succeeded", "new reports", "run (s)", "catalog publications",
                 "slowest publication (s)", "analyst's count after"), rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--max-pages", type=int, default=15)
    parser.add_argument("--analyst-reports", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9090, help="a seed the tests do not use")
    parser.add_argument("--skip-backfill", action="store_true", help="skip parts 1 and 2")
    parser.add_argument("--inbox-files", type=int, default=500)
    parser.add_argument("--only-inbox", action="store_true", help="only parts 4 and 5")
    args = parser.parse_args()
    for variable in ("DAGSTER_HOME", "DAGSTER_PG_HOST"):  # a throwaway local instance, never the user's
        os.environ.pop(variable, None)
    with tempfile.TemporaryDirectory(prefix="dataval-load-") as tmp:
        if args.only_inbox:
            home = Paths(Path(tmp) / "inbox")
            os.environ["DATAVAL_HOME"] = str(home.home)
            inbox_burst(home, args.inbox_files, args.seed)
            sessions = Paths(Path(tmp) / "sessions")
            os.environ["DATAVAL_HOME"] = str(sessions.home)
            analyst_sessions(sessions, args.seed)
            return
        if not args.skip_backfill:
            home = Paths(Path(tmp) / "backfill")
            os.environ["DATAVAL_HOME"] = str(home.home)
            backfill_and_incremental(home, args.reports, args.max_pages, args.seed)
        analyst_scale(Paths(Path(tmp) / "scale"), args.analyst_reports, args.seed)
        home = Paths(Path(tmp) / "inbox")
        os.environ["DATAVAL_HOME"] = str(home.home)
        inbox_burst(home, args.inbox_files, args.seed)
        sessions = Paths(Path(tmp) / "sessions")
        os.environ["DATAVAL_HOME"] = str(sessions.home)
        analyst_sessions(sessions, args.seed)
        os.environ.pop("DAGSTER_HOME", None)


if __name__ == "__main__":
    main()
