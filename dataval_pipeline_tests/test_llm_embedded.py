"""The LLM stage against the real embedded server (llama.cpp + Qwen2.5-Coder-0.5B-Instruct) on short reports."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dataval_pipeline.anonymise.assets import anonymised_corpus
from dataval_pipeline.facts.assets import extracted_facts
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.findings.assets import read_findings_asset
from dataval_pipeline.llm.assets import report_classifications
from dataval_pipeline.llm.model_files import MODEL_SHA256, embedded_model_path
from dataval_pipeline.llm.server import EmbeddedServer
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.themes.classify import ASK_MARGIN_ENV
from dataval_pipeline.settings import Paths
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import QUIET_LOGS, register_inbox


@pytest.fixture(scope="session")
def embedded_llm(tmp_path_factory):
    """One embedded server for the whole test session (loading the model takes seconds, calls take many)."""
    cache = tmp_path_factory.mktemp("model-cache")
    with EmbeddedServer(model_path=embedded_model_path(cache), log=cache / "server.log") as server:
        yield server


def test_the_model_assembles_from_its_packages_and_matches_its_hash(embedded_llm):
    import hashlib

    digest = hashlib.sha256(embedded_llm.model_path.read_bytes()).hexdigest()
    assert digest == MODEL_SHA256


def test_llm_products_on_real_reports_are_valid_grounded_and_cached(embedded_llm, tmp_path_factory, monkeypatch):
    monkeypatch.setenv(ASK_MARGIN_ENV, "1.0")  # the model judges every finding with close candidates
    corpus = tmp_path_factory.mktemp("llm-corpus")
    generate_sample(corpus, reports=2, seed=909, with_bad_files=False, max_pages=1)
    home = Paths(tmp_path_factory.mktemp("llm-home").resolve())
    fill_inbox(home, corpus)
    resources = {"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                 "llm": LLMResource(base_url=embedded_llm.base_url, model=embedded_llm.model)}
    with dg.instance_for_test() as instance:
        keys = register_inbox(home, instance)
        runs = [dg.materialize([raw_reports, anonymised_corpus, read_findings_asset, report_classifications,
                                extracted_facts], instance=instance,
                               resources=resources, tags=range_tags(keys), run_config=QUIET_LOGS)
                for _ in range(2)]
    assert all(r.success for r in runs)
    first, second = (next(m.metadata for m in r.asset_materializations_for_node("read_findings")
                          if m.asset_key == dg.AssetKey("findings")) for r in runs)
    assert first["llm_calls"].value >= 1 and first["cache_hits"].value == 0  # one short question per finding
    assert second["llm_calls"].value == 0 and second["cache_hits"].value >= 1
    facts_second = runs[1].asset_materializations_for_node("extracted_facts")[0].metadata
    assert facts_second["llm_calls"].value == 0  # warm re-run: every answer from the cache
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        rows = con.execute("SELECT c.report_id, c.themes, c.primary_theme, c.evidence, a.text "
                           "FROM report_classifications c JOIN anonymised_corpus a USING (report_id)").fetchall()
        facts = con.execute("SELECT f.finess, f.evidence, f.measures, a.text "
                            "FROM extracted_facts f JOIN anonymised_corpus a USING (report_id)").fetchall()
        quarantined = con.execute("SELECT COUNT(*) FROM llm_quarantine").fetchone()[0] if _has(con, "llm_quarantine") else 0
    finally:
        con.close()
    assert len(rows) == 2 and quarantined == 0
    for _, themes, primary, evidence, text in rows:
        assert themes and primary in themes
        for item in json.loads(evidence):  # every kept quote is verbatim in the anonymised text
            assert collapse_whitespace(item["quote"]) in collapse_whitespace(text)
    assert len(facts) == 2  # facts read by rules do not depend on the LLM answering
    for finess, evidence, measures, text in facts:
        assert finess is not None
        for item in json.loads(evidence) + json.loads(measures):
            assert collapse_whitespace(item["quote"]) in collapse_whitespace(text)


def _has(con, view):
    return bool(con.execute("SELECT COUNT(*) FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()[0])


DEV = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
DEV_DOCUMENTS = ("03-ars-na-cd33-notification-mesures.pdf", "10-ars-grand-est-medicament.pdf",
                 "12-cd-isere-synthese-controle.pdf")


@pytest.mark.slow
def test_themes_of_three_dev_documents_with_the_real_model_are_schema_valid_and_grounded(embedded_llm, tmp_path):
    """Three documents by other authors: every finding asked (close candidates), one report also asked as if it
    numbered no finding (sentence ids); every answer valid, every quote written from an id. Not a score."""
    from dataval_pipeline.analyse import read_document
    from dataval_pipeline.anonymise.engine import get_anonymiser
    from dataval_pipeline.config import theme_ids
    from dataval_pipeline.contracts import load_contract
    from dataval_pipeline.contracts.validation import validate_schema
    from dataval_pipeline.findings.model import ReportReading
    from dataval_pipeline.findings.read import read_report
    from dataval_pipeline.llm.client import LLMSettings, ResponseCache, StructuredLLM
    from dataval_pipeline.themes import assign_finding_themes, classify_reports

    assert DEV.is_dir(), f"the development corpus is missing: {DEV}"
    anonymiser = get_anonymiser()
    texts = {}
    for name in DEV_DOCUMENTS:
        report_id, text = read_document(DEV / name)
        texts[report_id] = anonymiser.anonymise(text).text
    readings = {rid: read_report(text) for rid, text in texts.items()}
    assert all(r.findings for r in readings.values())
    llm = StructuredLLM(LLMSettings(base_url=embedded_llm.base_url, model=embedded_llm.model, timeout_s=900),
                        ResponseCache(tmp_path / "cache"))
    themed = assign_finding_themes({rid: (texts[rid], readings[rid]) for rid in texts}, llm, ask_margin=1.0)
    asked = sum(t.llm["asked"] for t in themed.values())
    assert asked >= 3 and all(t.llm["failed"] == 0 and not t.errors for t in themed.values())
    ids = set(theme_ids())
    for result in themed.values():
        assert all(f.themes and set(f.themes) <= ids for f in result.findings)
    reports = {rid: (texts[rid], ReportReading(findings=themed[rid].findings, measures=readings[rid].measures))
               for rid in texts}
    first = next(iter(texts))
    reports["no-findings"] = (texts[first], ReportReading())  # as if it numbered none: asked over sentences
    classified = classify_reports(reports, llm)
    assert classified["no-findings"].source == "sentences" and classified["no-findings"].error is None
    contract = load_contract("report_classifications")
    rows = [{"report_id": f"{i:016x}", "themes": c.themes, "primary_theme": c.primary_theme, "severity": c.severity,
             "evidence": json.dumps(c.evidence, ensure_ascii=False), "dropped_quotes": c.dropped_quotes,
             "llm_calls": c.llm_calls, "source": c.source, "model": embedded_llm.model, "prompt_version": "p",
             "classified_at": None} for i, c in enumerate(classified.values())]
    import datetime as dt

    import pyarrow as pa

    for row in rows:
        row["classified_at"] = dt.datetime.now(dt.timezone.utc)
    outcome = validate_schema(contract, pa.Table.from_pylist(rows, schema=contract.arrow_schema()))
    assert outcome.passed, outcome.markdown()
    for rid, result in classified.items():
        text = reports[rid][0]
        assert result.dropped_quotes == 0 and result.evidence
        for item in result.evidence:
            assert collapse_whitespace(item["quote"]) in collapse_whitespace(text)
