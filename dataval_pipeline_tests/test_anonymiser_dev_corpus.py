"""The 12 documents of the development corpus (other authors, other house styles) through ``dataval
anonymise``, scored against their gold labels: the quality targets as assertions on counts."""

import json
from pathlib import Path

import pytest

from dataval_pipeline import cli
from dataval_pipeline.anonymise.engine import get_anonymiser
from dataval_pipeline.anonymise.evaluate import Score, score_report
from dataval_pipeline.ingest.extract import extract_text

DEV_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dev"
IDENTIFIERS = ("TELEPHONE", "EMAIL", "NIR", "RPPS", "IBAN", "ADRESSE")


@pytest.fixture(scope="module")
def dev_corpus():
    assert (DEV_CORPUS / "gold.jsonl").exists(), f"development corpus missing: {DEV_CORPUS}"
    gold = [json.loads(line) for line in (DEV_CORPUS / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(gold) == 12
    anonymiser = get_anonymiser()
    return Score(), gold, anonymiser


def test_the_dev_corpus_through_dataval_anonymise(dev_corpus, capsys):
    total, gold, anonymiser = dev_corpus
    for record in gold:
        pdf = DEV_CORPUS / record["file"]
        assert cli.main(["anonymise", "--json", str(pdf)]) == 0
        printed = json.loads(capsys.readouterr().out)
        text = extract_text(pdf.read_bytes()).text
        result, detections = anonymiser.anonymise_with_detections(text)  # detections for precision only
        assert result.text == printed["text"], record["file"]
        total.add(score_report(record["report_id"], text, result, detections, record))
    assert total.reports == 12
    for kind in IDENTIFIERS + ("DATE_NAISSANCE",):
        assert total.gold[kind] and total.leaked[kind] == 0, (kind, total.leaked[kind], total.gold[kind])
    assert total.leaked["PERSONNE"] <= total.gold["PERSONNE"] // 100, (total.leaked["PERSONNE"], total.gold["PERSONNE"])
    assert total.true_detections >= 0.95 * total.detections, (total.true_detections, total.detections,
                                                             dict(total.false_by_kind))
    assert total.keep_found >= 0.98 * total.keep_total, (total.keep_found, total.keep_total)
    assert total.structure_ok == 12 and total.lines_out == total.lines_in
