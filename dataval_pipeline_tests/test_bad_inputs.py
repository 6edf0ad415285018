"""Bad inputs through the real raw_reports and anonymised_corpus assets, all in one run.

Whatever a real inbox receives (cut, locked, scanned, empty or misnamed files, a very long report, the
same report twice, odd file names, a damaged cross-reference table), each distinct content ends as one
``ok`` row or one ``rejected`` row whose reason a person understands, and no file stops the others.
"""

import io
import os
import re

import dagster as dg
import duckdb
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dataval_pipeline.anonymise.assets import ANONYMISED_CORPUS, anonymised_corpus
from dataval_pipeline.identifiers import report_id_for
from dataval_pipeline.ingest.assets import RAW_REPORTS, raw_reports
from dataval_pipeline.ingest.extract import ocr_available
from dataval_pipeline.ingest.landing import read_sidecar
from dataval_pipeline.sample import generate_sample
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse.store import read_partitions
from dataval_pipeline_tests.dagster_helpers import materialize_reports

LONG_PAGES = 500
ACCENTED_NAME = "Rapport d'inspection — EHPAD Les Érables (n° 2).pdf"


FINDINGS = [
    "le classeur de traçabilité des températures est incomplet.",
    "les protocoles de contention ne sont pas réévalués.",
    "le plan bleu n'a pas été actualisé depuis deux ans.",
    "la commission de coordination gériatrique ne s'est pas réunie.",
    "les fiches d'événements indésirables ne sont pas analysées.",
    "le registre des réclamations n'est pas tenu.",
    "les menus ne sont pas validés par une diététicienne.",
]
STAFFING = [
    "L'équipe de nuit compte deux agents pour quatre-vingt-quatre résidents.",
    "Le temps de médecin coordonnateur reste inférieur au minimum réglementaire.",
    "Trois postes d'aide-soignant sont vacants depuis le printemps.",
    "Les intérimaires ne reçoivent pas de fiche de poste.",
    "La psychologue intervient un jour par semaine.",
]


