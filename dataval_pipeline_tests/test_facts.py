"""extracted_facts: rules on real generated PDFs, the cross-check with the LLM, the asset and its contract."""

import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.validation import validate_schema
from dataval_pipeline.demo import QUIET_LOGS, register_inbox
from dataval_pipeline.facts import rules
from dataval_pipeline.facts.extract import extract_facts
from dataval_pipeline.identifiers import finess_with_check_digit
from dataval_pipeline.ingest.extract import extract_text
from dataval_pipeline.llm.analysis import Analysis, is_grounded
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
from dataval_pipeline_tests.conftest import fill_inbox, read_gold
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

SCALARS = list(rules.SCALAR_RULES)
FINESS = finess_with_check_digit("75000123")


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _measure_keys(measures: list[dict]) -> list[tuple[str, str]]:
    return sorted((m["kind"], m["deadline"] or "") for m in measures)


def test_rules_read_every_fact_of_the_generated_reports(sample_corpus):
    """Every layout of the generator (4 numberings, on-site table or desk list): each fact exact and quoted."""
    reports = [g for g in read_gold(sample_corpus) if g["expected_status"] == "ok"]
    assert len({g["numbering"] for g in reports}) >= 3 and len({g["mode"] for g in reports}) == 2
    for gold in reports:
        text = extract_text((sample_corpus / gold["file"]).read_bytes()).text
        scalars, measures, _ = rules.read_facts(text)
        expected = gold["facts"]
        assert {name: _plain(f.value) for name, f in scalars.items()} == {name: expected[name] for name in SCALARS}, gold["file"]
        assert _measure_keys([m.value for m in measures]) == _measure_keys(expected["measures"]), gold["file"]
        for fact in [*scalars.values(), *measures]:
            assert is_grounded(fact.quote, text), (gold["file"], fact.quote)


def test_article_references_and_table_cells_are_not_findings():
    text = ("Le constat contrevient à l'article R. 4311-4 du CSP et aux articles R 311-3 et R.311-4 du CASF.\n"
            "E1 : La traçabilité des soins est incomplète, ce qui contrevient à l'article D.312-155-0.\n"
            "N° Constat Mesure Délai\nE1\nLa traçabilité des soins est incomplète\nInjonctio\nn\nimmédiat\n")
    assert rules.breaches(text).value == 1
    assert rules.remarks(text) is None
    [measure] = rules.measures(text)
    assert measure.value["kind"] == "injonction" and measure.value["deadline"] == "immédiat"


def test_an_invalid_finess_is_not_read():
    wrong_check_digit = FINESS[:-1] + str((int(FINESS[-1]) + 1) % 10)
    assert rules.finess(f"N° FINESS : {wrong_check_digit}.") is None
    assert rules.finess(f"N° FINESS : {wrong_check_digit}. FINESS juridique : {FINESS}.").value == FINESS


REPORT = (
    f"Établissement : EHPAD Les Lilas, 3 rue des Écoles, 75001 Paris. N° FINESS : {FINESS}.\n"
    "Inspection sur site réalisée le 3 mars 2025, après information préalable de la direction.\n"
    "La mission a été diligentée dans le cadre du programme régional d'inspection et de contrôle.\n"
    "L'établissement accueille des résidents sur 80 places autorisées.\n"
    "Le jour de la visite, 75 résidents étaient présents.\n"
)


def _analysis(**facts) -> Analysis:
    trigger_quote = facts.pop("trigger_quote", None)
    trigger = facts.pop("trigger", "programme")
    return Analysis(themes=["staffing"], primary_theme="staffing", severity="low", trigger=trigger,
                    unannounced=False, evidence=[], dropped_quotes=0, calls=1, trigger_quote=trigger_quote,
                    facts={"inspection_date": None, "capacity": None, "residents_present": None, "care_fte": None,
                           "medec_fte": None, "night_staff": None, **facts})


def test_the_llm_fills_what_rules_miss_only_when_the_text_supports_it():
    row = extract_facts("0123456789abcdef", REPORT, _analysis(capacity=80, care_fte=12.5)).row
    assert row["capacity"] == 80  # "sur 80 places autorisées": no rule reads it, the LLM did, and it is there
    assert {"field": "capacity", "source": "llm", "quote": "L'établissement accueille des résidents sur 80 places autorisées."} in row["evidence"]
    assert row["care_fte"] is None  # 12.5 FTE appears nowhere: invented, dropped and counted
    assert row["dropped_llm_facts"] == 1
    assert row["finess"] == FINESS and row["inspection_date"] == dt.date(2025, 3, 3) and row["unannounced"] is False


def test_rule_and_llm_disagreements_keep_the_rule_and_are_recorded():
    analysis = _analysis(residents_present=70, inspection_date="2025-03-03", trigger="complaint",
                         trigger_quote="Une réclamation inventée.")
    facts = extract_facts("0123456789abcdef", REPORT, analysis)
    assert facts.row["residents_present"] == 75 and facts.row["trigger"] == "programme"
    assert facts.disagreements == [{"field": "trigger", "rule": "programme", "llm": "complaint"},
                                   {"field": "residents_present", "rule": 75, "llm": 70}]
    assert facts.dropped_llm_facts == 2  # 70 residents and the trigger quote are not in the text


def test_without_an_llm_answer_the_rules_still_give_a_row():
    row = extract_facts("0123456789abcdef", REPORT, None).row
    assert row["finess"] == FINESS and row["llm_answered"] is False and row["disagreements"] == []


