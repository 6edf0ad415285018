"""The anonymiser on hand-written French report text (not the generator's): what goes, what stays."""

import random
import re

import pytest

from dataval_pipeline.anonymise import engine
from dataval_pipeline.anonymise.engine import SpanIndex, chunks, get_anonymiser


@pytest.fixture(scope="module")
def anonymiser():
    return get_anonymiser()


def placeholders(text, kind):
    return re.findall(rf"<{kind}_(\d+)>", text)


def test_one_person_keeps_one_number_across_forms(anonymiser):
    text = ("La directrice, Mme Karine Vasseur, a reçu la mission. Plus loin, Mme Vasseur indique que "
            "VASSEUR avait alerté l'ARS ; Karine Vasseur a signé le plan. M. Jean-Pierre DUMONT-LEROY, "
            "président, était présent ; DUMONT-LEROY a confirmé.")
    out = anonymiser.anonymise(text).text
    for word in ("Karine", "Vasseur", "VASSEUR", "Jean-Pierre", "DUMONT"):
        assert word not in out
    numbers = placeholders(out, "PERSONNE")
    assert numbers[:4] == ["1", "1", "1", "1"] and set(numbers[4:]) == {"2"}, out


def test_names_split_across_lines_initials_and_untitled_names(anonymiser):
    text = ("La réclamation de Mme Claire\nPETIT-GARNIER a été reçue. Mme B., 91 ans, attend l'aide le matin.\n"
            "Les sommes ont été versées au nom de Lucien Picard.")
    out = anonymiser.anonymise(text).text
    for word in ("Claire", "PETIT", "GARNIER", "Lucien", "Picard"):
        assert word not in out, out
    assert "Mme <PERSONNE_" in out and "91 ans" in out
    assert "B.," not in out


@pytest.mark.parametrize("phone", ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78",
                                   "01-44-02-00-00", "+33 (0)1 44 02 00 00"])
def test_phone_formats(anonymiser, phone):
    out = anonymiser.anonymise(f"Joignable au {phone} en semaine.").text
    assert out == "Joignable au <TELEPHONE_1> en semaine.", out


def test_identifiers_with_check_digits(anonymiser):
    text = ("NIR 2 63 08 2A 186 966 67, RPPS 10101234568, IBAN FR76 3000 6000 0112 3456 7890 189, "
            "courriel claire.petit@orange.fr. Numéro de sécurité sociale : 185057512345600.")
    out = anonymiser.anonymise(text).text
    assert "<RPPS_1>" in out and "<IBAN_1>" in out and "<EMAIL_1>" in out
    assert placeholders(out, "NIR") == ["1", "2"], out  # the second has a wrong key but is labelled NIR
    assert not re.search(r"\d{6}", out)


def test_dates_of_birth_go_inspection_dates_stay(anonymiser):
    text = ("Mme Odile Lemaire, née le 3 avril 1931 (date de naissance : 22/09/1934 selon un autre document), "
            "a été rencontrée lors de l'inspection du 17 août 2025. Le rapport est daté du 12/10/2025.")
    out = anonymiser.anonymise(text).text
    assert "3 avril 1931" not in out and "22/09/1934" not in out
    assert "17 août 2025" in out and "12/10/2025" in out
    assert len(set(placeholders(out, "DATE_NAISSANCE"))) == 2


def test_establishment_facts_stay_readable(anonymiser):
    text = ("Établissement : EHPAD Les Jardins de Sophia, 12 avenue Victor Hugo, 92000 Nanterre. "
            "N° FINESS : 920000650. Agence régionale de santé Île-de-France. Le temps de médecin coordonnateur "
            "est de 0,4 ETP, ce qui contrevient à l'article D.312-156 du CASF et à l'article R.4311-4 du CSP "
            "(articles L.313-13 et suivants). Les frais de siège s'élèvent à 312 000 euros pour 84 places.")
    out = anonymiser.anonymise(text)
    assert out.text == text, out.text
    assert out.entities == ()


def test_a_persons_home_address_goes_the_establishments_stays(anonymiser):
    text = ("EHPAD La Roseraie, 4 rue Pasteur, 69003 Lyon. Sa fille, Mme Awa Diallo, domiciliée 36 place "
            "des Peupliers,\n38000 Grenoble, a écrit à la direction.")
    out = anonymiser.anonymise(text).text
    assert "4 rue Pasteur, 69003 Lyon" in out
    assert "Peupliers" not in out and "38000" not in out and "<ADRESSE_1>" in out


