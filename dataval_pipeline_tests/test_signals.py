"""Fraud signals read from report text: each signal in two phrasings, figures and quotes, guards that keep a
fine or a budget figure from becoming a signal, the finding a signal belongs to, the LLM on candidates
(a real HTTP server following a script), the contract's enum, and the development corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.evaluation.signals import score_signals, separation
from dataval_pipeline.findings.model import Finding, Measure, ReportReading
from dataval_pipeline.llm.client import LLMSettings, StructuredLLM
from dataval_pipeline.signals import questions, signal_rows, tag_signals
from dataval_pipeline.signals.rules import fte_figure, main_amount
from dataval_pipeline.signals.vocabulary import fold, load_vocabulary
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

DEV_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"

# Two phrasings of each signal, in the words of inspectors (written for these tests).
PHRASINGS = {
    "care_budget_misuse": [
        "Le salaire de la gouvernante et de deux agents de restauration, qui relève de la section hébergement, "
        "est comptabilisé sur la section soins pour 84 300 € en 2023.",
        "Des dépenses de blanchisserie et d'entretien des locaux ont été financées à tort par la dotation soins "
        "de l'assurance maladie, soit 27 900 € sur l'exercice.",
    ],
    "supplier_rebates_kept": [
        "Les ristournes accordées par le fournisseur de dispositifs médicaux, soit 9 850 €, n'ont pas été "
        "déduites des charges de l'établissement.",
        "La remise de fin d'année sur les protections, 6 420 €, a été conservée par la centrale d'achat du groupe.",
    ],
    "fte_overdeclared": [
        "L'état du personnel joint au compte administratif déclare 41,0 ETP d'aides-soignants alors que les "
        "bulletins de paie n'en font apparaître que 35,5, soit un écart de 5,5 ETP.",
        "Les effectifs financés par l'ARS excèdent de 3,20 ETP les effectifs effectivement présents sur les "
        "plannings de l'année.",
    ],
    "phantom_staff": [
        "Deux infirmières inscrites sur les plannings de mars ne figurent pas au registre unique du personnel.",
        "Trois aides-soignants rémunérés en 2023 n'apparaissent sur aucun planning réalisé et ne correspondent "
        "à aucun contrat de travail transmis.",
    ],
    "unqualified_staff_counted": [
        "Six agents de service faisant fonction d'aide-soignant, soit 4,8 ETP, sont décomptés comme "
        "aides-soignants dans le tableau des effectifs transmis à l'autorité de tarification.",
        "Des agents non diplômés sont rémunérés sur des postes d'aide-soignant financés par la section soins.",
    ],
    "over_capacity": [
        "Le jour de la visite, 104 résidents étaient hébergés pour 98 places autorisées.",
        "L'établissement accueille régulièrement des résidents au-delà de sa capacité autorisée.",
    ],
    "head_office_fees_excess": [
        "Les frais de siège, 412 000 € en 2023, représentent 8,4 % des charges contre une médiane de 3,5 % "
        "chez les gestionnaires comparables.",
        "Des frais de siège sont refacturés à l'établissement sans décision d'autorisation de l'autorité de "
        "tarification.",
    ],
    "resident_overcharging": [
        "Un forfait « linge personnel » de 30 € par mois est facturé aux résidents en sus du tarif hébergement.",
        "Des frais de dossier de 250 € sont facturés à chaque admission alors qu'ils ne sont pas prévus au "
        "contrat de séjour.",
    ],
    "prosecutor_referral": [
        "Le directeur général de l'ARS a saisi le procureur de la République de ces faits le 3 mai 2024.",
        "Un signalement a été adressé au parquet sur le fondement de l'article 40 du code de procédure pénale.",
    ],
    "sanction": [
        "Par arrêté du 12 juin 2024, une administration provisoire de l'établissement a été prononcée pour six mois.",
        "Une astreinte journalière de 500 € a été prononcée à l'encontre du gestionnaire jusqu'à la levée de "
        "l'injonction.",
    ],
}

# A fine that may follow, budget figures, compliant situations, an instruction to the manager, on-call staff,
# staff doing tasks they are not qualified for (a care breach, not a counting one): no signal.
NOT_SIGNALS = [
    "Le budget prévisionnel de la section soins s'élève à 1 240 000 € pour 2024 et celui de la section "
    "dépendance à 410 000 €.",
    "Le tarif hébergement est fixé à 68,20 € par jour par arrêté du président du conseil départemental.",
    "Le non-respect de l'injonction dans le délai fixé pourra donner lieu à une astreinte journalière de 300 € "
    "ou à une sanction financière.",
    "La mission n'a relevé aucune irrégularité dans la répartition des charges entre les sections tarifaires.",
    "Les frais de siège, 95 000 €, sont conformes à la décision d'autorisation du 4 mars 2022.",
    "Une astreinte infirmière de nuit est organisée avec l'établissement voisin.",
    "Signaler sans délai au procureur de la République tout fait de maltraitance.",
    "Des agents faisant fonction d'aide-soignant distribuent les médicaments le soir, ce qui constitue un "
    "glissement de tâches.",
    "L'établissement dispose d'une capacité autorisée de 80 places ; 78 résidents étaient présents.",
    "Les portes des chambres sont fermées à clé la nuit sans décision médicale.",
    "Une amende de 135 € a été réglée par l'établissement pour un stationnement de son véhicule de service.",
]


def _signals(text: str, reading: ReportReading | None = None, llm=None):
    return tag_signals({"r": (text, reading or ReportReading())}, llm)["r"]


@pytest.mark.parametrize("signal", sorted(PHRASINGS))
@pytest.mark.parametrize("variant", [0, 1])
def test_each_signal_is_read_in_two_phrasings(signal, variant):
    sentence = PHRASINGS[signal][variant]
    text = "Constats de la mission.\n" + sentence + "\nFin du constat."
    found = _signals(text).signals
    assert [s.signal for s in found] == [signal], (sentence, [(s.signal, s.quote) for s in found])
    row = found[0]
    assert text[row.start:row.end] == sentence and row.quote == sentence
    assert row.source == "rule" and row.finding_id is None and row.context == "text"


@pytest.mark.parametrize("sentence", NOT_SIGNALS)
def test_a_fine_a_budget_or_a_compliant_situation_gives_no_signal(sentence):
    assert _signals(sentence).signals == [], sentence


def test_a_report_whose_only_amounts_are_budgets_and_a_possible_fine_has_no_signal():
    report = "\n".join(["RAPPORT D'INSPECTION", *NOT_SIGNALS[:5],
                        "Écart n°1 : Le projet d'établissement n'a pas été actualisé depuis 2018 (article L.311-8 du CASF)."])
    assert _signals(report).signals == []


def test_figures_are_the_irregularitys_amount_and_fte_gap():
    rows = {s.signal: s for s in _signals(" ".join(v[0] for v in PHRASINGS.values())).signals}
    assert rows["care_budget_misuse"].amount_eur == 84_300
    assert rows["supplier_rebates_kept"].amount_eur == 9_850
    assert rows["fte_overdeclared"].fte == 5.5
    assert rows["unqualified_staff_counted"].fte == 4.8
    assert rows["head_office_fees_excess"].amount_eur == 412_000
    assert rows["over_capacity"].amount_eur is None and rows["over_capacity"].fte is None
    assert main_amount(fold("45 200 € par ETP, soit 241 820 € au total")) == 241_820
    assert main_amount(fold("un total de 1,2 M€")) == 1_200_000
    assert fte_figure(fold("déclare 31,80 ETP quand la paie en montre 26,45 ETP")) == pytest.approx(5.35)


def test_a_signal_keeps_the_finding_that_states_it_and_the_finding_lists_it():
    intro = "Les remises fournisseurs ont été examinées sur trois exercices.\n"
    finding = ("Écart n°2 : Les avoirs de fin d'année du fournisseur de protections, soit 12 400 €, ont été "
               "conservés par le siège et n'ont pas été portés en atténuation des charges.")
    measure = "Injonction n°1 : Reverser à l'établissement les 12 400 € de remises conservées par le siège."
    text = intro + finding + "\n" + measure
    start = text.index(finding)
    reading = ReportReading(
        findings=[Finding("E2", "breach", 2, "Écart n°2", finding, (), None, start, start + len(finding))],
        measures=[Measure("I1", "injonction", 1, "Injonction n°1", measure, None, None, ("E2",),
                          text.index(measure), len(text))])
    result = _signals(text, reading)
    assert [(s.signal, s.finding_id, s.context) for s in result.signals] == [("supplier_rebates_kept", "E2", "finding")]
    assert result.signals[0].amount_eur == 12_400
    assert result.findings[0].fraud_signals == ("supplier_rebates_kept",)
    rows = signal_rows("a" * 16, result, "2026-01-01")
    assert set(rows[0]) == set(load_contract("fraud_signals").column_names)


def test_a_measure_alone_states_a_signal_without_a_finding():
    text = "Mesure 1 : cesser la facturation du forfait d'entrée et rembourser les résidents des sommes perçues."
    reading = ReportReading(measures=[Measure("P1", "prescription", 1, "Mesure 1", text, None, None, (), 0, len(text))])
    rows = _signals(text, reading).signals
    assert [(s.signal, s.finding_id, s.measure_id, s.context) for s in rows] == [
        ("resident_overcharging", None, "P1", "measure")]


def test_the_contract_enum_is_the_vocabulary():
    assert load_contract("fraud_signals").column("signal").enum == load_vocabulary().ids
    weights = load_vocabulary().weights
    assert all(w > load_vocabulary().score["peer_bound"] for w in weights.values())


class SignalQuestionServer(ScriptedLLMServer):
    """The scripted server, answering signal questions as scripted: ``signal:<id>`` (or ``none``)."""

    def respond(self, handler, behaviour, body):
        if behaviour.startswith("signal:"):
            return self._send(handler, 200, self._completion({"signal": behaviour.split(":", 1)[1]}))
        return super().respond(handler, behaviour, body)


def _client(server: ScriptedLLMServer) -> StructuredLLM:
    return StructuredLLM(LLMSettings(base_url=server.base_url, model="scripted", concurrency=1, backoff_s=0.01))


# Keyword, a figure, no stated irregularity: the rules are unsure.
UNSURE_FEES = "Les frais de siège facturés par le groupe atteignent 388 000 € en 2023."
UNSURE_REFERRAL = "Les faits ont été évoqués avec le parquet, qui en a été tenu informé le 4 avril 2024."


def test_the_llm_settles_candidates_one_unit_at_a_time_and_the_pipeline_quotes():
    text = UNSURE_FEES + "\n\n" + UNSURE_REFERRAL
    assert _signals(text).signals == []  # rules alone: candidates, not signals
    with SignalQuestionServer(["signal:head_office_fees_excess", "signal:none"]) as server:
        result = _signals(text, llm=_client(server))
        bodies = list(server.requests)
    assert result.questions == 2 and result.failures == []
    assert [(s.signal, s.source, s.quote) for s in result.signals] == [("head_office_fees_excess", "llm", UNSURE_FEES)]
    assert result.signals[0].amount_eur == 388_000
    systems = [b["messages"][0]["content"] for b in bodies]
    assert systems[0] == systems[1] and "prosecutor_referral" in systems[0]  # fixed part first, identical
    enums = [b["response_format"]["json_schema"]["schema"]["properties"]["signal"]["enum"] for b in bodies]
    assert sorted(map(tuple, enums)) == [("head_office_fees_excess", "none"), ("prosecutor_referral", "none")]
    assert all(json.loads(json.dumps(b))["messages"][1]["content"].startswith("<rapport>") for b in bodies)


def test_an_answer_outside_the_candidates_or_a_dead_server_leaves_the_rules_answer():
    with SignalQuestionServer(["signal:sanction", "signal:sanction", "500", "500", "500", "500"]) as server:
        llm = StructuredLLM(LLMSettings(base_url=server.base_url, model="scripted", concurrency=1, backoff_s=0.01,
                                        max_attempts=2))
        result = _signals(UNSURE_FEES + "\n\n" + UNSURE_REFERRAL, llm=llm)
    assert result.signals == []
    assert len(result.failures) == 2 and all(f["reason"] for f in result.failures)


def test_prompt_key_changes_with_the_vocabulary_text():
    vocabulary = load_vocabulary()
    assert questions.prompt_key(vocabulary).startswith(questions.PROMPT_VERSION + ".")
    assert "{signals}" not in questions.system_prompt(vocabulary)


def test_scores_and_separation_are_pure():
    evaluation = score_signals({"a": {"over_capacity", "sanction"}, "b": {"fte_overdeclared"}},
                               {"a": ["over_capacity"], "b": [], "c": ["phantom_staff"]})
    assert evaluation.precision == 0.5 and evaluation.recall == 0.5
    assert [sorted(d.unscored) for d in evaluation.documents] == [["sanction"], [], []]
    sep = separation({"a": 1, "b": 3, "c": 2}, {"a": ["x"], "b": [], "c": ["y"]})
    assert sep.separated and sep.misordered_pairs == 0
    assert not separation({"a": 2, "b": 1}, {"a": ["x"], "b": []}).separated


def test_development_corpus_signals_reach_the_targets_with_rules_alone():
    """The dev corpus by other authors: recall and precision of the signals per document >= 0.9."""
    from dataval_pipeline.analyse import read_document
    from dataval_pipeline.anonymise.engine import get_anonymiser
    from dataval_pipeline.findings.read import read_report

    gold_path = DEV_CORPUS / "gold.jsonl"
    assert gold_path.exists(), f"development corpus missing: {DEV_CORPUS}"
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = get_anonymiser()
    reports = {}
    for record in gold:
        rid, text = read_document(DEV_CORPUS / record["file"])
        anonymised = engine.anonymise(text).text
        reports[rid] = (anonymised, read_report(anonymised))
    tagged = tag_signals(reports, None)
    evaluation = score_signals({rid: {s.signal for s in r.signals} for rid, r in tagged.items()},
                               {g["report_id"]: g["planted"] for g in gold})
    misses = [(d.report_id, sorted(d.false_positives), sorted(d.missed)) for d in evaluation.documents
              if d.false_positives or d.missed]
    assert evaluation.recall >= 0.9 and evaluation.precision >= 0.9, misses
    assert all(s.quote and reports[rid][0][s.start:s.end].strip() for rid, r in tagged.items() for s in r.signals)


# More wordings of each signal and of their look-alikes (also written for these tests): nominal phrases,
# passives, synonyms of the payroll, the prosecutor or the budgets.
MORE_PHRASINGS = [
    ('care_budget_misuse', "Le contrat de nettoyage des parties communes, qui relève de l'hébergement, est réglé sur le forfait soins depuis 2021."),
    ('care_budget_misuse', 'La mission a identifié 47 800 € de charges hôtelières supportées par la section soins en 2023.'),
    ('supplier_rebates_kept', 'Les avoirs consentis par le laboratoire sur les dispositifs médicaux sont encaissés par la société mère.'),
    ('supplier_rebates_kept', "Aucune des remises commerciales négociées avec le fournisseur d'incontinence n'a bénéficié à l'établissement."),
    ('fte_overdeclared', "Le tableau des effectifs transmis fait état de 28 ETP d'aides-soignants quand les plannings n'en comptent que 23."),
    ('fte_overdeclared', "Sur les 12 ETP d'infirmiers financés, seuls 9,5 ETP sont effectivement en poste."),
    ('phantom_staff', "Trois salariés figurant sur le livre de paie n'ont jamais travaillé dans l'établissement."),
    ('phantom_staff', "Des heures de remplacement sont payées au nom d'une aide-soignante qui a quitté l'établissement en 2022."),
    ('unqualified_staff_counted', "Les agents de service faisant fonction d'aide-soignant sont déclarés comme aides-soignants à l'autorité de tarification."),
    ('unqualified_staff_counted', 'Deux ASH non qualifiés sont rémunérés comme aides-soignants et financés par la dotation soins.'),
    ('over_capacity', "Au jour de l'inspection, 64 personnes étaient accueillies pour 60 lits autorisés."),
    ('over_capacity', "Trois lits supplémentaires ont été installés sans autorisation dans l'unité protégée."),
    ('head_office_fees_excess', "Aucune décision n'autorise les frais de siège prélevés par l'association (128 000 €)."),
    ('head_office_fees_excess', "La quote-part de frais de siège facturée à l'EHPAD est deux fois supérieure à celle des établissements comparables."),
    ('resident_overcharging', "Un dépôt de garantie de deux mois est exigé à l'entrée, au-delà du maximum prévu par la réglementation."),
    ('resident_overcharging', 'La location du téléviseur est facturée 25 € par mois aux résidents sans être prévue au contrat de séjour.'),
    ('prosecutor_referral', "Compte tenu de ces éléments, l'autorité a informé le procureur de la République en application de l'article 40 du CPP."),
    ('prosecutor_referral', "Le parquet a été saisi par l'ARS le 14 mars 2024."),
    ('sanction', "Le président du conseil départemental a décidé la suspension de l'autorisation d'accueil temporaire."),
    ('sanction', "L'ARS a placé l'établissement sous administration provisoire pour une durée de six mois."),
    ('care_budget_misuse', "Imputation sur le forfait global de soins des salaires de l'équipe de cuisine : 58 200 €."),
    ('care_budget_misuse', "Les dépenses d'entretien des espaces verts ont été prises en charge par la section soins, en méconnaissance de l'article R.314-162 du CASF."),
    ('supplier_rebates_kept', "Non-reversement des ristournes fournisseurs à l'établissement (11 300 € en 2023)."),
    ('supplier_rebates_kept', "Les remises obtenues sur les achats de protections sont comptabilisées dans les comptes du groupe et non dans ceux de l'EHPAD."),
    ('fte_overdeclared', "Écart entre les 33,5 ETP soignants déclarés dans l'ERRD et les 27,9 ETP constatés à partir des bulletins de salaire."),
    ('fte_overdeclared', "Surdéclaration des effectifs soignants de 4 ETP dans l'état réalisé des recettes et des dépenses."),
    ('phantom_staff', "Des salariés fictifs apparaissent dans la DSN de l'établissement."),
    ('phantom_staff', "Une infirmière figurant dans l'état des effectifs est inconnue de l'équipe et ne figure sur aucun planning."),
    ('unqualified_staff_counted', "Les 3 ETP d'ASH faisant fonction sont intégrés au décompte des aides-soignants transmis à l'ARS."),
    ('unqualified_staff_counted', 'Des agents sans qualification sont présentés comme aides-soignants dans le tableau des effectifs.'),
    ('over_capacity', "Accueil de 5 résidents en surnombre par rapport à l'autorisation."),
    ('over_capacity', 'La capacité autorisée de 70 places est dépassée depuis 2022.'),
    ('head_office_fees_excess', 'Frais de siège supérieurs au plafond autorisé (6,2 % pour un plafond de 4,5 %).'),
    ('head_office_fees_excess', 'Le siège facture des frais de gestion non autorisés à hauteur de 96 000 €.'),
    ('resident_overcharging', "Facturation indue aux résidents de produits d'hygiène compris dans le tarif hébergement."),
    ('resident_overcharging', 'Les résidents acquittent un supplément de 4 € par jour pour une chambre dite « premium » non prévu au contrat.'),
    ('prosecutor_referral', "Une saisine du procureur de la République sera effectuée par le directeur général de l'ARS."),
    ('prosecutor_referral', "Les faits ont été dénoncés au ministère public par la mission d'inspection."),
    ('sanction', "La fermeture définitive de l'établissement a été prononcée par arrêté conjoint."),
    ('sanction', "Une astreinte de 300 € par jour de retard a été fixée par l'ARS."),
    ('care_budget_misuse', 'Les charges de personnel administratif (0,5 ETP de comptable) sont intégralement portées sur la section soins.'),
    ('care_budget_misuse', "Le forfait soins finance depuis 2022 l'abonnement de télévision des chambres, qui relève de l'hébergement."),
    ('supplier_rebates_kept', "Les rabais de fin d'exercice versés par le fournisseur de matériel d'incontinence sont conservés par l'association gestionnaire."),
    ('fte_overdeclared', "L'état des effectifs annexé à l'ERRD fait apparaître 4 ETP d'aides-soignants de plus que les plannings réalisés."),
    ('fte_overdeclared', "Le nombre d'ETP financés (25,0) excède de 3,5 ETP le nombre d'ETP rémunérés."),
    ('phantom_staff', "Deux infirmiers figurent sur le tableau des effectifs transmis à l'ARS sans qu'aucun contrat ni bulletin de salaire ne corresponde."),
    ('unqualified_staff_counted', "Les agents faisant fonction sont comptabilisés comme aides-soignants dans l'ERRD 2023."),
    ('over_capacity', 'Le nombre de résidents présents (74) excède la capacité autorisée (70).'),
    ('head_office_fees_excess', 'Les frais de siège ont été facturés au-delà du taux autorisé par la décision du 3 mars 2021.'),
    ('resident_overcharging', 'Une participation de 50 € est demandée aux familles pour chaque sortie, alors que les animations sont comprises dans le tarif.'),
    ('resident_overcharging', 'Le gestionnaire facture aux résidents des frais de dossier non prévus par la réglementation.'),
    ('prosecutor_referral', 'Le procureur de la République a été avisé de ces faits par courrier du 2 mai 2024.'),
    ('sanction', "L'ARS a prononcé une sanction financière à l'encontre de l'organisme gestionnaire."),
    ('sanction', 'Un administrateur provisoire a été désigné par arrêté du 15 juin 2024.'),
    ('care_budget_misuse', "Le contrat d'entretien des ascenseurs, 18 400 € par an, est payé sur les crédits de soins."),
    ('care_budget_misuse', "La moitié du salaire de l'agent d'accueil est affectée au budget soins sans justification."),
    ('supplier_rebates_kept', "Les remises obtenues par la centrale d'achat du groupe ne sont jamais répercutées sur les factures de l'établissement."),
    ('fte_overdeclared', "La mission constate 22,4 ETP soignants présents pour 26,0 ETP déclarés à l'autorité de tarification."),
    ('fte_overdeclared', "Les postes d'infirmier financés par l'assurance maladie ne sont pas pourvus depuis 2022 alors qu'ils figurent dans l'ERRD."),
    ('phantom_staff', "Le planning mentionne une aide-soignante de nuit que personne n'a jamais vue dans l'établissement."),
    ('unqualified_staff_counted', "Les ASH non diplômés sont déclarés en qualité d'aides-soignants dans l'état du personnel."),
    ('over_capacity', "Une chambre double a été créée dans l'ancien salon sans autorisation, portant le nombre de lits à 82 pour 80 autorisés."),
    ('head_office_fees_excess', 'Les prestations facturées par la société mère augmentent de 25 % par an sans contrepartie identifiable.'),
    ('resident_overcharging', "Les protections sont refacturées aux familles alors qu'elles relèvent du forfait dépendance."),
    ('prosecutor_referral', 'Une transmission au parquet a été effectuée le 9 avril 2024.'),
    ('sanction', "La fermeture partielle de l'établissement a été ordonnée à compter du 1er juillet."),
    ('care_budget_misuse', "Les factures d'électricité de la cuisine centrale sont comptabilisées en section soins."),
    ('care_budget_misuse', 'Une partie des charges de la blanchisserie, 12 300 €, pèse sur le forfait global de soins.'),
    ('supplier_rebates_kept', "Le siège encaisse les ristournes annuelles des fournisseurs de produits d'incontinence."),
    ('supplier_rebates_kept', "Les avoirs émis par le prestataire de dispositifs médicaux n'ont pas été reversés à l'EHPAD."),
    ('fte_overdeclared', "Le gestionnaire a déclaré 30 ETP d'aides-soignants alors que 24 ETP seulement figurent sur les bulletins de paie."),
    ('fte_overdeclared', "Un écart de 3,2 ETP est constaté entre l'effectif déclaré et l'effectif réellement présent."),
    ('phantom_staff', 'Les bulletins de paie de décembre mentionnent un agent qui ne figure pas au registre unique du personnel.'),
    ('unqualified_staff_counted', "Les agents sans diplôme d'aide-soignant sont comptés comme soignants dans le taux d'encadrement déclaré."),
    ('over_capacity', "Le tableau d'occupation indique 92 résidents présents pour 88 places autorisées."),
    ('head_office_fees_excess', "Les frais de siège refacturés à l'établissement dépassent le plafond fixé par l'autorisation."),
    ('resident_overcharging', 'Une majoration de 8 € par jour est appliquée aux chambres avec balcon sans être mentionnée au contrat de séjour.'),
    ('prosecutor_referral', "L'inspection a conduit l'ARS à saisir le procureur de la République."),
    ('sanction', "Une mise sous administration provisoire a été décidée par le directeur général de l'ARS."),
]
MORE_LOOK_ALIKES = [
    "Les charges de personnel sont réparties entre les trois sections conformément à l'arrêté.",
    "La section soins dégage un résultat de 3 200 € sur l'exercice 2023.",
    "Les ETP déclarés à l'ERRD sont cohérents avec les plannings examinés.",
    'Le médecin coordonnateur intervient à 0,6 ETP pour 84 places.',
    'Le contrat de séjour précise les prestations comprises dans le tarif hébergement.',
    'Une astreinte de direction est assurée chaque week-end.',
    'La remise des clés des chambres est tracée dans un registre.',
    "Le siège de l'association est situé à Nantes.",
    "La fermeture de l'unité pendant les travaux a été autorisée par l'ARS.",
    "Les agents faisant fonction d'aide-soignant suivent une formation qualifiante depuis janvier.",
    "Le taux d'occupation s'établit à 96,4 % en 2023.",
    "Le procureur de la République n'a pas été saisi, les faits ne relevant pas d'une qualification pénale.",
    "Les remises accordées par les fournisseurs sont déduites des factures de l'établissement.",
    "L'ERRD 2023 déclare 30 ETP soignants, soit le même nombre que les plannings.",
    'Il est rappelé que la capacité autorisée ne peut être dépassée.',
    'Le directeur doit saisir le procureur de la République de tout fait de maltraitance.',
    "Le montant des frais de siège s'élève à 3,1 % des charges, inférieur à la médiane régionale.",
    "Des ASH faisant fonction d'aide-soignant sont présents la nuit.",
    'Le tarif dépendance est de 21,30 € par jour pour les GIR 1-2.',
    'La section soins est déficitaire de 15 000 € en 2023.',
    "Les sanctions prévues à l'article L.313-14 du CASF sont rappelées au gestionnaire.",
    'Le registre du personnel a été présenté à la mission.',
    "Les remplacements des agents absents sont assurés par l'intérim.",
    'Les suppléments facultatifs (coiffure, pédicure) sont affichés et facturés selon le contrat de séjour.',
    'Les charges de personnel sont en hausse de 4 % par rapport à 2022.',
    "Le forfait soins 2024 s'élève à 1 105 000 €.",
    "L'état des effectifs annexé à l'ERRD a été transmis dans les délais.",
    'La capacité autorisée est de 70 places ; 68 résidents sont présents.',
    'Les frais de siège sont autorisés au taux de 3 % par décision du 3 mars 2021.',
    'Les animations et les sorties sont comprises dans le tarif hébergement.',
    'Le médecin coordonnateur a été recruté en 2023 pour 0,6 ETP.',
    "Aucune sanction n'a été prononcée à l'issue de la précédente inspection.",
    'La mission recommande de formaliser une procédure de signalement des faits de maltraitance au procureur.',
    'Les fournisseurs de protections ont été mis en concurrence en 2023.',
    "Les crédits de soins non consommés ont été reportés sur l'exercice suivant avec l'accord de l'ARS.",
    'La mission constate 22,4 ETP soignants présents, conformément aux ETP déclarés.',
    'Le planning de nuit est affiché dans la salle de soins.',
    "Les protections sont fournies par l'établissement et financées par le forfait dépendance.",
    "La société mère a présenté les prestations rendues à l'établissement.",
    "L'ancien salon a été transformé en salle d'activités.",
    'Il appartient à la direction de transmettre au parquet tout signalement de maltraitance.',
    "Les ASH non diplômés suivent une formation d'assistant de soins en gérontologie.",
    "Les factures d'électricité sont réparties entre les sections selon une clé validée.",
    'Le forfait global de soins a augmenté de 2 % en 2024.',
    "Le gestionnaire a déclaré 30 ETP d'aides-soignants, chiffre que confirment les bulletins de paie.",
    'Le registre unique du personnel est à jour.',
    "Le tableau d'occupation indique 86 résidents présents pour 88 places autorisées.",
    "Les frais de siège respectent le plafond fixé par l'autorisation.",
    'Les chambres avec balcon sont facturées au même tarif que les autres.',
    "La mission rappelle que l'article 40 du code de procédure pénale s'impose à tout fonctionnaire.",
]


@pytest.mark.parametrize("signal,sentence", MORE_PHRASINGS)
def test_more_wordings_of_each_signal(signal, sentence):
    assert sorted({s.signal for s in _signals(sentence).signals}) == [signal], sentence


@pytest.mark.parametrize("sentence", MORE_LOOK_ALIKES)
def test_more_look_alikes_give_no_signal(sentence):
    assert _signals(sentence).signals == [], sentence

