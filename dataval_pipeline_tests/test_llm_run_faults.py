"""A misbehaving LLM endpoint seen by a real run of the step that asks the model: a misconfigured endpoint
fails the run at once with the setting to fix; malformed answers quarantine requests without failing it;
a good server afterwards answers them, and the emptied quarantine still reads as zero rows in the catalog."""

import dagster as dg
import duckdb

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS, anonymised_corpus
from dataval_pipeline.findings.assets import LLM_QUARANTINE, read_findings_asset
from dataval_pipeline.ingest.assets import raw_reports
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import LLMResource, WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.themes.classify import ASK_MARGIN_ENV
from dataval_pipeline.warehouse.store import read_partitions
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import QUIET_LOGS, materialize_reports
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer


def _read_findings(home, instance, keys, server) -> dg.ExecuteInProcessResult:
    llm = LLMResource(base_url=server.base_url, model="scripted", concurrency=2, backoff_s=0.01)
    return dg.materialize([read_findings_asset], instance=instance, run_config=QUIET_LOGS, raise_on_error=False,
                          resources={"warehouse": WarehouseResource(home=str(home.home)), "llm": llm},
                          tags=range_tags(keys))


def _failure_messages(result) -> str:
    return "\n".join(str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure)


def test_a_misconfigured_endpoint_fails_the_run_and_malformed_answers_only_quarantine(home, tmp_path, monkeypatch):
    monkeypatch.setenv(ASK_MARGIN_ENV, "1.0")  # every finding with close candidates is a question
    corpus = tmp_path / "corpus"
    generate_sample(corpus, reports=2, seed=505, max_pages=2, with_bad_files=False)
    fill_inbox(home, corpus)
    with dg.instance_for_test() as instance:
        assert materialize_reports(home, instance, [raw_reports, anonymised_corpus], anonymiser=True).success
        keys = instance.get_dynamic_partitions("reports")
        assert read_partitions(home, ANONYMISED_CORPUS).num_rows == 2

        with ScriptedLLMServer(["401"] * 50) as server:  # a wrong key
            refused = _read_findings(home, instance, keys, server)
            sent = len(server.requests)
        assert not refused.success, "a refused key is a configuration error, not a bad report"
        message = _failure_messages(refused)
        assert "misconfigured" in message and "DATAVAL_LLM_API_KEY" in message, message
        assert sent <= 2, "the run stops at the first refusal instead of sending every question"

        with ScriptedLLMServer(["empty_200", "null", "html", "no_choices"] * 100) as server:
            malformed = _read_findings(home, instance, keys, server)
            assert server.requests
        assert malformed.success, _failure_messages(malformed)
        quarantined = read_partitions(home, LLM_QUARANTINE).to_pylist()
        assert quarantined and all("malformed answers" in row["reason"] for row in quarantined)

        with ScriptedLLMServer() as server:
            healed = _read_findings(home, instance, keys, server)
        assert healed.success
    assert read_partitions(home, LLM_QUARANTINE).num_rows == 0
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:  # the emptied product still reads, as zero rows
        assert con.execute("SELECT COUNT(*) FROM llm_quarantine").fetchone()[0] == 0
    finally:
        con.close()
