"""`dataval analyse` on a development-corpus PDF written by another author, and `dataval evaluate` through
Dagster on a small generated corpus, both without the LLM (the LLM runs are benchmarks: bench/quality.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline.sample import generate_sample

DEV = REPO_ROOT.parent / "shared" / "corpus" / "dev"
DATAVAL = str(Path(sys.executable).with_name("dataval"))
FINDING_KEYS = {"finding_id", "label", "kind", "number", "text", "legal_refs", "grade", "themes"}
MEASURE_KEYS = {"measure_id", "kind", "number", "text", "deadline_text", "deadline_days", "finding_ids"}


def _dev_gold() -> dict[str, dict]:
    gold = DEV / "gold.jsonl"
    assert gold.exists(), f"the development corpus is missing: {DEV} (it sits beside the repository)"
    return {record["file"]: record for record in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}


def _run(*args: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATAVAL_LLM_")}
    return subprocess.run([DATAVAL, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
                          env={**environment, **(env or {})})


def test_analyse_json_on_a_dev_corpus_pdf_holds_anonymised_text_only(tmp_path):
    gold = _dev_gold()
    name = sorted(n for n, g in gold.items() if g["findings"] and g["facts"]["measures"])[0]
    result = _run("analyse", str(DEV / name), "--json", "--no-llm", env={"DATAVAL_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    payload = json.loads(result.stdout)
    assert {"facts", "findings", "measures", "themes", "primary_theme"} <= set(payload)
    assert payload["report_id"] == gold[name]["report_id"]
    assert {"finess", "inspection_date", "breaches", "remarks", "injunctions", "prescriptions",
            "recommendations"} <= set(payload["facts"])
    assert payload["findings"] and payload["measures"]
    for finding in payload["findings"]:
        assert FINDING_KEYS <= set(finding)
        assert finding["kind"] in ("breach", "remark") and finding["text"]
        assert isinstance(finding["legal_refs"], list) and isinstance(finding["themes"], list)
    for measure in payload["measures"]:
        assert MEASURE_KEYS <= set(measure) and measure["kind"] in ("injonction", "prescription", "recommandation")
    assert payload["facts"]["breaches"] == sum(f["kind"] == "breach" for f in payload["findings"])
    assert isinstance(payload["themes"], list)
    output = collapse_whitespace(result.stdout.replace("\\n", " "))
    leaked = [item["kind"] for item in gold[name]["pii"] if collapse_whitespace(item["surface"]) in output]
    assert not leaked, f"personal data in the output: {leaked}"


def test_analyse_says_why_a_file_cannot_be_read(tmp_path):
    bad = tmp_path / "rapport.pdf"
    bad.write_bytes(b"%PDF-1.7\n1 0 obj\n<<")
    result = _run("analyse", str(bad), "--no-llm", env={"DATAVAL_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "truncated PDF" in result.stderr
    missing = _run("analyse", str(tmp_path / "absent.pdf"), "--no-llm", env={"DATAVAL_HOME": str(tmp_path)})
    assert missing.returncode == 2 and "FileNotFoundError" in missing.stderr


def test_evaluate_runs_the_pipeline_and_scores_every_product(tmp_path):
    corpus = tmp_path / "corpus"
    generate_sample(corpus, reports=2, seed=313, with_bad_files=False, max_pages=2)
    home = tmp_path / "home"
    result = _run("evaluate", str(corpus), "--json", "--no-llm", "--home", str(home), timeout=1500)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    payload = json.loads(result.stdout)
    assert payload["reports"] == 2 and payload["failed_steps"] == []
    metrics = {(row["product"], row["metric"]): row for row in payload["evaluation"]}
    assert {product for product, _ in metrics} >= {"findings", "measures", "extracted_facts", "report_classifications"}
    assert metrics[("extracted_facts", "exact_match_finess")]["total"] == 2
    gold_findings = sum(len(json.loads(line).get("findings") or []) for line in (corpus / "gold.jsonl").open())
    assert metrics[("findings", "finding_recall")]["total"] == gold_findings > 0
    assert metrics[("findings", "finding_recall")]["matched"] > 0
    cells = [row for row in payload["evaluation"] if row["metric"].startswith("main_theme_confusion.")]
    assert cells and all(row["gold_label"] and row["found_label"] for row in cells)
    diagonal = sum(row["matched"] for row in cells if row["gold_label"] == row["found_label"])
    assert diagonal == metrics[("findings", "finding_main_theme_accuracy")]["matched"]
    assert sum(row["matched"] for row in cells) == metrics[("findings", "finding_recall")]["matched"]
    assert {row["metric_scope"] for row in payload["anonymisation_quality"]} >= {"ALL", "PERSONNE"}
    assert (home / "warehouse" / "findings").is_dir() and (home / "warehouse" / "dataval.duckdb").exists()
    text = _run("evaluate", str(tmp_path / "nowhere"), "--no-llm")
    assert text.returncode == 2 and "no PDF" in text.stderr
