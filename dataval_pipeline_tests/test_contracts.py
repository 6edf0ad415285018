"""Contracts: valid ODCS, the source of the code's schemas, enforced as blocking checks, versioned."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from dataval_pipeline.contracts import compat, load_contract
from dataval_pipeline.contracts.model import CONTRACTS_DIR_ENV, contracts_dir
from dataval_pipeline.definitions import defs
from dataval_pipeline.ingest import assets as ingest_assets
from dataval_pipeline.instance import REPO_ROOT
from dataval_pipeline.settings import Paths
from dataval_pipeline.warehouse import catalog, store
from dataval_pipeline_tests.conftest import fill_inbox
from dataval_pipeline_tests.dagster_helpers import register_and_run_all

CONTRACTS = sorted(p.stem for p in contracts_dir().glob("*.yaml"))
# Every asset of the code location is a product with a contract.
PRODUCTS = sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())
MAY_BE_EMPTY = {"llm_quarantine", "reference_rejects"}  # nothing quarantined, no bad reference line: no file


def _datacontract_bin() -> str:
    candidate = os.environ.get("DATAVAL_DATACONTRACT_BIN") or str(REPO_ROOT / ".venv-contracts" / "bin" / "datacontract")
    assert Path(candidate).exists(), "datacontract-cli is missing: `make test` installs it in .venv-contracts"
    return candidate


@pytest.mark.parametrize("product", CONTRACTS)
def test_contract_lints_against_the_odcs_schema(product):
    result = subprocess.run([_datacontract_bin(), "lint", str(contracts_dir() / f"{product}.yaml")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    # "valid" alone would also match "invalid": the summary line and the ODCS schema check must both pass
    assert re.search(r"Data contract is valid\. Ran [1-9][0-9]* checks", result.stdout), result.stdout[-3000:]
    assert re.search(r"passed\s*│\s*Data contract is valid against ODCS", result.stdout), result.stdout[-3000:]


def test_the_lint_rejects_a_broken_contract(tmp_path):
    """The lint test above can fail: a contract whose column has no physical type name is not valid ODCS."""
    broken = yaml.safe_load((contracts_dir() / "raw_reports.yaml").read_text(encoding="utf-8"))
    broken["schema"][0]["properties"][0]["logicalType"] = "not-a-type"
    (tmp_path / "raw_reports.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = subprocess.run([_datacontract_bin(), "lint", str(tmp_path / "raw_reports.yaml")],
                            capture_output=True, text=True, timeout=300)
    assert not re.search(r"Data contract is valid\. Ran", result.stdout), result.stdout[-3000:]


def test_contracts_are_released_with_a_major_bump_for_breaking_changes():
    lock = compat.read_lock()
    assert set(lock) == set(CONTRACTS), "new contract? run python -m dataval_pipeline.contracts.compat --write-lock"
    problems = [p for c in compat.all_contracts() for p in compat.version_problems(lock[c.name], c)]
    assert not problems, problems


def test_breaking_change_detection():
    contract = load_contract("raw_reports")
    released = compat.snapshot(contract)
    assert compat.breaking_changes(released, contract) == []
    retyped = {**released, "columns": {**released["columns"], "page_count": "VARCHAR"}}
    removed = {**released, "columns": {**released["columns"], "legacy_column": "VARCHAR"}}
    assert compat.version_problems(retyped, contract) == [
        "raw_reports: column page_count retyped VARCHAR -> BIGINT without a major version bump (still v1)"]
    assert compat.breaking_changes(removed, contract) == ["column legacy_column removed"]
    assert compat.version_problems({**removed, "version": "0.9.0"}, contract) == []


def test_ui_schema_and_description_come_from_the_contract():
    repo = defs.get_repository_def()
    for product in PRODUCTS:
        contract = load_contract(product)
        spec = repo.assets_defs_by_key[dg.AssetKey(product)].specs_by_key[dg.AssetKey(product)]
        columns = spec.metadata["dagster/column_schema"].columns
        assert [c.name for c in columns] == [c.name for c in contract.public_columns]
        assert [c.type for c in columns] == [c.physical_type for c in contract.public_columns]
        assert spec.description == contract.description
        checks = {k.name for k in repo.asset_checks_defs_by_key if k.asset_key == dg.AssetKey(product)}
        assert checks == {"contract", "quality"}


@pytest.fixture(scope="module")
def demo_products(tmp_path_factory, sample_corpus):
    """Every asset materialised on three reports, the bad files and the reference data, through the real
    definitions."""
    home = Paths(tmp_path_factory.mktemp("contracts").resolve())
    names = sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:3] + ["vide.pdf", "rapport_chiffre.pdf"]
    fill_inbox(home, sample_corpus, names=names)
    shutil.copytree(sample_corpus / "reference", home.reference)  # FINESS extract, capacities, declarations
    shutil.copyfile(sample_corpus / "gold.jsonl", home.gold)
    with dg.instance_for_test() as instance:
        results = register_and_run_all(home, instance)
        yield home, results


def test_every_product_of_the_sample_passes_every_check(demo_products):
    _, results = demo_products
    evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
    assert {(e.asset_key.to_user_string(), e.check_name) for e in evaluations} == \
        {(p, c) for p in PRODUCTS for c in ("contract", "quality")}, "every check of every product ran"
    per_report = [e for e in evaluations if e.check_name == "contract" and e.partition is not None]
    assert {e.partition for e in per_report} == set(_registered(demo_products[0])), "one evaluation per report"
    failed = [(e.asset_key.to_user_string(), e.check_name, e.metadata["result"].value) for e in evaluations if not e.passed]
    assert not failed, failed


def test_parquet_files_match_their_contracts(demo_products):
    home, _ = demo_products
    for product in PRODUCTS:
        contract = load_contract(product)
        files = list((home.warehouse / product / f"v{contract.major}").glob("part-*.parquet"))
        assert files or product in MAY_BE_EMPTY, product
        for path in files:
            assert pq.read_schema(path).remove_metadata() == contract.arrow_schema(include_restricted=False)
    for path in (home.restricted / "raw_reports" / "v1").glob("part-*.parquet"):
        assert pq.read_schema(path).remove_metadata() == load_contract("raw_reports").arrow_schema()


def _materialise_with_bad_rows(home, instance, corrupt):
    """raw_reports + anonymised_corpus where ``corrupt`` alters each raw row before it is written."""
    original = ingest_assets.raw_report_row

    def corrupted(data, source_file, **kwargs):
        return corrupt(original(data, source_file, **kwargs))

    ingest_assets.raw_report_row = corrupted
    try:
        return register_and_run_all(home, instance, raise_on_error=False)[0]
    finally:
        ingest_assets.raw_report_row = original


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (lambda row: {**row, "status": "maybe"} if row["status"] == "ok" else row, "enum on `status`"),
        (lambda row: {**row, "source_file": None}, "required on `source_file`"),
        (lambda row: {**row, "sha256": "not-a-hash"}, "pattern on `sha256`"),
    ],
)
def test_a_contract_breach_blocks_downstream(home, sample_corpus, corrupt, expected):
    fill_inbox(home, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2])
    with dg.instance_for_test() as instance:
        result = _materialise_with_bad_rows(home, instance, corrupt)
        evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == "contract"]
        assert len(evaluations) == 2, "one evaluation per report of the run"
        for evaluation in evaluations:
            assert not evaluation.passed and evaluation.partition is not None
            message = evaluation.metadata["result"].value
            assert expected in message and "1 row(s)" in message, message
        materialised = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
        assert materialised == {"raw_reports"}, "nothing downstream may run after a failed blocking check"


def test_per_report_checks_read_the_run_and_whole_product_rules_read_every_report(home, sample_corpus):
    """A stray copy of a partition file (a bad manual fix) leaves the next report's own check green, since it
    reads that report only, and fails the whole-product check of the daily products, with the count."""
    names = sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:2]
    fill_inbox(home, sample_corpus, names=names[:1])
    with dg.instance_for_test() as instance:
        assert all(r.success for r in register_and_run_all(home, instance))
        folder = home.warehouse / "raw_reports" / "v1"
        first = sorted(folder.glob("part-*.parquet"))[0]
        shutil.copyfile(first, folder / "part-0000000000000000.parquet")
        fill_inbox(home, sample_corpus, names=names[1:])
        per_report, whole = register_and_run_all(home, instance, raise_on_error=False)
    own = [e for e in per_report.get_asset_check_evaluations()
           if e.asset_key == dg.AssetKey("raw_reports") and e.check_name == "contract"]
    assert own and all(e.passed for e in own), [e.metadata["result"].value for e in own if not e.passed]
    assert not [e for e in per_report.get_asset_check_evaluations() if e.check_name == "quality"], \
        "whole-product rules do not run with each batch of reports"
    (evaluation,) = [e for e in whole.get_asset_check_evaluations()
                     if e.asset_key == dg.AssetKey("raw_reports") and e.check_name == "quality"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "unique (whole product) on `report_id`: 1 row(s)" in evaluation.metadata["result"].value


def test_a_row_filed_under_another_report_breaks_the_partition_rule(home, sample_corpus):
    """What makes report ids unique over the product without reading it: each partition holds its own id."""
    from dataval_pipeline.contracts.checks import judge_reports

    fill_inbox(home, sample_corpus, names=sorted(p.name for p in sample_corpus.glob("2*.pdf"))[:1])
    with dg.instance_for_test() as instance:
        assert register_and_run_all(home, instance)[0].success
    contract = load_contract("raw_reports")
    [key] = [p.stem.removeprefix("part-") for p in (home.warehouse / "raw_reports" / "v1").glob("part-*.parquet")]
    assert judge_reports(home, contract, [key])[key][0].passed
    for root in (home.warehouse, home.restricted):  # the same row filed under another key
        folder = root / "raw_reports" / "v1"
        shutil.copyfile(folder / f"part-{key}.parquet", folder / "part-00000000000000ff.parquet")
    outcome, rows = judge_reports(home, contract, ["00000000000000ff"])["00000000000000ff"]
    assert rows == 1 and not outcome.passed
    assert "partition key on `report_id`: 1 row(s)" in outcome.markdown()


def _registered(home) -> list[str]:
    return [p.stem.removeprefix("part-") for p in (home.warehouse / "raw_reports" / "v1").glob("part-*.parquet")]


def test_a_new_major_version_is_written_beside_the_old_one(tmp_path, monkeypatch):
    """v1 stays readable under warehouse/<product>/v1 and as <product>_v1; <product> points to v2."""
    v1_dir, v2_dir = tmp_path / "v1", tmp_path / "v2"
    v1_dir.mkdir()
    v2_dir.mkdir()
    source = yaml.safe_load((contracts_dir() / "anonymisation_quality.yaml").read_text())
    (v1_dir / "anonymisation_quality.yaml").write_text(yaml.safe_dump(source))
    breaking = {**source, "version": "2.0.0"}
    breaking["schema"] = [{**source["schema"][0],
                           "properties": [p for p in source["schema"][0]["properties"] if p["name"] != "keep_rate"]}]
    (v2_dir / "anonymisation_quality.yaml").write_text(yaml.safe_dump(breaking))
    paths = Paths(tmp_path / "home")
    row = {"metric_scope": "ALL", "gold_items": 1, "leaked": 0, "recall": 1.0, "precision": 1.0, "reports": 1,
           "anonymiser_version": "1.0.0", "evaluated_at": None}
    for folder, extra in ((v1_dir, {"keep_rate": 1.0}), (v2_dir, {})):
        monkeypatch.setenv(CONTRACTS_DIR_ENV, str(folder))
        load_contract.cache_clear()
        contract = load_contract("anonymisation_quality")
        store.write_partition(paths, contract, store.UNPARTITIONED, [{**row, **extra}])
        catalog.publish_views(paths, contract)
    load_contract.cache_clear()
    assert (paths.warehouse / "anonymisation_quality" / "v1" / "part-all.parquet").exists()
    con = duckdb.connect(str(paths.catalog), read_only=True)
    try:
        v1_columns = [c[0] for c in con.execute("DESCRIBE anonymisation_quality_v1").fetchall()]
        current = [c[0] for c in con.execute("DESCRIBE anonymisation_quality").fetchall()]
        v2_columns = [c[0] for c in con.execute("DESCRIBE anonymisation_quality_v2").fetchall()]
    finally:
        con.close()
    assert "keep_rate" in v1_columns and "keep_rate" not in current and current == v2_columns


def test_an_unknown_theme_breaks_the_classifications_contract():
    import datetime as dt

    import pyarrow as pa

    from dataval_pipeline.contracts.validation import validate_schema

    contract = load_contract("report_classifications")
    row = {"report_id": "0123456789abcdef", "themes": ["staffing"], "primary_theme": "astrology",
           "severity": "medium", "evidence": "[]", "dropped_quotes": 0, "llm_calls": 1, "model": "m",
           "prompt_version": "report_analysis.v1.x", "classified_at": dt.datetime.now(dt.timezone.utc)}
    outcome = validate_schema(contract, pa.Table.from_pylist([row], schema=contract.arrow_schema()))
    assert not outcome.passed
    assert "enum on `primary_theme`: 1 row(s) (e.g. 'astrology')" in outcome.markdown()
