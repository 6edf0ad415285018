"""The generator's PDFs round-trip through extraction; bad files get the right reason."""

import hashlib
import random
import re
import unicodedata

from dataval_pipeline.config import load_taxonomy
from dataval_pipeline.ingest.extract import ocr_available, raw_report_row
from dataval_pipeline.ingest.normalise import LIGATURES, collapse_whitespace, normalise_page
from dataval_pipeline.sample import generate_sample
from dataval_pipeline_tests.conftest import read_gold


def test_gold_surfaces_survive_pdf_extraction(sample_corpus):
    found = total = 0
    for gold in read_gold(sample_corpus):
        if gold.get("bad_file"):
            continue
        row = raw_report_row((sample_corpus / gold["file"]).read_bytes(), gold["file"])
        assert row["status"] == "ok", row["reject_reason"]
        assert row["report_id"] == gold["report_id"]
        text = collapse_whitespace(row["text"])
        for surface in [p["surface"] for p in gold["pii"]] + gold["keep"]:
            total += 1
            found += collapse_whitespace(surface) in text
    assert total > 200
    assert found / total >= 0.99


def test_gold_covers_every_personal_data_kind(sample_corpus):
    kinds = {p["kind"] for g in read_gold(sample_corpus) for p in g.get("pii", [])}
    assert kinds == {"PERSONNE", "TELEPHONE", "EMAIL", "NIR", "RPPS", "IBAN", "ADRESSE", "DATE_NAISSANCE"}


def test_bad_files_are_rejected_with_the_right_reason(sample_corpus):
    bad = [g for g in read_gold(sample_corpus) if g.get("bad_file")]
    assert len(bad) == 6
    for gold in bad:
        row = raw_report_row((sample_corpus / gold["file"]).read_bytes(), gold["file"])
        if gold.get("ocr_rescues") and ocr_available():
            assert row["status"] == "ok" and row["extraction"] == "ocr"
            assert "inspection" in row["text"].lower()
            continue
        assert row["status"] == gold["expected_status"], (gold["file"], row["reject_reason"])
        if row["status"] == "rejected":
            assert gold["expected_reason"] in row["reject_reason"]
            assert row["text"] is None and row["char_count"] == 0


def test_generator_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    generate_sample(first, reports=3, seed=5)
    generate_sample(second, reports=3, seed=5)
    # Encryption salts are random by design: encrypted files are the only ones allowed to differ.
    digest = lambda folder: {p.name: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                             for p in folder.rglob("*") if p.is_file() and "chiffre" not in p.name and p.suffix != ".jsonl"}
    assert digest(first) == digest(second)
    stable = lambda folder: [g for g in read_gold(folder) if "chiffre" not in g["file"]]  # noqa: E731
    assert stable(first) == stable(second)


def test_reports_vary_in_style_and_length(tmp_path):
    generate_sample(tmp_path, reports=30, seed=11, with_bad_files=False)
    gold = read_gold(tmp_path)
    assert {g["mode"] for g in gold} == {"on_site", "desk"}
    assert len({g["numbering"] for g in gold}) >= 5
    assert len({g["style"].split(",")[1] for g in gold}) >= 4  # measures numbered, inline, bulleted, in tables
    rows = {g["file"]: raw_report_row((tmp_path / g["file"]).read_bytes(), g["file"]) for g in gold}
    pages = [row["page_count"] for row in rows.values()]
    assert min(pages) <= 3 and max(pages) >= 10
    deadlines = {m["deadline"] for g in gold for m in g["facts"]["measures"]}
    assert {"immédiat", "sans délai", "3 mois", None} <= deadlines
    assert any(d and re.fullmatch(r"avant le \d\d/\d\d/\d{4}", d) for d in deadlines)
    ids = {f["id"] for g in gold for f in g["findings"]}
    assert None in ids and len({re.sub(r"\d+", "#", i) for i in ids if i}) >= 6  # "Écart n° #", "E#", "R.#"…
    assert {f["grade"] for g in gold for f in g["findings"]} >= {None, "majeur", "mineur"}
    texts = " ".join(collapse_whitespace(row["text"]) for row in rows.values())
    assert re.search(r"les \d+ et \d+ \w+ 20\d\d|du \d+ au \d+", texts)  # a two-day visit
    assert re.search(r"places d'accueil de jour|dont \d+ en unité protégée", texts)


