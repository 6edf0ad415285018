"""The console script as a user runs it: sample, then the demo end to end."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

DATAVAL = str(Path(sys.executable).with_name("dataval"))


def _run(args, home, timeout=600, llm_base_url=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DATAVAL_"))}
    env["DATAVAL_HOME"] = str(home)
    if llm_base_url:
        env.update(DATAVAL_LLM_BASE_URL=llm_base_url, DATAVAL_LLM_MODEL="scripted")
    return subprocess.run([DATAVAL, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_sample_command_writes_pdfs_gold_and_reference(tmp_path):
    result = _run(["sample", "--out", str(tmp_path / "out"), "--reports", "4", "--seed", "3"], tmp_path / "home")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert len(list(out.glob("*.pdf"))) == 4 + 6
    assert len((out / "gold.jsonl").read_text().splitlines()) == 10
    assert (out / "reference" / "finess_etablissements.csv").read_text().startswith("finess;etalab;")


def test_demo_runs_end_to_end_on_a_fresh_home(tmp_path):
    """The whole demo in a subprocess; the LLM is a scripted server here (test_llm_embedded runs the real one)."""
    home = tmp_path / "home"
    with ScriptedLLMServer() as llm_server:
        result = _run(["demo", "--reports", "4"], home, llm_base_url=llm_server.base_url)
        first_calls = len(llm_server.requests)
        again = _run(["demo"], home, llm_base_url=llm_server.base_url)  # reuses the inbox and the instance
        calls_again = len(llm_server.requests) - first_calls
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "raw_reports" in result.stdout and "dataval.duckdb" in result.stdout
    assert (home / "dagster" / "dagster.yaml").exists(), "the embedded default uses a local DAGSTER_HOME"
    con = duckdb.connect(str(home / "warehouse" / "dataval.duckdb"), read_only=True)
    try:
        (rows,) = con.execute("SELECT COUNT(*) FROM raw_reports").fetchone()
        (rejected,) = con.execute("SELECT COUNT(*) FROM raw_reports WHERE status = 'rejected'").fetchone()
        (distinct_texts,) = con.execute("SELECT COUNT(DISTINCT text) FROM anonymised_corpus").fetchone()
    finally:
        con.close()
    assert rows == len(list((home / "inbox").glob("*.pdf")))
    assert rejected == 4  # 6 bad files, of which the scanned one is read by OCR and the decrypted copy opens
    assert again.returncode == 0, again.stderr[-3000:]
    assert "report_classifications" in result.stdout and "FAILED" not in result.stdout
    # the decrypted copy of a report is one more row but no new text; every answer of the first demo is
    # cached, so the second demo asks nothing
    assert distinct_texts < rows - rejected
    assert calls_again == 0


def test_anonymise_command_on_pdf_text_and_bad_file(tmp_path, sample_corpus):
    import json as _json

    report = sorted(sample_corpus.glob("2*.pdf"))[0]
    result = _run(["anonymise", str(report)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<PERSONNE_1>" in result.stdout and "FINESS" in result.stdout
    note = tmp_path / "note.txt"
    note.write_text("Mme Awa DIALLO, joignable au 06 12 34 56 78.", encoding="utf-8")
    as_json = _json.loads(_run(["anonymise", "--json", str(note)], tmp_path).stdout)
    assert as_json["text"] == "Mme <PERSONNE_1>, joignable au <TELEPHONE_1>."
    assert {e["kind"] for e in as_json["entities"]} == {"PERSONNE", "TELEPHONE"}
    assert "DIALLO" not in _json.dumps(as_json)
    bad = _run(["anonymise", str(sample_corpus / "rapport_chiffre.pdf")], tmp_path)
    assert bad.returncode == 2 and "encrypted PDF" in bad.stderr and not bad.stdout
    missing = _run(["anonymise", str(tmp_path / "absent.pdf")], tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
