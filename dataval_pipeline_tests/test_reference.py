"""Reference readers: real FINESS lines, generated extracts, bad lines set aside with their number, the assets."""

import shutil

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.contracts.checks import contract_checks
from dataval_pipeline.identifiers import finess_with_check_digit
from dataval_pipeline.reference.assets import (
    ESTABLISHMENTS,
    FINANCIAL_DECLARATIONS,
    establishments,
    financial_declarations,
    reference_rejects,
)
from dataval_pipeline.reference.declarations import DECLARATIONS_FILE, parse_declarations, read_declarations
from dataval_pipeline.reference.finess import (
    CAPACITIES_FILE,
    FINESS_FILE,
    parse_capacities,
    parse_finess_extract,
    read_register,
    register,
)
from dataval_pipeline.reference.parsing import LineError, normalise_finess
from dataval_pipeline.resources import WarehouseResource
from dataval_pipeline.sample import generate_sample
from dataval_pipeline_tests.conftest import FIXTURES

REAL_EXTRACT = (FIXTURES / "finess_sample.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Reference extracts of a small generated sample (few, short PDFs: the reference files are the point)."""
    out = tmp_path_factory.mktemp("reference_sample")
    summary = generate_sample(out, reports=4, seed=11, with_bad_files=False, max_pages=1)
    return summary


def test_real_finess_lines_are_read():
    parsed = parse_finess_extract(REAL_EXTRACT, categories=None)
    assert parsed.rejects == [] and parsed.warnings == []
    assert parsed.counts == {"header": 1, "geolocalisation": 1, "establishments": 3}
    rows = {r["finess"]: r for r in parsed.frame.iter_rows(named=True)}
    assert set(rows) == {"010000024", "970300026", "970302287"}  # leading zero kept
    assert rows["010000024"]["finess_ej"] == "010780054"
    assert rows["010000024"]["department_code"] == "01"
    assert rows["010000024"]["category_code"] == "355"
    assert rows["010000024"]["name"] == "CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT"
    ehpad = rows["970302287"]
    assert (ehpad["department_code"], ehpad["department_name"], ehpad["category_code"]) == ("9C", "GUYANE", "500")
    assert ehpad["name"] == "E.H.P.A.D. DU CENTRE HOSPITALIER DE CAYENNE"


def test_only_ehpad_are_kept_by_default_and_the_others_are_counted():
    parsed = parse_finess_extract(REAL_EXTRACT)
    assert parsed.frame["finess"].to_list() == ["970302287"]
    assert parsed.counts["other_category"] == 2
    assert parsed.rejects == []


def test_a_malformed_line_is_rejected_with_its_number_and_the_others_are_kept():
    lines = REAL_EXTRACT.splitlines()
    shifted = lines[3].replace(";AV;", ";")  # one field lost: every later column would be shifted
    bad_check_digit = lines[3].replace("970302287", "970302288")
    duplicate = lines[3]
    unknown = "structureej;010780054;CENTRE HOSPITALIER"
    bad_geo = "geolocalisation;970302287;abc;6571540.8;source;2026-05-04"
    text = "\n".join(lines[:3] + [shifted, bad_check_digit, unknown] + lines[3:] + [duplicate, bad_geo]) + "\n"
    parsed = parse_finess_extract(text, categories=None)
    assert sorted(parsed.frame["finess"].to_list()) == ["010000024", "970300026", "970302287"]
    reasons = {r.line: r.reason for r in parsed.rejects}
    assert set(reasons) == {4, 5, 6, 9, 10}
    assert reasons[4].startswith("category code \"Etablissement d'hébergement")  # shifted, caught by its content
    assert reasons[5] == "FINESS 970302288 fails its check digit"
    assert "unknown record type 'structureej'" in reasons[6]
    assert reasons[9] == "FINESS 970302287 already on line 7"
    assert "coordinate 'abc'" in reasons[10]
    assert all(r.source == FINESS_FILE and r.content for r in parsed.rejects)


def test_finess_numbers_keep_their_leading_zero_and_corsica():
    assert normalise_finess("10000024") == "010000024"  # a spreadsheet dropped the zero
    assert normalise_finess(" 010000024 ") == "010000024"
    corsica = finess_with_check_digit("2A000000")
    assert normalise_finess(corsica.lower()) == corsica
    for bad in ("ABC", "0100000245", "010000025"):
        with pytest.raises(LineError):
            normalise_finess(bad)


def test_generated_register_matches_the_generator(generated):
    parsed = read_register(generated.reference_dir)
    assert parsed.rejects == [] and parsed.warnings == []
    assert parsed.frame.height == generated.establishments
    assert parsed.counts["other_category"] == 1  # the hospital line the generator mixes in
    capacities = (generated.reference_dir / CAPACITIES_FILE).read_text(encoding="utf-8").splitlines()[1:]
    expected = {line.split(";")[0]: (int(line.split(";")[1]), line.split(";")[2]) for line in capacities}
    got = {r["finess"]: (r["capacity"], r["legal_status"]) for r in parsed.frame.iter_rows(named=True)}
    assert got == expected
    assert set(parsed.frame["category_code"]) == {"500"}


def test_bad_capacity_lines_are_rejected_and_orphans_reported():
    extract = parse_finess_extract(REAL_EXTRACT)
    text = ("finess;capacite_autorisee;statut\n970302287;80;privé non lucratif\n970302287;81;public\n"
            "010000024;abc;public\n970300026;100;coopérative\n010000024;120;public\n")
    capacities = parse_capacities(text)
    result = register(extract, capacities)
    assert result.frame.select("finess", "capacity", "legal_status").rows() == [("970302287", 80, "private_non_profit")]
    reasons = {r.line: r.reason for r in result.rejects}
    assert reasons[3] == "FINESS 970302287 already on line 2"
    assert "'abc' is not a positive whole number" in reasons[4]
    assert "legal status 'coopérative'" in reasons[5]
    assert reasons[6] == "FINESS 010000024 is not an establishment of the register extract"  # a hospital


def test_generated_declarations_are_read(generated):
    parsed = read_declarations(generated.reference_dir)
    assert parsed.rejects == [] and parsed.warnings == []
    assert parsed.frame.height == 2 * generated.establishments
    assert parsed.frame.select("finess", "year").is_duplicated().sum() == 0
    assert parsed.frame["occupancy_rate"].is_between(0.5, 1.5).all()


def test_bad_declaration_lines_are_rejected_with_their_number():
    header = "finess;year;declared_fte_care;occupancy_rate;daily_price;result_care"
    text = "\n".join([
        header,
        "970302287;2023;31,5;92,6;81.20;-1 200",  # French decimals, percentage, spaced thousands
        "970302287;2024;32;0.95;;4000",
        "970302287;2024;33;0.95;82;4000",  # the same year again
        "970302287;2025;abc;0.95;82;4000",
        "97030228;2025;30;0.95;82;4000",  # 8 characters and not a lost zero: check digit fails
        "970302287;2025;30;0.95;82",
        "970302287;2025;-3;0.95;82;0",
    ])
    parsed = parse_declarations(text)
    rows = parsed.frame.select("year", "declared_fte_care", "occupancy_rate", "daily_price", "result_care").rows()
    assert rows == [(2023, 31.5, 0.926, 81.2, -1200.0), (2024, 32.0, 0.95, None, 4000.0)]
    reasons = {r.line: r.reason for r in parsed.rejects}
    assert reasons == {
        4: "second declaration for FINESS 970302287 and year 2024 (first on line 3)",
        5: "declared_fte_care: 'abc' is not a number",
        6: "FINESS 097030228 fails its check digit",
        7: "5 fields, the header has 6",
        8: "declared_fte_care: -3 is negative",
    }
    assert parsed.warnings  # the figures absent from the header are named


def test_a_file_without_the_key_columns_is_one_reject_not_silence():
    parsed = parse_declarations("etablissement;annee\n970302287;2023\n")
    assert parsed.frame.is_empty()
    assert [(r.line, r.reason) for r in parsed.rejects] == [
        (1, "header lacks finess or year: none of the 1 data line(s) could be read")]


def test_assets_write_products_rejects_and_views(home, generated):
    shutil.copytree(generated.reference_dir, home.reference)
    finess_path = home.reference / FINESS_FILE
    lines = finess_path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "structureet;123;bad line")
    finess_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (home.reference / DECLARATIONS_FILE).open("a", encoding="utf-8") as handle:
        handle.write("not-a-finess;2024" + ";1" * 12 + "\n")
    assets = [establishments, financial_declarations, reference_rejects]
    checks = [*contract_checks(establishments, ESTABLISHMENTS),
              *contract_checks(financial_declarations, FINANCIAL_DECLARATIONS),
              *contract_checks(reference_rejects, load_contract("reference_rejects"))]
    with dg.instance_for_test() as instance:
        result = dg.materialize([*assets, *checks], instance=instance,
                                resources={"warehouse": WarehouseResource(home=str(home.home))})
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 6 and all(e.passed for e in evaluations), [
        (e.asset_key, e.check_name, e.metadata["result"].value) for e in evaluations if not e.passed]
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    assert metadata["establishments"]["rejected_lines"].value == 1
    assert metadata["establishments"]["dagster/row_count"].value == generated.establishments
    assert metadata["financial_declarations"]["rejected_lines"].value == 1
    assert metadata["reference_rejects"]["dagster/row_count"].value == 2

    for contract, rows in ((ESTABLISHMENTS, generated.establishments),
                           (FINANCIAL_DECLARATIONS, 2 * generated.establishments)):
        path = home.warehouse / contract.name / "v1" / "part-all.parquet"
        assert pq.read_schema(path).remove_metadata() == contract.arrow_schema()
        assert pq.read_metadata(path).num_rows == rows
    rejects_contract = load_contract("reference_rejects")
    con = duckdb.connect(str(home.catalog), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM establishments").fetchone()[0] == generated.establishments
        assert con.execute("SELECT count(DISTINCT finess) FROM financial_declarations").fetchone()[0] == \
            generated.establishments
        rejects = con.execute("SELECT product, source, line, reason FROM reference_rejects ORDER BY product").fetchall()
    finally:
        con.close()
    assert rejects[0][:3] == ("establishments", FINESS_FILE, 3)
    assert "structureet line has 3 fields" in rejects[0][3]
    assert rejects[1][:3] == ("financial_declarations", DECLARATIONS_FILE, 2 * generated.establishments + 2)
    for path in (home.warehouse / "reference_rejects" / "v1").glob("*.parquet"):
        assert pq.read_schema(path).remove_metadata() == rejects_contract.arrow_schema()


def test_missing_extracts_give_empty_products_not_a_failure(home):
    with dg.instance_for_test() as instance:
        result = dg.materialize([establishments, financial_declarations], instance=instance,
                                resources={"warehouse": WarehouseResource(home=str(home.home))})
    assert result.success
    for event in result.get_asset_materialization_events():
        assert event.materialization.metadata["dagster/row_count"].value == 0
        assert "reference folder" in event.materialization.metadata["warnings"].value