def test_a_malformed_finess_fails_the_blocking_contract_check():
    contract = load_contract("extracted_facts")
    row = {name: None for name in contract.column_names}
    row.update(report_id="0123456789abcdef", finess="75000123", measures="[]", amounts_eur="[]", evidence="[]",
               disagreements="[]", dropped_llm_facts=0, llm_answered=False, extracted_at=dt.datetime.now(dt.timezone.utc))
    outcome = validate_schema(contract, pa.Table.from_pylist([row], schema=contract.arrow_schema()))
    assert not outcome.passed
    assert "finess" in outcome.markdown()


@pytest.fixture(scope="module")
def facts_run(tmp_path_factory, sample_corpus):
    """Three reports through the real assets; the scripted LLM contradicts the text on the first call."""
    from dataval_pipeline.anonymise.assets import anonymised_corpus
    from dataval_pipeline.definitions import defs
    from dataval_pipeline.evaluation.assets import evaluation
    from dataval_pipeline.facts.assets import extracted_facts
    from dataval_pipeline.ingest.assets import raw_reports
    from dataval_pipeline.llm.assets import report_classifications
    from dataval_pipeline.settings import Paths

    home = Paths(tmp_path_factory.mktemp("facts").resolve())
    names = sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:3]
    fill_inbox(home, sample_corpus, names=names)
    home.reference.mkdir(parents=True)
    shutil.copyfile(sample_corpus / "gold.jsonl", home.gold)
    with dg.instance_for_test() as instance, ScriptedLLMServer(["wrong_facts"]) as server:
        keys = register_inbox(home, instance)
        resources = {"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                     "llm": LLMResource(base_url=server.base_url, model="scripted")}
        checks = [c for c in defs.asset_checks if "extracted_facts" in str(c.check_keys)]
        result = dg.materialize([raw_reports, anonymised_corpus, report_classifications, extracted_facts, *checks],
                                instance=instance, resources=resources, tags=range_tags(keys), run_config=QUIET_LOGS)
        scored = dg.materialize([evaluation], instance=instance, resources=resources, run_config=QUIET_LOGS)
        yield home, result, server, names, scored


def test_facts_asset_writes_grounded_rows_and_reuses_the_llm_answers(facts_run, sample_corpus):
    home, result, server, names, _ = facts_run
    assert result.success
    metadata = result.asset_materializations_for_node("extracted_facts")[0].metadata
    classified = result.asset_materializations_for_node("report_classifications")[0].metadata
    # One call per piece of report serves both LLM products: the facts come from the cache.
    assert classified["llm_calls"].value == len(server.requests) >= 3
    assert metadata["llm_calls"].value == 0 and metadata["cache_hits"].value == len(server.requests)
    gold = {g["facts"]["finess"] + g["facts"]["inspection_date"]: g["facts"] for g in read_gold(sample_corpus)
            if g["file"] in names}
    with duckdb.connect(str(home.catalog), read_only=True) as con:
        rows = con.execute("SELECT f.*, a.text FROM extracted_facts f JOIN anonymised_corpus a USING (report_id)").fetchall()
        columns = [d[0] for d in con.description]
    assert len(rows) == 3
    disagreements = 0
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        expected = gold[row["finess"] + row["inspection_date"].isoformat()]
        assert {name: _plain(row[name]) for name in SCALARS} == {name: expected[name] for name in SCALARS}
        assert _measure_keys(json.loads(row["measures"])) == _measure_keys(expected["measures"])
        for item in json.loads(row["evidence"]) + json.loads(row["measures"]):
            assert is_grounded(item["quote"], row["text"])
        disagreements += len(json.loads(row["disagreements"]))
    assert disagreements >= 2  # the contradicting answer: capacity 999 and the 1999 date at least
    assert metadata["rule_llm_disagreements"].value == disagreements
    assert all(e.passed for e in result.get_asset_check_evaluations())


def test_evaluation_scores_both_products_against_the_gold_labels(facts_run):
    home, _, _, _, scored = facts_run
    with duckdb.connect(str(home.catalog), read_only=True) as con:
        metrics = {(p, m): (v, matched, total) for p, m, v, matched, total in
                   con.execute("SELECT product, metric, value, matched, total FROM evaluation").fetchall()}
    assert metrics[("extracted_facts", "exact_match_all_facts")][0] == 1.0  # rules read every gold fact
    assert metrics[("extracted_facts", "grounded_quote_rate")][0] == 1.0
    assert metrics[("report_classifications", "schema_valid_rate")] == (1.0, 3, 3)
    # The scripted server always answers staffing + governance: the F1 is whatever that is worth, computed.
    precision, recall = metrics[("report_classifications", "theme_precision")], metrics[("report_classifications", "theme_recall")]
    f1 = metrics[("report_classifications", "theme_micro_f1")][0]
    assert precision[2] == 6 and f1 == pytest.approx(2 * precision[1] / (precision[2] + recall[2]))
    assert "theme_micro_f1" in scored.asset_materializations_for_node("evaluation")[0].metadata["report_classifications"].value


def test_a_badly_written_llm_fact_is_dropped_not_fatal():
    text = REPORT.replace("réalisée le 3 mars 2025", "réalisée au printemps")  # no rule reads a date now
    facts = extract_facts("0123456789abcdef", text, _analysis(inspection_date="03/03/2025", capacity=-5))
    assert facts.row["inspection_date"] is None and facts.row["capacity"] is None
    assert facts.dropped_llm_facts == 2
