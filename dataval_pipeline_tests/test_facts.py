"""extracted_facts: facts by candidates and context on short texts, the narrow LLM question against a
real HTTP server, the development corpus through extraction and anonymisation, and the asset on a real
instance."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.validation import validate_schema
from dataval_pipeline.demo import QUIET_LOGS, register_inbox
from dataval_pipeline.evaluation.facts import misses, score_facts
from dataval_pipeline.facts import rules
from dataval_pipeline.facts.extract import extract_facts_many
from dataval_pipeline.facts.questions import load_prompt
from dataval_pipeline.findings.model import Finding, Measure, ReportReading
from dataval_pipeline.identifiers import finess_with_check_digit
from dataval_pipeline.ingest.extract import extract_text
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.client import LLMSettings, StructuredLLM
from dataval_pipeline.partitions import range_tags
from dataval_pipeline.resources import AnonymiserResource, LLMResource, WarehouseResource
from dataval_pipeline_tests.conftest import fill_inbox, read_gold
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

DEV_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
FINESS = finess_with_check_digit("45000312")
LEGAL_ENTITY = finess_with_check_digit("45000098")


def is_grounded(quote: str, text: str) -> bool:
    """A quote counts only as an exact substring of the text (whitespace normalised)."""
    return len(quote) >= 8 and collapse_whitespace(quote) in collapse_whitespace(text)


def _value(text: str, field: str, reading: ReportReading | None = None):
    fact = rules.read_fields(text, reading)[field].fact
    return fact.value if fact else None


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


# -- the visit date ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("La visite sur place s'est tenue les 14 et 15 octobre 2024, en présence de la directrice.", "2024-10-14"),
    ("Les inspecteurs sont intervenus sur site du 30 septembre au 2 octobre 2024.", "2024-09-30"),
    ("L'inspection a été effectuée, avec le concours des services du département, le 07/11/2023.", "2023-11-07"),
    ("Date de la visite : mercredi 5 juin 2024 (de 8 h à 18 h).", "2024-06-05"),
    ("Date de lancement du contrôle\n05/02/2024 (demande de pièces adressée au gestionnaire)", "2024-02-05"),
])
def test_the_visit_date_is_read_in_any_form(text, expected):
    assert _plain(_value(text, "inspection_date")) == expected


def test_a_report_date_a_letter_and_a_birth_date_do_not_win():
    text = ("Rapport établi le 3 février 2025.\n"
            "La visite a été annoncée par courrier du 2 janvier 2025 adressé au directeur.\n"
            "Mme <PERSONNE_1>, née le 4 mars 1931, a chuté le 1er décembre 2024.\n"
            "La mission s'est rendue dans l'établissement le 14 janvier 2025 à 8 h 30.\n"
            "L'établissement dispose d'un délai d'un mois, soit avant le 14 mars 2025, pour répondre.")
    fact = rules.read_fields(text)["inspection_date"].fact
    assert fact.value == dt.date(2025, 1, 14)
    assert "14 janvier 2025" in fact.quote and is_grounded(fact.quote, text)
    assert text[fact.start:fact.end] == "14 janvier 2025"


def test_a_previous_inspection_does_not_give_the_date():
    text = ("La précédente inspection, réalisée le 9 mai 2019, avait donné lieu à deux prescriptions. "
            "La présente inspection a été réalisée le 21 novembre 2024.")
    assert _value(text, "inspection_date") == dt.date(2024, 11, 21)


# -- capacity ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("L'établissement est autorisé pour 50 lits d'hébergement permanent et 10 places d'accueil de jour.", 60),
    ("La résidence est autorisée pour 90 lits dont 20 en unité protégée.", 90),
    ("Capacité autorisée\n120 places (110 places d'hébergement permanent, 10 places d'hébergement temporaire)", 120),
    ("Il dispose de 45 places d'hébergement permanent et est habilité à l'aide sociale pour 20 places.", 45),
    ("Il est autorisé pour 70 lits, dont une unité protégée de 12 lits, et pour 5 places d'hébergement "
     "temporaire, soit une capacité totale de 75 places.", 75),
    ("Le temps de médecin coordonnateur requis pour un établissement de 60 à 99 places est de 0,6 ETP. "
     "L'EHPAD dispose d'une capacité autorisée de 64 places.", 64),
])
def test_capacity_is_the_total_of_authorised_places(text, expected):
    assert _value(text, "capacity") == expected


# -- unannounced and trigger ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("La visite a eu lieu le 3 avril 2024 sans préavis.", True),
    ("L'inspection, conduite de manière inopinée le 3 avril 2024, a débuté à 6 h.", True),
    ("La mission s'est présentée le 3 avril 2024 sans information préalable de la direction.", True),
    ("La visite du 3 avril 2024 a été annoncée par lettre du 12 mars 2024.", False),
    ("Le présent contrôle a été conduit sur pièces, à partir des documents transmis le 3 avril 2024.", False),
    ("Ce contrôle de suivi, annoncé à la direction, a eu lieu le 3 avril 2024. Il fait suite à une inspection "
     "inopinée des 5 et 6 juin 2023.", False),
])
def test_unannounced_phrasings(text, expected):
    assert _value(text, "unannounced") is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("La mission a été diligentée à la suite de plusieurs plaintes de familles.", "complaint"),
    ("Suite au signalement d'un incident survenu la nuit, une inspection a été décidée.", "incident"),
    ("Le contrôle est inscrit au programme annuel de contrôle du département.", "programme"),
    ("L'agence avait reçu en 2022 une réclamation d'un proche. La présente inspection s'inscrit dans le cadre du "
     "plan régional d'inspection des établissements.", "programme"),
    ("L'inspection n'a pas été motivée par une réclamation : elle est inscrite au programme régional "
     "d'inspection 2024.", "programme"),
])
def test_the_trigger_is_the_reason_of_this_mission(text, expected):
    assert _value(text, "trigger") == expected


# -- FINESS and name ------------------------------------------------------------------------------------------
def test_the_establishment_finess_not_the_legal_entity():
    text = (f"Organisme gestionnaire : Association Les Tilleuls (FINESS juridique {LEGAL_ENTITY}), SIRET 391 845 203 00275.\n"
            f"Établissement : EHPAD Les Tilleuls du Val – FINESS ET {FINESS}.")
    assert _value(text, "finess") == FINESS
    assert _value(text, "establishment_name") == "EHPAD Les Tilleuls du Val"
    spaced = f"N° FINESS (ET)\n{FINESS[:3]} {FINESS[3:6]} {FINESS[6:]}\n"
    assert _value(spaced, "finess") == FINESS
    wrong_check_digit = FINESS[:-1] + str((int(FINESS[-1]) + 1) % 10)
    assert _value(f"N° FINESS : {wrong_check_digit}.", "finess") is None


# -- staffing --------------------------------------------------------------------------------------------------
def test_staffing_figures_observed_not_budgeted_nor_minimum():
    text = ("Le budget prévoit 30,5 ETP de soignants. Les plannings font apparaître 27,2 ETP de soignants "
            "effectivement présents. Le médecin coordonnateur intervient à 0,4 ETP, pour un minimum "
            "réglementaire de 0,6 ETP. La nuit, deux agents assurent la surveillance des 70 résidents. "
            "Le jour de la visite, 68 résidents étaient présents.")
    facts = rules.read_fields(text)
    assert facts["care_fte"].fact.value == 27.2
    assert facts["medec_fte"].fact.value == 0.4
    assert facts["night_staff"].fact.value == 2
    assert facts["residents_present"].fact.value == 68


def test_a_fact_the_text_does_not_state_is_null():
    facts = rules.read_fields("Le rapport porte sur la qualité des repas servis aux résidents.")
    assert all(reading.fact is None for reading in facts.values())


# -- the row ---------------------------------------------------------------------------------------------------
REPORT = (
    f"Établissement : EHPAD Les Lilas, 3 rue des Écoles, 75001 Paris. N° FINESS : {FINESS}.\n"
    "Inspection sur site réalisée le 3 mars 2025, après information préalable de la direction.\n"
    "La mission a été diligentée dans le cadre du programme régional d'inspection et de contrôle.\n"
    "L'établissement dispose d'une capacité autorisée de 80 places.\n"
    "Le jour de la visite, 75 résidents étaient présents.\n"
    "Écart 1 : le projet d'établissement n'est pas à jour.\n"
    "Prescription 1 : actualiser le projet d'établissement. Délai : 6 mois.\n"
)


def _reading(text: str, follow_up: bool = False) -> ReportReading:
    start = text.index("le projet")
    finding = Finding("E1", "breach", 1, "Écart 1", "le projet d'établissement n'est pas à jour.", ("L.311-8 CASF",),
                      None, start, start + 43)
    m_start = text.index("Prescription 1")
    measure = Measure("P1", "prescription", 1, "Prescription 1", "actualiser le projet d'établissement.", "6 mois", 180,
                      ("E1",), m_start, text.index("Délai"))
    return ReportReading([finding], [measure], follow_up=follow_up)


def test_the_row_counts_findings_and_measures_and_quotes_every_value():
    row = extract_facts_many({"0123456789abcdef": (REPORT, _reading(REPORT, follow_up=True))}, None)["0123456789abcdef"].row
    assert (row["finess"], row["inspection_date"], row["unannounced"], row["trigger"], row["capacity"],
            row["residents_present"]) == (FINESS, dt.date(2025, 3, 3), False, "programme", 80, 75)
    assert (row["breaches"], row["remarks"], row["prescriptions"], row["injunctions"]) == (1, 0, 1, 0)
    assert row["follow_up"] is True and row["llm_questions"] == 0 and row["llm_answered"] is False
    assert row["measures"][0]["kind"] == "prescription" and row["measures"][0]["deadline"] == "6 mois"
    for item in row["evidence"] + row["measures"]:
        assert is_grounded(item["quote"], REPORT), item
    for item in row["evidence"]:
        assert collapse_whitespace(REPORT[item["start"]:item["end"]]) in item["quote"]
    contract = load_contract("extracted_facts")
    written = {**row, **{k: json.dumps(row[k]) for k in ("measures", "amounts_eur", "evidence", "disagreements")},
               "extracted_at": dt.datetime.now(dt.timezone.utc)}
    assert validate_schema(contract, pa.Table.from_pylist([written], schema=contract.arrow_schema())).passed


def test_a_report_without_findings_has_zero_counts():
    row = extract_facts_many({"r": (REPORT, ReportReading())}, None)["r"].row
    assert (row["breaches"], row["remarks"], row["injunctions"], row["prescriptions"], row["recommendations"]) == (0,) * 5
    assert row["measures"] == []


def test_a_malformed_finess_fails_the_blocking_contract_check():
    contract = load_contract("extracted_facts")
    row = {name: None for name in contract.column_names}
    row.update(report_id="0123456789abcdef", finess="75000123", measures="[]", amounts_eur="[]", evidence="[]",
               disagreements="[]", dropped_llm_facts=0, llm_questions=0, llm_answered=False, follow_up=False,
               extracted_at=dt.datetime.now(dt.timezone.utc))
    outcome = validate_schema(contract, pa.Table.from_pylist([row], schema=contract.arrow_schema()))
    assert not outcome.passed
    assert "finess" in outcome.markdown()


def test_scoring_is_exact_per_field():
    gold = {"r": {"capacity": 80, "care_fte": 12.5, "inspection_date": "2025-03-03", "trigger": None}}
    rows = {"r": {"capacity": 80, "care_fte": 12.499, "inspection_date": dt.date(2025, 3, 3), "trigger": "programme"}}
    metrics = {m.metric: (m.matched, m.total) for m in score_facts(rows, gold, ("capacity", "care_fte", "inspection_date", "trigger"))}
    assert metrics["exact_match_capacity"] == metrics["exact_match_care_fte"] == metrics["exact_match_inspection_date"] == (1, 1)
    assert metrics["exact_match_trigger"] == (0, 1)  # a value where gold is null is a miss
    assert metrics["exact_match_all_facts"] == (3, 4)


# -- the narrow LLM question -----------------------------------------------------------------------------------
class FactQuestionServer(ScriptedLLMServer):
    """The scripted server, answering fact questions as scripted: ``answer:<id>``."""

    def respond(self, handler, behaviour, body):
        if behaviour.startswith("answer:"):
            return self._send(handler, 200, self._completion({"answer": behaviour.split(":", 1)[1]}))
        return super().respond(handler, behaviour, body)


# Two statements of the capacity, equally plausible for the rules: an ambiguous fact, one question.
AMBIGUOUS = (
    "L'EHPAD Les Aulnes dispose de 60 places d'hébergement permanent.\n"
    "Le jour de la visite, 58 résidents étaient présents.\n"
    "Selon l'arrêté le plus récent, l'EHPAD Les Aulnes dispose de 62 places d'hébergement permanent.\n"
)


def _client(server: ScriptedLLMServer) -> StructuredLLM:
    return StructuredLLM(LLMSettings(base_url=server.base_url, model="scripted", concurrency=1, backoff_s=0.01))


def test_an_ambiguous_fact_is_one_narrow_question_and_the_pipeline_writes_the_quote(monkeypatch):
    assert rules.read_fields(AMBIGUOUS)["capacity"].ambiguous
    with FactQuestionServer(["answer:2"]) as server:
        row = extract_facts_many({"r": (AMBIGUOUS, ReportReading())}, _client(server))["r"].row
    # By default the model's pick on an ambiguous fact is recorded, the rules' best kept.
    assert row["capacity"] == 60 and row["disagreements"] == [{"field": "capacity", "rule": 60, "llm": 62}]
    monkeypatch.setitem(rules.load_config().questions, "llm_decides_ambiguous", True)
    with FactQuestionServer(["answer:2"]) as server:
        llm = _client(server)
        facts = extract_facts_many({"r": (AMBIGUOUS, ReportReading())}, llm)["r"]
    row = facts.row
    assert row["capacity"] == 62 and row["llm_questions"] == 1 and row["llm_answered"] is True
    [evidence] = [e for e in row["evidence"] if e["field"] == "capacity"]
    assert evidence["source"] == "llm" and "62 places" in evidence["quote"] and is_grounded(evidence["quote"], AMBIGUOUS)
    assert row["disagreements"] == [{"field": "capacity", "rule": 60, "llm": 62}]
    [request] = server.requests
    system, user = request["messages"]
    assert system["content"] == load_prompt().system  # the fixed part first, the same for every question
    assert "1. " in user["content"] and "2. " in user["content"] and "⟦62 places⟧" in user["content"]
    assert len(user["content"]) < 1200  # a few sentences, not the report
    enum = request["response_format"]["json_schema"]["schema"]["properties"]["answer"]["enum"]
    assert enum == ["1", "2", "none"]


def test_an_id_out_of_range_is_repaired_or_dropped():
    with FactQuestionServer(["answer:7", "answer:1"]) as server:
        row = extract_facts_many({"r": (AMBIGUOUS, ReportReading())}, _client(server))["r"].row
        assert len(server.requests) == 2  # the invalid id was sent back once for repair
    assert row["capacity"] == 60 and row["dropped_llm_facts"] == 0 and row["llm_answered"] is True
    assert [e["source"] for e in row["evidence"] if e["field"] == "capacity"] == ["both"]
    with FactQuestionServer(["answer:7", "answer:9"]) as server:
        row = extract_facts_many({"r": (AMBIGUOUS, ReportReading())}, _client(server))["r"].row
    assert row["capacity"] == 60 and row["dropped_llm_facts"] == 1 and row["llm_answered"] is False
    assert row["disagreements"] == []


def test_a_fact_the_rules_cannot_read_is_filled_from_the_models_pick():
    text = "Selon le planning, deux agents assurent la surveillance des résidents ; trois agents sont présents le week-end."
    reading = rules.read_fields(text)["night_staff"]
    assert reading.fact is None and reading.needs_question
    with FactQuestionServer(["answer:2"]) as server:
        row = extract_facts_many({"r": (text, ReportReading())}, _client(server))["r"].row
    chosen = reading.candidates[1]
    assert row["night_staff"] == chosen.value and row["llm_questions"] == 1
    [evidence] = [e for e in row["evidence"] if e["field"] == "night_staff"]
    assert evidence["source"] == "llm" and text[evidence["start"]:evidence["end"]] in evidence["quote"]


def test_all_questions_of_all_reports_go_in_one_batch_and_none_keeps_the_rule():
    other = AMBIGUOUS.replace("Les Aulnes", "Les Saules")
    with FactQuestionServer(["answer:none", "answer:none"]) as server:
        llm = _client(server)
        rows = extract_facts_many({"a": (AMBIGUOUS, ReportReading()), "b": (other, ReportReading())}, llm)
        assert len(server.requests) == 2 and llm.stats.calls == 2
    assert all(rows[r].row["capacity"] == 60 and rows[r].row["llm_answered"] for r in ("a", "b"))
    rows = extract_facts_many({"c": (REPORT, ReportReading())}, StructuredLLM(LLMSettings(base_url="http://127.0.0.1:9/v1", model="x")))
    assert rows["c"].row["llm_questions"] == 0  # nothing to ask: no call at all


# -- the development corpus --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dev_texts():
    """The 12 documents by other authors, through extraction and anonymisation, with their gold facts."""
    assert (DEV_CORPUS / "gold.jsonl").exists(), f"development corpus missing: {DEV_CORPUS}"
    from dataval_pipeline.anonymise.engine import get_anonymiser

    anonymiser = get_anonymiser()
    texts, gold = {}, {}
    for record in read_gold(DEV_CORPUS):
        text = extract_text((DEV_CORPUS / record["file"]).read_bytes()).text
        texts[record["report_id"]] = anonymiser.anonymise(text).text
        gold[record["report_id"]] = record["facts"]
    assert len(texts) == 12
    return texts, gold


def test_the_development_corpus_facts_without_the_llm(dev_texts):
    from dataval_pipeline.findings.read import read_report

    texts, gold = dev_texts
    rows = {r: f.row for r, f in extract_facts_many({r: (t, read_report(t)) for r, t in texts.items()}, None).items()}
    metrics = {m.metric: m for m in score_facts(rows, gold, rules.READ_FACTS, texts)}
    wrong = misses(rows, gold, rules.READ_FACTS)
    for name in rules.READ_FACTS:
        assert metrics[f"exact_match_{name}"].matched >= 11, (name, wrong)
    assert metrics["exact_match_all_facts"].value >= 0.98, wrong
    assert metrics["grounded_quote_rate"].value == 1.0


# -- the asset on a real instance -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def facts_run(tmp_path_factory, sample_corpus):
    """Three generated reports through the real assets and the extracted_facts contract checks."""
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
    with dg.instance_for_test() as instance, ScriptedLLMServer() as server:
        keys = register_inbox(home, instance)
        resources = {"warehouse": WarehouseResource(home=str(home.home)), "anonymiser": AnonymiserResource(),
                     "llm": LLMResource(base_url=server.base_url, model="scripted")}
        checks = [c for c in defs.asset_checks if "extracted_facts" in str(c.check_keys)]
        result = dg.materialize([raw_reports, anonymised_corpus, report_classifications, extracted_facts, *checks],
                                instance=instance, resources=resources, tags=range_tags(keys), run_config=QUIET_LOGS)
        scored = dg.materialize([evaluation], instance=instance, resources=resources, run_config=QUIET_LOGS)
        yield home, result, names, scored


def test_facts_asset_writes_grounded_rows(facts_run, sample_corpus):
    home, result, names, _ = facts_run
    assert result.success
    gold = {g["facts"]["finess"] + g["facts"]["inspection_date"]: g["facts"] for g in read_gold(sample_corpus)
            if g["file"] in names}
    with duckdb.connect(str(home.catalog), read_only=True) as con:
        rows = con.execute("SELECT f.*, a.text FROM extracted_facts f JOIN anonymised_corpus a USING (report_id)").fetchall()
        columns = [d[0] for d in con.description]
    assert len(rows) == 3
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        expected = gold[row["finess"] + row["inspection_date"].isoformat()]
        assert {n: _plain(row[n]) for n in rules.READ_FACTS} == {n: expected[n] for n in rules.READ_FACTS}
        for item in json.loads(row["evidence"]):
            assert is_grounded(item["quote"], row["text"])
    assert all(e.passed for e in result.get_asset_check_evaluations())


def test_evaluation_scores_the_facts_against_the_gold_labels(facts_run):
    home, _, _, scored = facts_run
    assert scored.success
    with duckdb.connect(str(home.catalog), read_only=True) as con:
        metrics = {m: v for p, m, v in con.execute("SELECT product, metric, value FROM evaluation").fetchall()
                   if p == "extracted_facts"}
    for name in ("finess", "inspection_date", "trigger", "capacity", "unannounced"):
        [value] = [v for m, v in metrics.items() if m.endswith(f"_{name}")]
        assert value == 1.0, name
    assert metrics["grounded_quote_rate"] == 1.0


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("Date(s) de visite | 3 et 4 juin 2024 | Modalité | annoncée", "inspection_date", "2024-06-03"),
    ("Période d'inspection : du 17 au 19 avril 2023", "inspection_date", "2023-04-17"),
    ("Dates de la visite : 12 et 13/03/2024", "inspection_date", "2024-03-12"),
    ("Courrier du 2 février 2024. Les inspecteurs se sont rendus sur place le 4 mars 2024.", "inspection_date", "2024-03-04"),
    ("Motif du contrôle : plainte d'un résident.", "trigger", "complaint"),
    ("L'inspection du 3 avril 2024 n'avait pas été annoncée.", "unannounced", True),
    ("L'établissement accueillait 61 résidents au moment du contrôle.", "residents_present", 61),
    ("Trois agents sont présents chaque nuit.", "night_staff", 3),
    ("La nuit, une seule aide-soignante assure la surveillance des 40 résidents.", "night_staff", 1),
    ("Les plannings font apparaître 25,4 ETP d'aides-soignants et d'infirmiers.", "care_fte", 25.4),
    ("Capacité autorisée : 80\nPersonnes accueillies présentes : 77", "capacity", 80),
    ("Capacité autorisée : 80\nRésidents présents le jour de la visite : 77", "residents_present", 77),
    ("L'inspection s'inscrit dans la campagne nationale d'inspection des EHPAD.", "trigger", "programme"),
    ("Elle fait suite à des courriers de familles reçus en mars 2024.", "trigger", "complaint"),
    ("Établissement d'hébergement pour personnes âgées dépendantes (EHPAD) « Les Glycines »", "establishment_name",
     "EHPAD Les Glycines"),
])
def test_tables_labels_and_other_phrasings(text, field, expected):
    assert _plain(_value(text, field)) == expected


LETTER = (
    "Direction de l'autonomie – Service du contrôle des établissements\nRéf. : 2025/118\nLyon, le 12 mai 2025\n"
    f"Objet : contrôle de l'EHPAD Le Parc Fleuri (FINESS {FINESS})\nMadame la Directrice,\n"
    "Suite aux plaintes adressées au Département par des familles, une visite inopinée de votre établissement a été "
    "effectuée par deux contrôleurs le mardi 15 avril 2025.\n"
    "L'EHPAD, habilité à l'aide sociale pour 30 lits, compte 58 lits d'hébergement permanent, dont 12 en unité "
    "protégée, et 2 places d'hébergement temporaire.\n"
    "Nous avons constaté la présence de 57 résidents. Le médecin coordonnateur est présent deux jours par semaine, "
    "soit 0,4 ETP. La nuit, 2 aides-soignants sont présents.\n"
    "Les effectifs soignants constatés s'élèvent à 21,3 ETP pour 24 ETP budgétés.\n"
    "Vous voudrez bien nous faire part de vos observations avant le 15 juin 2025.\n")
SHEET = (
    f"FICHE D'IDENTIFICATION\nNom de l'établissement | EHPAD Les Coquelicots\nN° FINESS juridique | {LEGAL_ENTITY}\n"
    f"N° FINESS géographique | {FINESS}\nNombre de places autorisées | 92\nType de contrôle | Contrôle sur pièces\n"
    "Date de début du contrôle | 02/09/2024\nDate du rapport | 18/11/2024\n"
    "Origine du contrôle | Orientations nationales de contrôle 2024\n"
    "Le gestionnaire a transmis les pièces demandées le 20/09/2024.\n"
    "Les ETP constatés sur les plannings s'élèvent à 33,6 ETP soignants ; le médecin coordonnateur est salarié à 0,5 ETP.\n")


@pytest.mark.parametrize(("text", "expected"), [
    (LETTER, {"finess": FINESS, "establishment_name": "EHPAD Le Parc Fleuri", "inspection_date": "2025-04-15",
              "unannounced": True, "trigger": "complaint", "capacity": 60, "residents_present": 57, "care_fte": 21.3,
              "medec_fte": 0.4, "night_staff": 2}),
    (SHEET, {"finess": FINESS, "establishment_name": "EHPAD Les Coquelicots", "inspection_date": "2024-09-02",
             "unannounced": False, "trigger": "programme", "capacity": 92, "residents_present": None, "care_fte": 33.6,
             "medec_fte": 0.5, "night_staff": None}),
])
def test_whole_reports_in_other_house_styles(text, expected):
    facts = rules.read_fields(text)
    assert {name: _plain(r.fact.value) if r.fact else None for name, r in facts.items()} == expected
