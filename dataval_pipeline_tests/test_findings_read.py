"""The findings reader on short documents written here in each house style, and on the dev corpus."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from dataval_pipeline.evaluation.findings import score_findings
from dataval_pipeline.findings.read import legal_refs, parse_deadline, read_report
from dataval_pipeline.findings.segment import segment

DEV_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"


def kinds(reading) -> Counter:
    return Counter(f.kind for f in reading.findings)


def measure_kinds(reading) -> Counter:
    return Counter(m.kind for m in reading.measures)


# ---------------------------------------------------------------- segmentation

def test_segment_flags_furniture_headings_and_tables():
    pages = []
    for n in (1, 2, 3):
        pages.append(
            f"Contrôle de l'EHPAD Les Tilleuls – rapport provisoire\nPage {n}/3\n"
            f"{n}. Partie numéro {n}\nLe texte courant de la partie {n} occupe une ligne entière de prose "
            "qui se termine ici.\n")
    pages[2] += "Tableau des mesures\nN°\nNature\nDélai\n1\nPrescription\nRevoir le plan de formation.\n3 mois\n"
    doc = segment("\f".join(pages))
    running = [line.text for line in doc.lines if line.running]
    assert "Page 2/3" in running and any(t.startswith("Contrôle de l'EHPAD") for t in running)
    assert [line.text for line in doc.lines if line.heading] == ["1. Partie numéro 1", "2. Partie numéro 2",
                                                                 "3. Partie numéro 3"]
    assert len(doc.tables) == 1 and [c for c in doc.tables[0].header] == ["N°", "Nature", "Délai"]
    assert doc.page_count == 3
    first = doc.text.index("Le texte courant de la partie 2")
    assert doc.section_at(first) == "2. Partie numéro 2"


def test_segment_detects_follow_up_and_annexes():
    text = ("RAPPORT DE CONTRÔLE DE SUIVI\nEHPAD Les Acacias\n1. Contexte\n" + "Du texte de contexte. " * 30
            + "\n2. Constats nouveaux\n- Écart : Le registre n'est pas tenu (art. L.311-3 CASF).\n"
            "Annexe 1 – Personnes rencontrées\nÉcart : ceci est une annexe.\n")
    doc = segment(text)
    assert doc.follow_up
    assert doc.in_annex(text.index("ceci est une annexe"))
    assert not doc.in_annex(text.index("Le registre"))


# ---------------------------------------------------------------- findings in each style

def test_inline_numbered_labels_and_article_trap():
    text = (
        "1. Organisation\n"
        "Écart n° 3 : Le projet d'établissement n'est pas à jour, en méconnaissance de l'article L.311-8 du CASF.\n"
        "Ecart 4 – La délégation du directeur n'est pas écrite (article D.312-176-5 du code de l'action sociale "
        "et des familles).\n"
        "E.5 – Les soins sont faits par des agents non diplômés, contrairement aux articles\n"
        "R. 4311-4 et R.4311-5 du code de la santé publique.\n"
        "Remarque majeure 1 : Les familles ne sont pas informées des chutes.\n"
        "R 2 : Le circuit du linge croise le linge propre.\n"
        "La mission rappelle l'article R. 4311-4 du CSP et l'article\n"
        "R 311-3 du CASF.\n")
    reading = read_report(text)
    got = [(f.kind, f.number, f.grade) for f in reading.findings]
    assert got == [("breach", 3, None), ("breach", 4, None), ("breach", 5, None), ("remark", 1, "majeure"),
                   ("remark", 2, None)]
    by_id = {f.finding_id: f for f in reading.findings}
    assert by_id["E3"].legal_refs == ("L.311-8 CASF",)
    assert by_id["E4"].legal_refs == ("D.312-176-5 CASF",)
    assert by_id["E5"].legal_refs == ("R.4311-4 CSP", "R.4311-5 CSP")
    assert by_id["E3"].label == "Écart n° 3"
    assert by_id["E3"].text.startswith("Le projet d'établissement") and "délégation" not in by_id["E3"].text
    assert text[by_id["R2"].start:by_id["R2"].end] == by_id["R2"].text
    assert by_id["E3"].section == "1. Organisation"


def test_abbreviated_findings_and_measures_table_cells():
    text = (
        "II. CONSTATS\n"
        "E1 : Le temps de médecin coordonnateur est de 0,3 ETP au lieu de 0,6 ETP (art. D.312-156 CASF).\n"
        "R1 : Les entretiens annuels ne sont pas conduits.\n"
        "E2 : Le registre des entrées n'est pas tenu (art. L.331-2 CASF).\n"
        "III. MESURES\n"
        "Constat\nMesure\nNature\nDélai\n"
        "E1\nRecruter un médecin coordonnateur à 0,6 ETP.\nPrescription\n6 mois\n"
        "R1\nConduire les entretiens annuels.\nRecommandation\n—\n"
        "E2\nOuvrir et tenir le registre des entrées.\nPrescription\nImmédiat\n"
        "La procédure contradictoire s'ouvre à réception du présent rapport, pendant un mois entier.\n")
    reading = read_report(text)
    assert kinds(reading) == {"breach": 2, "remark": 1}
    assert [(m.kind, m.deadline_text, m.deadline_days, m.finding_ids) for m in reading.measures] == [
        ("prescription", "6 mois", 180, ("E1",)), ("recommandation", None, None, ("R1",)),
        ("prescription", "Immédiat", 0, ("E2",))]
    assert reading.measures[0].text == "Recruter un médecin coordonnateur à 0,6 ETP."


def test_unnumbered_graded_prose():
    text = (
        "Contentions\nLa mission a vu une résidente attachée à son fauteuil. Aucune prescription ne figure au "
        "dossier, ce qui constitue un écart majeur à l'article L.311-3 du CASF. Les barrières de lit ne sont "
        "pas réévaluées, ce qui appelle une remarque.\n"
        "Nuit\nUn seul agent veille sur deux étages, ce qui constitue une remarque majeure. Le temps de médecin "
        "est insuffisant, ce qui constitue un écart mineur à l'article D.312-156 du CASF.\n"
        "Conclusion\nLa mission a relevé deux écarts et deux remarques.\n")
    reading = read_report(text)
    assert [(f.kind, f.number, f.grade) for f in reading.findings] == [
        ("breach", None, "majeur"), ("remark", None, None), ("remark", None, "majeure"), ("breach", None, "mineur")]
    first = reading.findings[0]
    assert first.text.startswith("Aucune prescription") and first.text.endswith("du CASF.")
    assert first.legal_refs == ("L.311-3 CASF",)
    assert len({f.finding_id for f in reading.findings}) == 4


def test_a_prose_grade_pointing_back_takes_the_sentence_it_qualifies():
    """A grade sentence that points back ("Ce manquement constitue un écart") qualifies the sentence
    before; a finding already read, or a heading, is never taken into it."""
    text = (
        "1. Circuit du médicament\nLes chariots de distribution restent ouverts dans le couloir. Ce manquement "
        "constitue un écart majeur au regard de l'article R.4311-4 du CSP. Le double contrôle des doses n'est "
        "pas tracé. Cette pratique appelle une remarque.\n"
        "2. Locaux\nCela constitue une remarque mineure.\n")
    reading = read_report(text)
    assert [(f.kind, f.grade) for f in reading.findings] == [("breach", "majeur"), ("remark", None),
                                                             ("remark", "mineur")]
    first, second, third = (f.text for f in reading.findings)
    assert first.startswith("Les chariots de distribution") and first.endswith("du CSP.")
    assert second == "Le double contrôle des doses n'est pas tracé. Cette pratique appelle une remarque."
    assert third == "Cela constitue une remarque mineure.", "a heading is not the sentence before"


def test_bullets_without_numbers():
    text = ("3. Nouveaux constats\n"
            "- Écart : Le local des déchets de soins n'est pas fermé, en méconnaissance de l'arrêté du 7 septembre "
            "1999.\n- Écart : Les extraits de casier judiciaire ne sont pas vérifiés (L.133-6 CASF).\n"
            "- Remarque : Les pesées ne sont pas mensuelles.\n")
    reading = read_report(text)
    assert [(f.kind, f.number, f.label) for f in reading.findings] == [
        ("breach", None, "Écart"), ("breach", None, "Écart"), ("remark", None, "Remarque")]
    assert reading.findings[0].legal_refs == ("arrêté du 7 septembre 1999",)


def test_declared_convention_constat_observation():
    text = ("Méthode\nDans ce rapport, les écarts sont présentés sous la forme de « constats » et les remarques "
            "sous la forme d'« observations ».\n"
            "Constat n°1 – La directrice n'a pas de délégation écrite (article D.312-176-5 du CASF)\n"
            "Observation n°1 – Les plaintes ne sont pas enregistrées.\n"
            "Constat n°2 – Les effectifs sont inférieurs aux effectifs financés (article D.312-155-0 du CASF)\n"
            "Les observations du gestionnaire sont attendues sous un mois.\n")
    reading = read_report(text)
    assert [(f.kind, f.number) for f in reading.findings] == [("breach", 1), ("remark", 1), ("breach", 2)]


def test_measures_with_i_p_r_labels_where_r_is_a_recommendation():
    text = ("Remarque n°1 : Les menus ne sont pas affichés.\n"
            "Écart n°1 : Le CVS ne se réunit pas (art. D.311-16 CASF).\n"
            "I1 – Injonction (écart n°1) : réunir le conseil de la vie sociale. Délai : sous 1 mois.\n"
            "P1 – Prescription (écart n°1) : transmettre les comptes rendus. Délai : avant le 31/12/2024.\n"
            "R1 – Recommandation (remarque n°1) : afficher les menus chaque semaine.\n")
    reading = read_report(text, visit_date=dt.date(2024, 10, 1))
    assert kinds(reading) == {"breach": 1, "remark": 1}
    assert [(m.measure_id, m.kind, m.deadline_text, m.deadline_days, m.finding_ids) for m in reading.measures] == [
        ("I1", "injonction", "sous 1 mois", 30, ("E1",)),
        ("P1", "prescription", "avant le 31/12/2024", 91, ("E1",)),
        ("R1", "recommandation", None, None, ("R1",))]
    assert reading.measures[0].text == "réunir le conseil de la vie sociale."


def test_measures_numbered_bulleted_and_listed():
    text = ("5. Mesures\n"
            "Prescription n°1 (délai : immédiat) : Cesser toute contention sans prescription. (Ecart 1)\n"
            "Injonction 2 (E3) – Rembourser les sommes perçues.\nÉchéance : trois mois à compter de la notification.\n"
            "- Recommandation : afficher les horaires de visite (délai : 15 jours) ;\n"
            "Recommandations\n1. Former les équipes à la bientraitance. (échéance : sans délai)\n"
            "2. Réviser le livret d'accueil.\n")
    reading = read_report(text)
    got = [(m.kind, m.number, m.deadline_text, m.deadline_days) for m in reading.measures]
    assert got == [("prescription", 1, "immédiat", 0), ("injonction", 2, "trois mois à compter de la notification", 90),
                   ("recommandation", None, "15 jours", 15), ("recommandation", 1, "sans délai", 0),
                   ("recommandation", 2, None, None)]
    assert reading.measures[0].text == "Cesser toute contention sans prescription."


def test_deadlines():
    visit = dt.date(2024, 3, 1)
    assert parse_deadline("3 mois") == 90
    assert parse_deadline("15 jours") == 15
    assert parse_deadline("Immédiat") == 0
    assert parse_deadline("sans délai") == 0
    assert parse_deadline("deux semaines") == 14
    assert parse_deadline("avant le 31/03/2024") is None
    assert parse_deadline("avant le 31/03/2024", visit) == 30
    assert parse_deadline("d'ici le 1er avril 2024", visit) == 31
    assert parse_deadline(None) is None


def test_legal_refs_normal_form():
    assert legal_refs("articles L.331-8-1 et R.331-8 du CASF") == ["L.331-8-1 CASF", "R.331-8 CASF"]
    assert legal_refs("(articles L.311-3 1° et D.312-155-0 II du CASF)") == ["L.311-3 CASF", "D.312-155-0 CASF"]
    assert legal_refs("art. R.5132-3 et R.4311-7 CSP") == ["R.5132-3 CSP", "R.4311-7 CSP"]
    assert legal_refs("l'article L.311-3 du CASF ; l'article L.1435-7 du code de la santé publique") == [
        "L.311-3 CASF", "L.1435-7 CSP"]


# ---------------------------------------------------------------- follow-up, unnumbered, none, many

def test_follow_up_counts_only_new_findings_and_measures():
    text = ("RAPPORT DE CONTRÔLE DE SUIVI DES PRESCRIPTIONS\nEHPAD Les Peupliers\n"
            "I – SUIVI DES MESURES DU RAPPORT INITIAL\n"
            "Mesure\nObjet\nStatut\n"
            "P1\nFormer les équipes\nLevée\nP2\nRéunir le CVS\nNon levée\nR1\nAfficher les menus\nPartiellement\nlevée\n"
            "Prescription 2 – maintenue dans les termes du rapport initial.\n"
            "II – CONSTATS NOUVEAUX\n"
            "- Écart : Les stupéfiants ne sont pas sous clé (article R.5132-80 du CSP).\n"
            "- Remarque : Les chutes ne sont pas analysées.\n"
            "III – NOUVELLES MESURES\n"
            "Prescription 1 – Ranger les stupéfiants dans un coffre. Délai : immédiat.\n"
            "Recommandation 1 – Analyser les chutes chaque mois. Délai : 3 mois.\n")
    reading = read_report(text)
    assert reading.follow_up
    assert kinds(reading) == {"breach": 1, "remark": 1}
    assert [(m.kind, m.number) for m in reading.measures] == [("prescription", 1), ("recommandation", 1)]


def test_unnumbered_report_and_report_without_findings():
    assert read_report("") == read_report("   \n\f ")
    empty = read_report("RAPPORT D'INSPECTION\n1. Contexte\nLa visite s'est bien déroulée. Aucun écart n'a été "
                        "relevé et la mission n'a formulé aucune remarque.\n")
    assert empty.findings == [] and empty.measures == [] and not empty.follow_up
    unnumbered = read_report("Constats\n- Écart : Le registre n'est pas tenu.\n- Remarque : Les menus manquent.\n")
    assert [f.number for f in unnumbered.findings] == [None, None]
    assert [f.finding_id for f in unnumbered.findings] == ["Eu1", "Ru1"]


def test_three_hundred_findings():
    lines = ["2. Constats"]
    for n in range(1, 201):
        lines.append(f"Écart n°{n} : Le point de contrôle numéro {n} n'est pas conforme (art. L.311-3 CASF).")
    for n in range(1, 101):
        lines.append(f"Remarque n°{n} : Le point d'amélioration numéro {n} est relevé.")
    reading = read_report("\n".join(lines) + "\n")
    assert kinds(reading) == {"breach": 200, "remark": 100}
    assert len({f.finding_id for f in reading.findings}) == 300
    assert reading.findings[199].text.startswith("Le point de contrôle numéro 200 ")


def test_summary_table_that_disagrees_with_the_body():
    text = ("1. Constats\n"
            "Écart n°1 : Le plan bleu n'est pas à jour (art. D.312-160 CASF).\n"
            "Écart n°2 : Le CVS ne se réunit pas (art. D.311-16 CASF).\n"
            "Remarque n°1 : Les menus ne sont pas affichés.\n"
            "2. Tableau de synthèse des écarts et remarques\n"
            "N°\nLibellé\nGravité\n"
            "Écart n°1\nPlan bleu non actualisé\nMajeur\n"
            "Écart n°2\nCVS non réuni\nMineur\n"
            "Écart n°3\nLivret d'accueil incomplet\nMineur\n"
            "Remarque n°1\nMenus non affichés\n—\n")
    reading = read_report(text)
    assert [(f.finding_id, f.grade) for f in reading.findings] == [
        ("E1", "majeur"), ("E2", "mineur"), ("R1", None), ("E3", "mineur")]
    assert reading.findings[0].text.startswith("Le plan bleu")  # the body's wording wins over the table's
    assert reading.disagreements == [{"what": "summary_table_vs_body", "only_in_body": [], "only_in_table": ["E3"]}]


def test_findings_table_split_across_pages():
    header = "Synthèse des constats\nN°\nConstat\nRéférence\n"
    page1 = ("Rapport de contrôle – EHPAD Les Ormes\nPage 1/2\n" + header
             + "E1\nLe projet d'établissement est échu.\nL.311-8 CASF\n"
               "E2\nLe DUD n'est pas signé.\nD.312-176-5 CASF\n")
    page2 = ("Rapport de contrôle – EHPAD Les Ormes\nPage 2/2\nN°\nConstat\nRéférence\n"
             "R1\nLes menus ne sont pas affichés.\n—\n"
             "E3\nLes chutes ne sont pas déclarées.\nL.331-8-1 CASF\n"
             "Annexe 1 – Personnes rencontrées\nNom\nFonction\n")
    reading = read_report(page1 + "\f" + page2)
    assert [(f.finding_id, f.legal_refs) for f in reading.findings] == [
        ("E1", ("L.311-8 CASF",)), ("E2", ("D.312-176-5 CASF",)), ("R1", ()), ("E3", ("L.331-8-1 CASF",))]
    # and without the repeated header
    reading = read_report(page1 + "\f" + page2.replace("N°\nConstat\nRéférence\n", ""))
    assert [f.finding_id for f in reading.findings] == ["E1", "E2", "R1", "E3"]


def test_score_findings_counts_matches_and_deadlines():
    text = ("Écart n°1 : Le plan bleu n'est pas à jour.\nRemarque n°1 : Les menus ne sont pas affichés.\n"
            "Prescription n°1 : Mettre à jour le plan bleu. Délai : 3 mois.\n")
    gold = {"r1": {"findings": [{"id": "Écart n°1", "kind": "breach", "text": "Le plan bleu n'est pas à jour.",
                                 "legal_refs": [], "grade": None},
                                {"id": None, "kind": "remark", "text": "Les menus ne sont pas affichés du tout.",
                                 "legal_refs": [], "grade": None}],
                   "facts": {"breaches": 1, "remarks": 1, "injunctions": 0, "prescriptions": 1, "recommendations": 1,
                             "measures": [{"kind": "prescription", "text": "Mettre à jour le plan bleu.",
                                           "deadline": "3 mois"},
                                          {"kind": "recommandation", "text": "Afficher les menus.", "deadline": None}]}}}
    metrics = {m.metric: (m.matched, m.total) for m in score_findings({"r1": read_report(text)}, gold)}
    assert metrics["finding_precision"] == (2, 2) and metrics["finding_recall"] == (2, 2)
    assert metrics["finding_counts_per_kind_exact"] == (1, 1)
    assert metrics["measure_counts_per_kind_exact"] == (0, 1)
    assert metrics["recommendations_count_exact"] == (0, 1)
    assert metrics["measure_recall_by_kind"] == (1, 2) and metrics["deadline_accuracy"] == (1, 2)


# ---------------------------------------------------------------- the dev corpus (text by other authors)

@pytest.mark.slow
def test_dev_corpus_counts_per_kind():
    """Every dev PDF through extraction, anonymisation and the reader: gold counts per kind, exactly."""
    assert DEV_CORPUS.is_dir(), f"the dev corpus is missing: {DEV_CORPUS}"
    from dataval_pipeline.anonymise.engine import get_anonymiser
    from dataval_pipeline.ingest.extract import extract_text

    anonymiser = get_anonymiser()
    wrong = {}
    for line in (DEV_CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        facts = record["facts"]
        text = anonymiser.anonymise(extract_text((DEV_CORPUS / record["file"]).read_bytes()).text).text
        reading = read_report(text)
        got = (sum(f.kind == "breach" for f in reading.findings), sum(f.kind == "remark" for f in reading.findings),
               *(sum(m.kind == k for m in reading.measures) for k in ("injonction", "prescription", "recommandation")))
        want = (facts["breaches"], facts["remarks"], facts["injunctions"], facts["prescriptions"],
                facts["recommendations"])
        if got != want:
            wrong[record["file"]] = (got, want)
    assert not wrong


# ---------------------------------------------------------------- other layouts

def test_pipe_and_tab_tables_read_like_pdf_cells():
    text = ("Synthèse\n"
            "| N° | Type | Constat | Référence |\n|---|---|---|---|\n"
            "| 1 | Écart | Le plan de continuité n'est pas formalisé. | D.312-160 CASF |\n"
            "| 2 | Remarque majeure | Les soignants ne sont pas formés à la contention. | — |\n"
            "| 3 | Remarque | Les menus ne sont pas affichés. | — |\n"
            "Mesures\n"
            "N°\tNature\tMesure\tDélai\n"
            "1\tInjonction\tFormaliser le plan de continuité.\t1 mois\n"
            "2\tRecommandation\tFormer les soignants.\t6 mois\n")
    reading = read_report(text)
    assert [(f.kind, f.number, f.grade, f.legal_refs) for f in reading.findings] == [
        ("breach", None, None, ("D.312-160 CASF",)), ("remark", None, "majeure", ()), ("remark", None, None, ())]
    assert [(m.kind, m.number, m.text, m.deadline_days) for m in reading.measures] == [
        ("injonction", 1, "Formaliser le plan de continuité.", 30), ("recommandation", 2, "Former les soignants.", 180)]
    first = reading.findings[0]
    assert text[first.start:first.end] == first.text


def test_label_alone_upper_case_and_notes():
    text = ("3. CONSTATS\n"
            "ÉCART N°1\nLe registre des contentions n'est pas tenu, en méconnaissance de l'article L.311-3 du CASF.\n"
            "Remarque : les délais indiqués courent à compter de la notification du rapport définitif.\n"
            "Les écarts désignent ici les non-conformités ; tout manquement à une norme constitue un écart.\n"
            "Écart n°2 (critique) : Des résidents sont enfermés la nuit.\n")
    reading = read_report(text)
    assert [(f.finding_id, f.grade) for f in reading.findings] == [("E1", None), ("E2", "critique")]
    assert reading.findings[0].text.startswith("Le registre des contentions")


def test_label_masked_by_the_anonymiser_is_recovered_from_the_numbering():
    text = ("E.1 – Les prescriptions ne sont pas signées. (art. R.5132-3 CSP)\n"
            "<PERSONNE_4>.2 – Les stupéfiants ne sont pas sous clé. (art. R.5132-80 CSP)\n"
            "E.3 – Le réfrigérateur n'est pas surveillé.\n"
            "R.1 – La liste des médicaments écrasables manque.\n")
    reading = read_report(text)
    assert [f.finding_id for f in reading.findings] == ["E1", "E2", "E3", "R1"]
    assert reading.findings[1].legal_refs == ("R.5132-80 CSP",)


def test_a_long_report_reads_in_reasonable_work():
    """500 pages of prose with a few findings: the reader stays linear enough to finish (no timing asserted)."""
    page = ("Le texte courant d'une page de rapport décrit ce que la mission a observé sur place. " * 12 + "\n") * 4
    pages = [f"Rapport – EHPAD Les Chênes\nPage {n}/500\n{page}" for n in range(1, 501)]
    pages[250] += "Écart n°1 : Le registre n'est pas tenu (art. L.311-3 CASF).\n"
    reading = read_report("\f".join(pages))
    assert [f.finding_id for f in reading.findings] == ["E1"]


def test_one_letter_type_cells_and_stated_counts():
    text = ("Écart n°1 : Le plan bleu n'est pas à jour.\n"
            "Conclusion\nLa mission a relevé deux écarts et une remarque, qui appellent les mesures suivantes.\n"
            "Mesures\nN°\nMesure\nType\nDélai\n"
            "1\nMettre à jour le plan bleu.\nP\n3 mois\n"
            "2\nAfficher les menus dans chaque unité.\nR\n—\n"
            "3\nCesser toute contention non prescrite.\nI\nImmédiat\n")
    reading = read_report(text)
    assert [(m.kind, m.number, m.deadline_days) for m in reading.measures] == [
        ("prescription", 1, 90), ("recommandation", 2, None), ("injonction", 3, 0)]
    assert reading.disagreements == [{"what": "stated_counts_vs_found", "stated": [2, 1], "found": [1, 0]}]


def test_earlier_measure_kept_in_force_is_not_a_new_one():
    text = ("II – Nouvelles mesures\n"
            "Prescription n°3 (maintenue) : Réunir le CVS trois fois par an.\n"
            "Prescription n°4 : Ranger les stupéfiants dans un coffre. Délai : immédiat.\n")
    assert [(m.kind, m.number) for m in read_report(text).measures] == [("prescription", 4)]


def test_kind_stated_in_parentheses_and_reference_in_the_label():
    text = ("Constat n°1 (écart) : Le règlement de fonctionnement date de 2012 (article L.311-7 du CASF).\n"
            "Constat n°2 (remarque) : Les réunions d'équipe ne sont pas tracées.\n"
            "Écart à l'article D.312-156 du CASF : le temps de médecin coordonnateur est de 0,2 ETP.\n"
            "Synthèse : écarts : 2 ; remarques : 1.\n")
    reading = read_report(text)
    assert [(f.kind, f.number, f.legal_refs) for f in reading.findings] == [
        ("breach", 1, ("L.311-7 CASF",)), ("remark", 2, ()), ("breach", None, ("D.312-156 CASF",))]


def test_an_annex_of_measures_is_read_and_other_annexes_are_not():
    body = "1. Constats\n" + "La mission a observé le fonctionnement courant de l'établissement. " * 20 + "\n"
    text = (body + "Écart n°1 : Le plan bleu n'est pas à jour.\n"
            "Annexe 1 – Tableau des mesures\nPrescription n°1 : Mettre à jour le plan bleu. Délai : 2 mois.\n"
            "Annexe 2 – Personnes rencontrées\nRemarque n°9 : ligne d'un tableau d'annexe.\n")
    reading = read_report(text)
    assert [f.finding_id for f in reading.findings] == ["E1"]
    assert [(m.measure_id, m.deadline_days) for m in reading.measures] == [("P1", 60)]


def test_findings_named_only_by_the_rows_of_a_measures_table():
    text = ("Tableau de synthèse\nN°\nNature\nIntitulé\nMesure\nDélai\n"
            "1\nÉcart\nLe plan bleu n'est pas à jour.\nPrescription\n3 mois\n"
            "2\nRemarque\nLes menus ne sont pas affichés.\nRecommandation\n6 mois\n")
    reading = read_report(text)
    assert [(f.kind, f.number) for f in reading.findings] == [("breach", None), ("remark", None)]
    assert [(m.kind, m.number, m.deadline_days) for m in reading.measures] == [
        ("prescription", 1, 90), ("recommandation", 2, 180)]


def test_abbreviated_recommendations_under_their_heading_beside_r_remarks():
    text = ("E1 : Le plan bleu n'est pas à jour.\nR1 : Les menus ne sont pas affichés.\n"
            "Prescriptions\nP1 (E1) Mettre à jour le plan bleu. Délai : 1 mois.\n"
            "Recommandations\nR1 (R1) Afficher les menus dans chaque unité.\n")
    reading = read_report(text)
    assert [f.finding_id for f in reading.findings] == ["E1", "R1"]
    assert [(m.measure_id, m.kind, m.finding_ids) for m in reading.measures] == [
        ("P1", "prescription", ("E1",)), ("R1", "recommandation", ("R1",))]


def test_sub_numbered_and_dashed_labels():
    text = ("Écart n°2.1 : Le plan bleu manque.\nÉcart n°2.2 : Le registre des entrées manque.\n"
            "Remarque 3.1 – Les menus manquent.\nE-4 : Le document unique de délégation n'est pas signé.\n"
            "Synthèse\nN°\nConstat\nÉcart n°2.1\nPlan bleu absent.\nÉcart n°2.2\nRegistre absent.\n")
    reading = read_report(text)
    assert [(f.finding_id, f.number, f.label) for f in reading.findings] == [
        ("E2.1", None, "Écart n°2.1"), ("E2.2", None, "Écart n°2.2"), ("R3.1", None, "Remarque 3.1"), ("E4", 4, "E-4")]


def test_measure_linked_in_its_wording():
    text = ("Écart n°3 : Le registre des entrées n'est pas tenu.\n"
            "Injonction n°1 : En réponse à l'écart n°3, ouvrir et tenir le registre des entrées. Délai : 15 jours.\n")
    reading = read_report(text)
    assert [(m.measure_id, m.finding_ids, m.deadline_days) for m in reading.measures] == [("I1", ("E3",), 15)]


# ---------------------------------------------------------------- layouts of tables and conventions

def test_type_column_headed_by_its_codes_and_inline_measures_after_the_table():
    text = ("2. Constats\nN°\nE/R\nConstat\n"
            "1\nE\nLe registre des entrées et sorties n'est pas tenu depuis janvier, en méconnaissance de\n"
            "l'article L.331-2 du CASF.\n"
            "2\nR\nLes horaires de visite ne figurent pas dans le livret d'accueil.\n"
            "3\nE\nAucun protocole de prévention des chutes n'est formalisé.\n"
            "Injonction n°1 (délai : 15 jours) : Tenir à jour le registre des entrées et sorties.\n"
            "Recommandation n°1 : Mentionner les horaires de visite dans le livret d'accueil.\n"
            "La direction a indiqué que des mesures étaient en cours de réflexion à la date de la visite.\n")
    reading = read_report(text)
    assert [(f.kind, f.number) for f in reading.findings] == [("breach", None), ("remark", None), ("breach", None)]
    assert reading.findings[0].legal_refs == ("L.331-2 CASF",)
    assert "direction" not in reading.findings[-1].text
    assert [(m.measure_id, m.deadline_text, m.deadline_days) for m in reading.measures] == [
        ("I1", "15 jours", 15), ("R1", None, None)]


def test_convention_declared_without_quotes():
    text = ("Méthode\nAu sens du présent document, les constats correspondent à des écarts à la réglementation et "
            "les observations à des remarques sans fondement opposable.\n"
            "Constat n°1 : La directrice ne dispose d'aucune délégation écrite.\n"
            "Observation n°1 : Les plaintes orales ne sont pas consignées.\n"
            "Constat n°2 : Le plan de formation n'est pas établi.\n"
            "Synthèse\nN°\nLibellé\nConstat n°1\nDélégation absente.\nObservation n°1\nPlaintes orales.\n"
            "Constat n°2\nPlan de formation absent.\n")
    reading = read_report(text)
    assert [(f.finding_id, f.kind) for f in reading.findings] == [("E1", "breach"), ("R1", "remark"), ("E2", "breach")]


def test_coded_measures_table_with_and_without_a_legend():
    table = ("3. Mesures\nN°\nMesure\nDélai\n"
             "R1\nPublier les menus de la semaine à chaque étage.\n3 mois\n"
             "R2\nConvoquer le conseil de la vie sociale trois fois l'an.\navant le\n30/06/20\n25\n")
    findings = ("1. Constats\nRemarque n° 1 : Les menus ne sont pas publiés dans les étages.\n"
                "Remarque n° 2 : Le conseil de la vie sociale ne s'est pas réuni cette année.\n")
    legend = "Légende : I = injonction, P = prescription, R = recommandation.\n"
    for text in (legend + findings + table, findings + table):
        reading = read_report(text, visit_date=dt.date(2025, 3, 31))
        assert [(f.finding_id, f.kind) for f in reading.findings] == [("R1", "remark"), ("R2", "remark")]
        assert [(m.measure_id, m.kind, m.deadline_text, m.deadline_days) for m in reading.measures] == [
            ("R1", "recommandation", "3 mois", 90), ("R2", "recommandation", "avant le 30/06/2025", 91)]


def test_measures_table_keyed_by_a_dash_for_unnumbered_findings():
    text = ("Les repas sont servis trop tôt ; cette situation constitue un écart majeur à l'article D.312-158 "
            "du CASF.\nLes familles ne sont pas informées des sorties ; cela appelle une remarque.\n"
            "Mesures attendues\nConstat\nMesure\nNature\nDélai\n"
            "—\nDécaler le service du dîner et proposer une collation\nnocturne.\nInjonction\nsans\ndélai\n"
            "—\nInformer les familles des sorties organisées.\nRecommandation\n—\n"
            "—\nRevoir l'organisation des repas du soir.\nPrescription\n3 mois\n"
            "—\nAfficher le menu du jour.\nRecommandation\navant le 15\n/09/2025\n")
    reading = read_report(text)
    assert kinds(reading) == {"breach": 1, "remark": 1}
    assert [(m.kind, m.deadline_text, m.text) for m in reading.measures] == [
        ("injonction", "sans délai", "Décaler le service du dîner et proposer une collation nocturne."),
        ("recommandation", None, "Informer les familles des sorties organisées."),
        ("prescription", "3 mois", "Revoir l'organisation des repas du soir."),
        ("recommandation", "avant le 15/09/2025", "Afficher le menu du jour.")]


def test_wrapped_reference_and_header_cells_and_headers_repeated_on_each_page():
    page = ("Inspection de l'EHPAD Les Aulnes\nN°\nConstat\nRéféren\nce\n{rows}"
            "Fin de la page {n}, où le texte courant du rapport reprend sur une ligne entière de prose.\n")
    rows = [("E1\nLes aides-soignants de nuit ne sont pas formés à l'urgence.\nart. D.312\n-155-0\nCASF\n"),
            ("E2\nDes salariés inscrits aux plannings ne figurent pas au registre du personnel.\nart.\nL.1221-13\n"
             "code du\ntravail\n"),
            ("E3\nLes piluliers sont préparés par des agents non diplômés.\nart. R.43\n11-4\nCSP\n")]
    text = "\f".join(page.format(rows=r, n=n) for n, r in enumerate(rows, 1))
    reading = read_report(text)
    assert [(f.finding_id, f.legal_refs) for f in reading.findings] == [
        ("E1", ("D.312-155-0 CASF",)), ("E2", ("L.1221-13 CT",)), ("E3", ("R.4311-4 CSP",))]
    assert all("page" not in f.text and "art" not in f.text for f in reading.findings)


def test_spaced_articles_two_references_and_code_names_written_out():
    assert legal_refs("méconnaît l'article D. 312-156 du code de l'action sociale et des familles") == [
        "D.312-156 CASF"]
    assert legal_refs("contrairement aux articles L. 311-4 du CASF et R. 4127-8 du code de la santé publique") == [
        "L.311-4 CASF", "R.4127-8 CSP"]
    text = ("Les transmissions ne sont pas tracées. Ce manquement constitue un écart majeur au regard de l'article L.\n"
            "313-26 du code de l'action sociale et des familles.\n"
            "Les chambres doubles n'ont pas de paravent, ce qui appelle une remarque.\n")
    reading = read_report(text)
    assert [(f.kind, f.grade, f.legal_refs) for f in reading.findings] == [
        ("breach", "majeur", ("L.313-26 CASF",)), ("remark", None, ())]


def test_bulleted_findings_with_a_figure_first_and_a_reference_over_two_lines():
    text = ("2. Ressources humaines\n"
            "- Écart : 4,5 ETP d'infirmiers financés ne sont pas pourvus depuis deux exercices (art.\n"
            "R.314-210 CASF).\n"
            "- Remarque : Le plan de formation n'est pas communiqué aux équipes.\n")
    reading = read_report(text)
    assert [(f.kind, f.legal_refs) for f in reading.findings] == [("breach", ("R.314-210 CASF",)), ("remark", ())]
    assert reading.findings[0].text.startswith("4,5 ETP")


def test_a_lone_remark_label_in_a_report_stating_breaches_in_prose():
    text = ("Le circuit du médicament n'est pas sécurisé, ce qui constitue un écart critique à l'article R.4312-38 "
            "du CSP.\nRemarque : Les stupéfiants ne font pas l'objet d'un inventaire contradictoire.\n")
    reading = read_report(text)
    assert [(f.kind, f.grade) for f in reading.findings] == [("breach", "critique"), ("remark", None)]


def test_measures_link_to_sub_numbered_findings():
    text = ("Écart n°2.1 : Le plan de continuité manque.\nÉcart n°2.2 : Le registre des entrées manque.\n"
            "Remarque n°2 : Les menus ne sont pas affichés.\n"
            "Prescription n°1 (écart n°2.2) : Ouvrir le registre des entrées. Délai : 1 mois.\n"
            "Prescription n°2 (E2.1) : Rédiger le plan de continuité.\n"
            "Recommandation n°1 (remarque n°2) : Afficher les menus.\n")
    reading = read_report(text)
    assert [(m.measure_id, m.finding_ids) for m in reading.measures] == [
        ("P1", ("E2.2",)), ("P2", ("E2.1",)), ("R1", ("R2",))]
