"""findings, measures and llm_quarantine: contracts, the multi-asset on a real Dagster instance with its
blocking checks, and extracted_facts built from them (a report without findings included)."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from dataval_pipeline.config import theme_ids
from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.validation import quality_rules, rule_sql, run_sql_rules, validate_schema
from dataval_pipeline.findings.model import FINDING_KINDS, MEASURE_KINDS, Finding, Measure, ReportReading
from dataval_pipeline.findings.rows import (
    FINDINGS,
    MEASURES,
    finding_from_row,
    finding_row,
    measure_from_row,
    measure_row,
    readings_from_rows,
)
from dataval_pipeline.sample.pdf import render_pdf
from dataval_pipeline_tests.conftest import fill_inbox

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc)
REPORT = "0123456789abcdef"
FINDING = Finding(finding_id="E3", kind="breach", number=3, label="Écart n°3", text="Le registre n'est pas tenu.",
                  legal_refs=("L.311-3 CASF",), grade="majeur", start=120, end=146, section="2. Droits des usagers",
                  themes=("residents_rights",), fraud_signals=())
MEASURE = Measure(measure_id="P1", kind="prescription", number=1, label="Prescription n°1", text="Tenir le registre.",
                  deadline_text="3 mois", deadline_days=90, finding_ids=("E3",), start=300, end=318)


def _table(contract, rows):
    return pa.Table.from_pylist(rows, schema=contract.arrow_schema())


def _sql_failures(contract, rows) -> list[str]:
    con = duckdb.connect()
    con.register(contract.name, _table(contract, rows))
    outcome = run_sql_rules(contract, quality_rules(contract, "error"), con)
    return [f.rule for f in outcome.failures]


def test_rows_follow_the_contracts_and_read_back_as_the_model():
    finding, measure = finding_row(REPORT, FINDING, "m", NOW), measure_row(REPORT, MEASURE, NOW)
    assert list(finding) == FINDINGS.column_names and list(measure) == MEASURES.column_names
    assert validate_schema(FINDINGS, _table(FINDINGS, [finding])).passed
    assert validate_schema(MEASURES, _table(MEASURES, [measure])).passed
    assert _sql_failures(FINDINGS, [finding]) == [] and _sql_failures(MEASURES, [measure]) == []
    assert finding_from_row(finding) == FINDING and measure_from_row(measure) == MEASURE
    second = finding_row(REPORT, Finding("R1", "remark", 1, "Remarque n°1", "x", (), None, 10, 20), None, NOW)
    readings = readings_from_rows([REPORT, "fedcba9876543210"], [finding, second], [measure])
    assert [f.finding_id for f in readings[REPORT].findings] == ["R1", "E3"]  # text order
    assert readings["fedcba9876543210"] == ReportReading()


def test_the_contracts_hold_the_enums_and_the_keys():
    assert FINDINGS.column("kind").enum == ("breach", "remark") == FINDING_KINDS
    assert MEASURES.column("kind").enum == MEASURE_KINDS  # the reader's kinds are the contract's
    assert FINDINGS.column("grade").enum == ("critique", "majeur", "mineur", "majeure")
    assert MEASURES.column("kind").enum == ("injonction", "prescription", "recommandation")
    themes_rule = next(r for r in FINDINGS.quality if r["name"] == "themes_in_taxonomy")
    assert all(f"'{theme}'" in rule_sql(FINDINGS, themes_rule) for theme in theme_ids())
    good = finding_row(REPORT, FINDING, None, NOW)
    outcome = validate_schema(FINDINGS, _table(FINDINGS, [{**good, "kind": "ecart", "grade": "grave"}]))
    assert {(f.rule, f.column) for f in outcome.failures} == {("enum", "kind"), ("enum", "grade")}
    assert _sql_failures(FINDINGS, [good, good]) == ["one_row_per_finding"]
    assert _sql_failures(FINDINGS, [{**good, "themes": ["astrology"]}]) == ["themes_in_taxonomy"]
    assert _sql_failures(FINDINGS, [{**good, "end": good["start"]}]) == ["offsets_in_order"]
    measure = measure_row(REPORT, MEASURE, NOW)
    assert _sql_failures(MEASURES, [measure, measure]) == ["one_row_per_measure"]


def _report_without_findings() -> bytes:
    return render_pdf([
        ("title", "Rapport d'inspection\nEHPAD Les Tilleuls"),
        ("h1", "1. Contexte de la mission"),
        ("p", "L'établissement EHPAD Les Tilleuls (FINESS 750000010) a fait l'objet d'une inspection sur place. "
              "La visite s'est déroulée le 14 mai 2024 dans le cadre du programme régional d'inspection."),
        ("h1", "2. Conclusion"),
        ("p", "La mission n'a relevé aucun manquement : l'organisation, les soins et les locaux répondent aux "
              "attendus. Aucune mesure n'est demandée à l'établissement."),
    ], header="ARS — rapport d'inspection")


@pytest.fixture
def no_llm(monkeypatch):
    monkeypatch.delenv("DATAVAL_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("DATAVAL_LLM_MODEL", raising=False)


def test_findings_and_measures_materialise_with_their_blocking_checks(home, sample_corpus, no_llm):
    from dataval_pipeline.analyse import read_findings
    from dataval_pipeline.definitions import defs
    from dataval_pipeline.demo import QUIET_LOGS, register_inbox
    from dataval_pipeline.identifiers import report_id_for
    from dataval_pipeline.partitions import range_tags
    from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource

    fill_inbox(home, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2])
    empty = _report_without_findings()
    (home.inbox / "sans-ecart.pdf").write_bytes(empty)
    instance = dg.DagsterInstance.ephemeral()
    keys = register_inbox(home, instance)
    selection = ["raw_reports", "anonymised_corpus", "findings", "measures", "llm_quarantine", "extracted_facts"]
    if "fraud_signals" in {k.to_user_string() for k in defs.resolve_all_asset_keys()}:
        selection.append("fraud_signals")
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks], instance=instance, tags=range_tags(keys), run_config=QUIET_LOGS,
        resources={"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                   "llm": LLMResource()},
        selection=dg.AssetSelection.assets(*selection),
    )
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    for product in ("findings", "measures", "llm_quarantine", "extracted_facts"):
        assert checks[(product, "contract")].passed, checks[(product, "contract")].metadata["result"].value

    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        texts = dict(con.execute("SELECT report_id, text FROM anonymised_corpus").fetchall())
        findings = con.execute("SELECT report_id, kind, COUNT(*) FROM findings GROUP BY ALL").fetchall()
        measures = con.execute("SELECT report_id, kind, COUNT(*) FROM measures GROUP BY ALL").fetchall()
        facts = {r[0]: r[1:] for r in con.execute(
            "SELECT report_id, breaches, remarks, injunctions, prescriptions, recommendations FROM extracted_facts").fetchall()}
    finally:
        con.close()
    assert len(texts) == 3 and set(facts) == set(texts)
    # The product holds what the reader reads from the anonymised text, and the counts derive from it.
    expected = read_findings(texts, None)
    by_report = {(rid, kind): n for rid, kind, n in findings + measures}
    for report_id, read in expected.items():
        for row in read.findings + read.measures:
            assert by_report[(report_id, row["kind"])] == sum(r["kind"] == row["kind"] for r in read.findings + read.measures)
        kinds = [r["kind"] for r in read.findings]
        measure_kinds = [r["kind"] for r in read.measures]
        assert facts[report_id][:2] == (kinds.count("breach"), kinds.count("remark"))
        assert facts[report_id][2:] == tuple(measure_kinds.count(k) for k in ("injonction", "prescription", "recommandation"))
    assert sum(n for (_, kind), n in by_report.items() if kind in ("breach", "remark")) > 0
    # A report without any finding: no findings row, and a valid facts row with zero counts.
    assert facts[report_id_for(empty)] == (0, 0, 0, 0, 0)
    assert all(rid != report_id_for(empty) for rid, _, _ in findings)


def _report_with_findings() -> bytes:
    return render_pdf([
        ("title", "Rapport d'inspection\nEHPAD Les Marronniers"),
        ("h1", "1. Contexte"),
        ("p", "L'EHPAD Les Marronniers (FINESS 750000010) a été inspecté sur place le 3 juin 2024. La mission a "
              "rencontré Mme Hortense VALADIER, directrice, joignable au 06 12 34 56 78."),
        ("h1", "2. Constats"),
        ("p", "Écart n°1 : Les plans de soins ne sont pas réévalués, en méconnaissance de l'article L.311-3 du CASF."),
        ("p", "Écart n°2 : Le document prévu n'a pas été présenté à la mission."),
        ("p", "Remarque n°1 : Le classeur remis est incomplet."),
        ("h1", "3. Mesures"),
        ("p", "Prescription n°1 : Réévaluer chaque plan de soins (délai : 3 mois)."),
    ], header="ARS — rapport d'inspection")


def _run_one_report(home, pdf: bytes, server, *more: str) -> dg.ExecuteInProcessResult:
    """One PDF dropped in the inbox and materialised up to the findings step (and ``more`` products) with
    their checks, the LLM resource pointing at the scripted ``server``."""
    from dataval_pipeline.definitions import defs
    from dataval_pipeline.demo import QUIET_LOGS, register_inbox
    from dataval_pipeline.partitions import range_tags
    from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource

    home.inbox.mkdir(parents=True)
    (home.inbox / "rapport.pdf").write_bytes(pdf)
    instance = dg.DagsterInstance.ephemeral()
    keys = register_inbox(home, instance)
    return dg.materialize(
        [*defs.assets, *defs.asset_checks], instance=instance, tags=range_tags(keys), run_config=QUIET_LOGS,
        resources={"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                   "llm": LLMResource(base_url=server.base_url, model="scripted", backoff_s=0.01)},
        selection=dg.AssetSelection.assets("raw_reports", "anonymised_corpus", "findings", "measures",
                                           "llm_quarantine", "fraud_signals", *more),
    )


def test_unusable_llm_answers_are_quarantined_and_findings_keep_their_evidence(home, no_llm):
    """A model whose theme answers stay invalid after one repair: each request is an llm_quarantine row with
    its reason, the findings are still written (evidence decides), and no personal data left in a request."""
    from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

    with ScriptedLLMServer(["theme_outside"] * 200) as server:
        result = _run_one_report(home, _report_with_findings(), server)
        bodies = json.dumps(server.requests, ensure_ascii=False)
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[("llm_quarantine", "contract")] and checks[("findings", "contract")]
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        findings = con.execute("SELECT finding_id, themes, model FROM findings ORDER BY start").fetchall()
        quarantined = con.execute("SELECT product, request, reason, model FROM llm_quarantine").fetchall()
    finally:
        con.close()
    assert [f[0] for f in findings] == ["E1", "E2", "R1"]
    asked = [q for q in quarantined if q[0] == "findings"]
    assert asked, "a finding without theme evidence is asked to the model"
    for product, request, reason, model in asked:
        assert request.startswith("themes of finding ") and "invalid answer after one repair" in reason
        assert model == "scripted"
    assert all(model is None for _, _, model in findings)  # no theme came from the model
    assert "présenté à la mission" in bodies  # one short finding per question, not the report
    assert "VALADIER" not in bodies and "06 12 34 56 78" not in bodies


def test_three_hundred_findings_are_three_hundred_rows_that_pass_the_contract():
    from dataval_pipeline.analyse import read_findings

    topics = ["le registre des entrées n'est pas tenu", "les fiches de poste ne sont pas signées",
              "le plan de formation n'est pas formalisé", "les protocoles de soins ne sont pas actualisés"]
    lines = ["RAPPORT D'INSPECTION", "", "1. Constats", ""]
    lines += [f"Écart n°{i} : Dans l'unité {i}, {topics[i % 4]}, en méconnaissance de l'article L.311-3 du CASF."
              for i in range(1, 301)]
    read = read_findings({REPORT: "\n".join(lines)}, None, NOW)[REPORT]
    assert len(read.findings) == 300 and {r["number"] for r in read.findings} == set(range(1, 301))
    assert validate_schema(FINDINGS, _table(FINDINGS, read.findings)).passed
    assert _sql_failures(FINDINGS, read.findings) == []


def test_a_date_deadline_counts_days_from_the_visit_the_facts_rules_read():
    from dataval_pipeline.analyse import read_findings

    text = ("L'inspection s'est déroulée sur place le 2 septembre 2024.\n\n"
            "Écart n°1 : le registre des entrées n'est pas tenu (art. L.331-2 CASF).\n\n"
            "Prescription n°1 : tenir le registre des entrées. Délai : avant le 2 octobre 2024.\n")
    (read,) = read_findings({"r": text}, None).values()
    (measure,) = read.reading.measures
    assert measure.deadline_text and measure.deadline_days == 30


def test_a_report_without_findings_records_why_the_model_answer_was_not_used(home, no_llm):
    """The one report-level question (numbered sentences of a report without findings) answered outside its
    schema twice: report_classifications still has its row, themed from the taxonomy's words, and says why."""
    from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

    with ScriptedLLMServer(["out_of_range_ids"] * 20) as server:
        result = _run_one_report(home, _report_without_findings(), server, "report_classifications")
        asked = [r for r in server.requests if "constats" in json.dumps(r.get("response_format"))]
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks[("report_classifications", "contract")]
    assert len(asked) == 2, "the sentences question, then one repair"
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        [(source, llm_error, themes)] = con.execute(
            "SELECT source, llm_error, themes FROM report_classifications").fetchall()
    finally:
        con.close()
    assert source == "sentences" and themes
    assert "invalid answer after one repair" in llm_error
