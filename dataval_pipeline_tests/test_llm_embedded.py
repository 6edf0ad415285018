"""The LLM stage against the real embedded server (llama.cpp + Qwen2.5-Coder-0.5B-Instruct) on short reports."""

import json

import dagster as dg
import duckdb
import pytest

from dataval_pipeline.anonymise.assets import anonymised_corpus
from dataval_pipeline.facts.assets import extracted_facts
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.llm.assets import report_classifications
from dataval_pipeline.llm.model_files import MODEL_SHA256, embedded_model_path
from dataval_pipeline.llm.server import EmbeddedServer
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
from dataval_pipeline.sample import generate_sample
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


def test_llm_products_on_real_reports_are_valid_grounded_and_cached(embedded_llm, tmp_path_factory):
    corpus = tmp_path_factory.mktemp("llm-corpus")
    generate_sample(corpus, reports=2, seed=909, with_bad_files=False, max_pages=1)
    home = Paths(tmp_path_factory.mktemp("llm-home").resolve())
    fill_inbox(home, corpus)
    resources = {"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                 "llm": LLMResource(base_url=embedded_llm.base_url, model=embedded_llm.model)}
    with dg.instance_for_test() as instance:
        keys = register_inbox(home, instance)
        runs = [dg.materialize([raw_reports, anonymised_corpus, report_classifications, extracted_facts], instance=instance,
                               resources=resources, tags=range_tags(keys), run_config=QUIET_LOGS)
                for _ in range(2)]
    assert all(r.success for r in runs)
    first, second = (r.asset_materializations_for_node("report_classifications")[0].metadata for r in runs)
    assert first["llm_calls"].value >= 2 and first["cache_hits"].value == 0
    assert second["llm_calls"].value == 0 and second["cache_hits"].value == first["llm_calls"].value
    facts_first, facts_second = (r.asset_materializations_for_node("extracted_facts")[0].metadata for r in runs)
    assert facts_first["llm_calls"].value == 0 and facts_second["llm_calls"].value == 0  # the classification's answers
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        rows = con.execute("SELECT c.report_id, c.themes, c.primary_theme, c.evidence, a.text "
                           "FROM report_classifications c JOIN anonymised_corpus a USING (report_id)").fetchall()
        facts = con.execute("SELECT f.finess, f.evidence, f.measures, a.text "
                            "FROM extracted_facts f JOIN anonymised_corpus a USING (report_id)").fetchall()
        quarantined = con.execute("SELECT COUNT(*) FROM llm_quarantine").fetchone()[0] if _has(con, "llm_quarantine") else 0
    finally:
        con.close()
    assert len(rows) + quarantined == 2 and len(rows) >= 1
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