def test_no_label_is_written_into_the_text(sample_corpus):
    """Theme ids, signal ids and the gold's English enums are for the gold only."""
    words = {theme.id for theme in load_taxonomy()} | {"breach", "remark", "injunction", "recommendation", "care_budget_misuse", "over_capacity",
                        "fte_overdeclared", "planted", "thème «"}
    for gold in read_gold(sample_corpus):
        if gold.get("bad_file"):
            continue
        text = collapse_whitespace(raw_report_row((sample_corpus / gold["file"]).read_bytes(), gold["file"])["text"])
        leaked = [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
        assert not leaked, (gold["file"], leaked)


def test_gold_findings_and_measures_are_those_of_the_text(sample_corpus):
    found = total = 0
    for gold in read_gold(sample_corpus):
        if gold.get("bad_file"):
            continue
        facts, findings = gold["facts"], gold["findings"]
        assert facts["breaches"] == sum(f["kind"] == "breach" for f in findings)
        assert facts["remarks"] == sum(f["kind"] == "remark" for f in findings)
        for kind, field in (("injonction", "injunctions"), ("prescription", "prescriptions"),
                            ("recommandation", "recommendations")):
            assert facts[field] == sum(m["kind"] == kind for m in facts["measures"])
        for finding in findings:
            assert finding["kind"] in ("breach", "remark") and finding["themes"]
            assert all(re.fullmatch(r"[LRD]\.\d+(-\d+)* (CASF|CSP|CCH|CT)", ref) for ref in finding["legal_refs"])
            assert (finding["kind"] == "remark") == (not finding["legal_refs"])
        text = collapse_whitespace(raw_report_row((sample_corpus / gold["file"]).read_bytes(), gold["file"])["text"])
        for wording in [f["text"] for f in findings] + [m["text"] for m in facts["measures"]]:
            total += 1
            found += collapse_whitespace(wording) in text
        assert gold["primary_theme"] in gold["themes"]
    assert total > 50 and found / total >= 0.9


def test_planted_signals_are_stated_by_the_planted_reports_only(tmp_path):
    summary = generate_sample(tmp_path, reports=20, seed=4242, with_bad_files=False, max_pages=1)
    gold = read_gold(tmp_path)
    stated = set()
    for record in gold:
        planted = summary.planted.get(record["facts"]["finess"], [])
        assert sorted(record["planted"]) == sorted(planted)
        stated |= set(record["planted"])
        if planted:  # the planted establishment's reports say it, with its figures
            assert len(record["planted"]) >= 2
    assert summary.planted and stated


def test_normalisation_keeps_words_and_line_breaks():
    raw = "Le  médecin\u00a0coordonnateur  a\u00a0ﬁni.\nMme Jean-\nPierre DUPONT  \n\n\n\nFin"
    assert normalise_page(raw) == "Le médecin coordonnateur a fini.\nMme Jean-Pierre DUPONT\n\nFin"


def _normalise_line_by_line(text: str) -> str:
    """The rule written plainly, one line at a time (what the faster normalise_page must equal)."""
    text = unicodedata.normalize("NFC", text).translate(LIGATURES).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    text = re.sub(r"(?<=[^\W\d_])-\n(?=[^\W\d_])", "-", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def test_normalisation_equals_the_line_by_line_rule():
    rng = random.Random(8)
    alphabets = ["ab -\n\r\t\u00a0\u202f\u2003\u3000\x0b\x0c\ufb01\u00ade\u0301É1", "ab -\n\t  \r", "éa -\n\n\n"]
    for alphabet in alphabets:
        for _ in range(20_000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            assert normalise_page(text) == _normalise_line_by_line(text), repr(text)
