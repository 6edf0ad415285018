"""anonymised_corpus through Dagster, and the privacy boundary: no gold personal data after it."""

import json

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from dataval_pipeline.anonymise.assets import anonymisation_quality, anonymised_corpus
from dataval_pipeline.anonymise.evaluate import _compact, is_leaked
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.findings.assets import read_findings_asset
from dataval_pipeline.llm.assets import report_classifications
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
from dataval_pipeline.settings import Paths
from dataval_pipeline.themes.classify import ASK_MARGIN_ENV
from dataval_pipeline_tests.conftest import fill_inbox, read_gold
from dataval_pipeline_tests.dagster_helpers import QUIET_LOGS, event_log_text, materialize_reports
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

ASSETS = [raw_reports, anonymised_corpus]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, sample_corpus):
    """raw_reports + anonymised_corpus over every report, then the quality evaluation (once per module)."""
    home = Paths(tmp_path_factory.mktemp("boundary").resolve())
    fill_inbox(home, sample_corpus)
    home.reference.mkdir(parents=True, exist_ok=True)
    home.gold.write_text((sample_corpus / "gold.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    with dg.instance_for_test() as instance:
        first = materialize_reports(home, instance, ASSETS, anonymiser=True)
        assert first.success
        warehouse = WarehouseResource(home=str(home.home))
        second = dg.materialize(
            [anonymisation_quality], instance=instance,
            resources={"warehouse": warehouse, "anonymiser": AnonymiserResource()},
        )
        assert second.success
        with ScriptedLLMServer() as llm_server, pytest.MonkeyPatch.context() as env:  # records every request body
            env.setenv(ASK_MARGIN_ENV, "1.0")  # every finding with close candidates goes to "the LLM"
            keys = instance.get_dynamic_partitions("reports")
            third = dg.materialize(
                [read_findings_asset, report_classifications], instance=instance, run_config=QUIET_LOGS,
                resources={"warehouse": warehouse, "llm": LLMResource(base_url=llm_server.base_url, model="scripted")},
                tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
            )
            assert third.success
        yield home, instance, [first, second, third], list(llm_server.requests)


def _product_values(paths) -> list[str]:
    """Every string value of every product the analysts can read."""
    values = []
    for parquet in paths.warehouse.rglob("*.parquet"):
        for row in pq.read_table(parquet).to_pylist():
            values += [str(v) for v in row.values() if v is not None]
    return values


def test_no_personal_data_after_the_boundary(pipeline_run, sample_corpus):
    paths, instance, results, llm_requests = pipeline_run
    gold = [g for g in read_gold(sample_corpus) if g.get("pii")]
    assert len(gold) >= 10 and sum(len(g["pii"]) for g in gold) >= 100, "the sample must hold personal data"
    products = collapse_whitespace(" ".join(_product_values(paths)))
    keep = [collapse_whitespace(k) for g in gold for k in g["keep"]]
    for surface in keep:  # kept facts are allowed to (and must) stay
        products = products.replace(surface, " ")
    compact = _compact(products)
    leaks = [(g["report_id"], p["kind"]) for g in gold for p in g["pii"]
             if is_leaked(p["kind"], p["surface"], products, compact)]
    assert not leaks, f"personal data in products: {leaks[:5]}"
    requests = collapse_whitespace(" ".join(m["content"] for r in llm_requests for m in r["messages"]))
    findings = [r for p in paths.warehouse.glob("findings/v*/part-*.parquet") for r in pq.read_table(p).to_pylist()]
    assert llm_requests and any(collapse_whitespace(f["text"]) in requests for f in findings), \
        "the LLM must have received text of the anonymised reports (one finding at a time)"
    request_leaks = [(g["report_id"], p["kind"]) for g in gold for p in g["pii"]
                     if is_leaked(p["kind"], p["surface"], _without(requests, keep), _compact(_without(requests, keep)))]
    assert not request_leaks, f"personal data sent to the LLM: {request_leaks[:5]}"
    catalog = paths.catalog.read_bytes().decode("latin-1")
    log = "\n".join(event_log_text(instance, r.run_id) for r in results)
    surfaces = {p["surface"] for g in gold for p in g["pii"] if len(p["surface"]) >= 6}
    assert surfaces and catalog and log
    for surface in surfaces:
        assert surface not in catalog
        assert surface not in log, "personal data in the Dagster event log or metadata"


def _without(text: str, keep: list[str]) -> str:
    for surface in keep:
        text = text.replace(surface, " ")
    return text


def test_every_ok_report_has_one_anonymised_row(pipeline_run, sample_corpus):
    paths, _, _, _ = pipeline_run
    con = duckdb.connect(str(paths.catalog), read_only=True)
    try:
        missing = con.execute(
            "SELECT COUNT(*) FROM raw_reports r LEFT JOIN anonymised_corpus a USING (report_id) "
            "WHERE r.status = 'ok' AND a.report_id IS NULL").fetchone()[0]
        orphans = con.execute(
            "SELECT COUNT(*) FROM anonymised_corpus a JOIN raw_reports r USING (report_id) "
            "WHERE r.status <> 'ok'").fetchone()[0]
        counts = {r: json.loads(c) for r, c in con.execute(
            "SELECT report_id, entity_counts FROM anonymised_corpus").fetchall()}
    finally:
        con.close()
    assert missing == 0 and orphans == 0
    named = {g["report_id"] for g in read_gold(sample_corpus)
             if any(p["kind"] == "PERSONNE" for p in g.get("pii") or [])}
    assert len(named & counts.keys()) >= 10, "the accepted sample reports that name people are in the corpus"
    assert all(counts[r].get("PERSONNE", 0) >= 1 for r in named & counts.keys()), "their people are replaced"


def test_quality_meets_the_targets_on_the_sample(pipeline_run):
    paths, _, _, _ = pipeline_run
    con = duckdb.connect(str(paths.catalog), read_only=True)
    try:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT metric_scope, recall, precision, keep_rate, reports FROM anonymisation_quality").fetchall()}
    finally:
        con.close()
    assert rows["ALL"][3] >= 10
    for kind in ("PERSONNE", "NIR", "RPPS", "TELEPHONE", "EMAIL", "IBAN"):
        assert rows[kind][0] >= 0.99, (kind, rows[kind])
    for kind in ("ADRESSE", "DATE_NAISSANCE"):
        assert rows[kind][0] >= 0.97, (kind, rows[kind])
    assert rows["ALL"][2] >= 0.99
    # Scored on the published product: precision needs the detected spans, which never leave the anonymiser
    assert rows["ALL"][1] is None


def test_without_gold_labels_the_quality_product_says_it_scored_nothing(home):
    """An explained empty result, not a silent one: the ALL row counts 0 reports and the page says why."""
    with dg.instance_for_test() as instance:
        result = dg.materialize([anonymisation_quality], instance=instance,
                                resources={"warehouse": WarehouseResource(home=str(home.home))})
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert "Not scored: no gold labels" in event.materialization.metadata["evaluation"].value
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        assert con.execute("SELECT metric_scope, reports, gold_items FROM anonymisation_quality").fetchall() == [
            ("ALL", 0, 0)]
    finally:
        con.close()


def test_each_partition_carries_its_own_metadata(pipeline_run, sample_corpus):
    """One run over every file: each report's materialisation has its own row count, status and source
    label (never the batch's); a report rejected upstream says so in anonymised_corpus; FINESS findable."""
    paths, _, results, _ = pipeline_run
    gold = {g["report_id"]: g for g in read_gold(sample_corpus)}
    events = {(e.asset_key.path[-1], e.partition): e.materialization.metadata
              for e in results[0].get_asset_materialization_events()}
    raw = {r["report_id"]: r for r in pq.read_table(paths.warehouse / "raw_reports" / "v1").to_pylist()}
    rejected = [k for k, r in raw.items() if r["status"] == "rejected"]
    accepted = [k for k, r in raw.items() if r["status"] == "ok"]
    assert rejected and accepted and len(events) == 2 * len(raw)
    for key, row in raw.items():
        mine = events[("raw_reports", key)]
        assert mine["dagster/row_count"].value == 1 and mine["status"].value == row["status"]
        assert mine["pages"].value == row["page_count"] and mine["source"].value == row["source_label"]
        anonymised = events[("anonymised_corpus", key)]
        if row["status"] == "ok":
            assert anonymised["dagster/row_count"].value == 1 and anonymised["status"].value == "ok"
            if row["extraction"] == "text_layer" and gold.get(key, {}).get("facts", {}).get("finess"):
                assert gold[key]["facts"]["finess"] in anonymised["finess"].value
        else:
            assert anonymised["dagster/row_count"].value == 0
            assert anonymised["status"].value == "skipped: rejected upstream"
            assert anonymised["reject_reason"].value == row["reject_reason"] == mine["reject_reason"].value