def test_degenerate_inputs_give_valid_results(anonymiser):
    assert anonymiser.anonymise("").text == ""
    assert anonymiser.anonymise("   \n\f  ").entities == ()
    only_pii = "Mme Karine VASSEUR 06 12 34 56 78 karine.vasseur@orange.fr"
    out = anonymiser.anonymise(only_pii).text
    assert out == "Mme <PERSONNE_1> <TELEPHONE_1> <EMAIL_1>", out


def test_long_texts_are_chunked_below_spacy_max_length(anonymiser):
    nlp = anonymiser.nlp_engine.nlp["fr"]
    page = ("Le rapport relève que Mme Karine Vasseur, joignable au 06 12 34 56 78, n'a pas été informée. " * 40
            + "\f")
    text = page * 60  # ~ 230,000 characters
    limit = nlp.max_length
    nlp.max_length = 50_000  # a spaCy limit far below the text: only chunking can make this work
    try:
        out = anonymiser.anonymise(text).text
    finally:
        nlp.max_length = limit
    assert "Vasseur" not in out and "06 12" not in out
    assert set(placeholders(out, "PERSONNE")) == {"1"} and set(placeholders(out, "TELEPHONE")) == {"1"}
    assert all(len(piece) <= 20_000 for _, piece in chunks(text))
    assert "".join(piece for _, piece in chunks(text)) == text


def test_json_entities_point_at_placeholders(anonymiser):
    result = anonymiser.anonymise("Contact : Mme Awa Diallo, tél. 06 12 34 56 78.")
    assert {entity.kind for entity in result.entities} >= {"PERSONNE", "TELEPHONE"}, result.entities
    for entity in result.entities:
        assert result.text[entity.start:entity.end] == f"<{entity.placeholder}>"
        assert entity.placeholder.startswith(entity.kind)


def test_a_name_cut_by_a_page_break_and_a_running_header(anonymiser):
    from dataval_pipeline.ingest.normalise import strip_running_lines

    pages = ["ARS Corse — Rapport de contrôle — EHPAD Les Cèdres\nPage 1\nLes frais sont prélevés sur le compte "
             "de Madame Nathalie",
             "ARS Corse — Rapport de contrôle — EHPAD Les Cèdres\nPage 2\nMartin-Garcia, domiciliée à Ajaccio."]
    text = "\f".join(strip_running_lines(pages))
    assert "ARS Corse" not in text and "Page 2" not in text
    out = anonymiser.anonymise(text).text
    assert "Nathalie" not in out and "Martin" not in out, out


def test_a_name_followed_by_an_agency_keeps_the_agency(anonymiser):
    out = anonymiser.anonymise("Le rapport signé par Madame Nathalie\nARS Corse, le 3 mars 2025.").text
    assert "Nathalie" not in out and "ARS Corse" in out, out


def test_span_index_answers_like_a_scan_of_every_span():
    rng = random.Random(3)
    spans = []
    index = SpanIndex()
    for _ in range(400):
        start = rng.randint(0, 5000)
        span = (start, start + rng.choice([0, 1, 3, 12, 80]))
        index.add(*span)
        spans.append(span)
        query_start = rng.randint(0, 5100)
        query = (query_start, query_start + rng.randint(0, 30))
        assert index.overlaps(*query) == any(query[0] < e and s < query[1] for s, e in spans), query


def test_a_long_text_keeps_its_lines_and_its_numbers(anonymiser):
    page = ("Mme Karine VASSEUR (tél. 06 12 34 56 78) a reçu la mission ; VASSEUR VASSEUR signe.\n"
            "Contact : karine.vasseur@ehpad-exemple.fr.\n\n")
    text = page * 40
    result = anonymiser.anonymise(text)
    assert result.text.count("\n") == text.count("\n")
    assert set(placeholders(result.text, "PERSONNE")) == {"1"} and "VASSEUR" not in result.text
    assert all(result.text[e.start:e.end] == f"<{e.placeholder}>" for e in result.entities)