def long_report(pages: int = LONG_PAGES) -> bytes:
    """A long annex: short pages drawn directly (a realistic 500-page report costs minutes of NER here),
    each with its finding number, a running header and footer, and a person every 50 pages. The body
    lines vary, so they are not taken for running lines."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for page in range(1, pages + 1):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(60, 800, "ARS Bretagne — Annexe au rapport d'inspection — EHPAD Les Tilleuls")
        pdf.drawString(60, 760, f"Constat n° {page} : {FINDINGS[page % len(FINDINGS)]}")
        pdf.drawString(60, 740, STAFFING[page % len(STAFFING)])
        if page % 50 == 0:
            pdf.drawString(60, 720, "Entretien avec Mme Odile FERRAND, cadre de santé, tél. 06 71 42 18 93.")
        pdf.drawString(60, 40, f"Page {page} / {pages}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def broken_xref(pdf: bytes) -> bytes:
    """The same PDF with every offset of its cross-reference table pointing at the wrong byte."""
    start = pdf.rfind(b"\nxref")
    table = re.sub(rb"(?m)^(\d{10}) (\d{5}) n",
                   lambda m: b"%010d %s n" % (int(m.group(1)) * 7 % 99_991 + 3, m.group(2)), pdf[start:])
    assert table != pdf[start:]
    return pdf[:start] + table


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    """The inbox below, registered as the demo does, then raw_reports + anonymised_corpus in one run."""
    corpus = tmp_path_factory.mktemp("bad-inputs-corpus")
    generate_sample(corpus, reports=2, seed=303, max_pages=3)  # also writes the generator's bad files
    reports = sorted(p for p in corpus.glob("2*.pdf"))
    first, second = reports[0].read_bytes(), reports[1].read_bytes()
    scanned = "ok" if ocr_available() else "rejected"
    # name -> (bytes, expected status, reason fragment)
    files = {
        reports[0].name: (first, "ok", None),
        "copie du premier rapport.pdf": (first, "ok", None),  # a duplicate under another name
        ACCENTED_NAME: (second, "ok", None),
        "rapport_xref_casse.pdf": (broken_xref(first), "ok", None),  # pypdf rebuilds the table by scanning
        "rapport_500_pages.pdf": (long_report(), "ok", None),
        "rapport_tronque.pdf": ((corpus / "rapport_tronque.pdf").read_bytes(), "rejected", "truncated PDF"),
        "rapport_chiffre.pdf": ((corpus / "rapport_chiffre.pdf").read_bytes(), "rejected",
                                "encrypted PDF (a password is required"),
        "rapport_chiffre_sans_mot_de_passe.pdf": ((corpus / "rapport_chiffre_sans_mot_de_passe.pdf").read_bytes(),
                                                  "ok", None),
        "rapport_scanne.pdf": ((corpus / "rapport_scanne.pdf").read_bytes(), scanned,
                               None if scanned == "ok" else "no text layer"),
        "vide.pdf": (b"", "rejected", "empty file (0 bytes)"),
        "notes de réunion.pdf": ((corpus / "notes de réunion.pdf").read_bytes(), "rejected",
                                 "not a PDF (starts with plain text)"),
    }
    home = Paths(tmp_path_factory.mktemp("bad-inputs-home").resolve())
    home.inbox.mkdir(parents=True)
    for order, (name, (data, _, _)) in enumerate(files.items()):
        path = home.inbox / name
        path.write_bytes(data)
        os.utime(path, ns=(1_700_000_000_000_000_000 + order, 1_700_000_000_000_000_000 + order))  # arrival order
    with dg.instance_for_test() as instance:
        result = materialize_reports(home, instance, [raw_reports, anonymised_corpus], anonymiser=True)
        partitions = instance.get_dynamic_partitions("reports")
        yield home, files, result, partitions


def _rows(paths: Paths, contract) -> dict[str, dict]:
    return {row["report_id"]: row for row in read_partitions(paths, contract, restricted=True).to_pylist()}


def test_every_distinct_content_is_one_row_in_one_run(bad_input_run):
    home, files, result, partitions = bad_input_run
    assert result.success, "one bad file must not fail the run"
    distinct = {report_id_for(data) for data, _, _ in files.values()}
    assert len(distinct) == len(files) - 1  # the copy has the same bytes as the first report
    assert set(partitions) == distinct
    rows = _rows(home, RAW_REPORTS)
    assert set(rows) == distinct
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        count, ids = con.execute("SELECT COUNT(*), COUNT(DISTINCT report_id) FROM raw_reports").fetchone()
    finally:
        con.close()
    assert count == ids == len(distinct)
    metadata = result.asset_materializations_for_node("raw_reports")[0].metadata
    assert metadata["reports_ok"].value + metadata["reports_rejected"].value == len(distinct)


def test_each_file_is_ok_or_rejected_with_a_reason_a_person_understands(bad_input_run):
    home, files, _, _ = bad_input_run
    rows = _rows(home, RAW_REPORTS)
    for name, (data, status, reason) in files.items():
        row = rows[report_id_for(data)]
        assert row["status"] == status, (name, row["reject_reason"])
        if status == "rejected":
            assert reason in row["reject_reason"], (name, row["reject_reason"])
            assert row["text"] is None and row["char_count"] == 0
        else:
            assert row["reject_reason"] is None and row["char_count"] > 50, name
    # a rejection never falls back to the bare exception name
    assert not [r for r in rows.values() if r["status"] == "rejected" and r["reject_reason"].startswith("unreadable")]


def test_ok_reports_are_anonymised_and_rejected_ones_are_not(bad_input_run):
    home, _, _, _ = bad_input_run
    raw = _rows(home, RAW_REPORTS)
    anonymised = {row["report_id"]: row for row in read_partitions(home, ANONYMISED_CORPUS).to_pylist()}
    assert set(anonymised) == {report_id for report_id, row in raw.items() if row["status"] == "ok"}


def test_recovered_and_unlocked_copies_read_like_the_original(bad_input_run):
    home, files, _, _ = bad_input_run
    rows = _rows(home, RAW_REPORTS)
    original = rows[report_id_for(files["copie du premier rapport.pdf"][0])]
    for name in ("rapport_xref_casse.pdf", "rapport_chiffre_sans_mot_de_passe.pdf"):
        row = rows[report_id_for(files[name][0])]
        assert row["text"] == original["text"] and row["page_count"] == original["page_count"], name
    scanned = rows[report_id_for(files["rapport_scanne.pdf"][0])]
    if scanned["status"] == "ok":
        assert scanned["extraction"] == "ocr" and "inspection" in scanned["text"].lower()


def test_a_duplicate_is_one_partition_that_remembers_both_names(bad_input_run):
    home, files, _, _ = bad_input_run
    first_name = min(n for n in files if n.startswith("2"))
    report_id = report_id_for(files[first_name][0])
    sidecar = read_sidecar(home, report_id)
    assert sidecar["names"] == [first_name, "copie du premier rapport.pdf"]
    assert _rows(home, RAW_REPORTS)[report_id]["source_file"] == first_name  # the first arrival names it


def test_odd_file_names_are_kept_as_they_are(bad_input_run):
    home, files, _, _ = bad_input_run
    rows = _rows(home, RAW_REPORTS)
    assert rows[report_id_for(files[ACCENTED_NAME][0])]["source_file"] == ACCENTED_NAME
    assert rows[report_id_for(files["notes de réunion.pdf"][0])]["source_file"] == "notes de réunion.pdf"


def test_a_500_page_report_keeps_every_page_and_loses_its_names(bad_input_run):
    home, files, _, _ = bad_input_run
    report_id = report_id_for(files["rapport_500_pages.pdf"][0])
    row = _rows(home, RAW_REPORTS)[report_id]
    assert row["page_count"] == LONG_PAGES and row["text"].count("\f") == LONG_PAGES - 1
    assert f"Constat n° {LONG_PAGES} :" in row["text"]
    assert "Annexe au rapport" not in row["text"], "the running header repeats on every page: it goes"
    anonymised = read_partitions(home, ANONYMISED_CORPUS, [report_id]).to_pylist()[0]["text"]
    assert "FERRAND" not in anonymised and "Odile" not in anonymised and "06 71" not in anonymised
    assert anonymised.count("<PERSONNE_1>") >= LONG_PAGES // 50
    assert f"Constat n° {LONG_PAGES} :" in anonymised
