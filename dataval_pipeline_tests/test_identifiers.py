import csv

import pytest
from stdnum.fr import nir as stdnum_nir

from dataval_pipeline.identifiers import (
    finess_with_check_digit,
    iban_is_valid,
    is_valid_finess,
    is_valid_nir,
    nir_key,
    report_id_for,
)
from dataval_pipeline_tests.conftest import FIXTURES


def test_real_finess_numbers_pass_the_check_digit():
    with (FIXTURES / "finess_sample.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter=";") if r[0] == "structureet"]
    numbers = {r[1] for r in rows} | {r[2] for r in rows}
    assert len(numbers) >= 4
    assert all(is_valid_finess(n) for n in numbers)


def test_finess_check_digit_catches_a_typo():
    finess = finess_with_check_digit("69012345")
    assert is_valid_finess(finess)
    typo = finess[:3] + str((int(finess[3]) + 1) % 10) + finess[4:]
    assert not is_valid_finess(typo)
    assert is_valid_finess(finess_with_check_digit("2A123456"))


@pytest.mark.parametrize("body", ["1850775123456", "2310419004012", "1450299123456", "2450298123456"])
def test_nir_key_agrees_with_python_stdnum(body):
    number = f"{body}{nir_key(body):02d}"
    assert is_valid_nir(number)
    assert stdnum_nir.is_valid(number)


def test_corsican_nir_counts_2a_and_2b():
    for dept in ("2A", "2B"):
        body = f"14503{dept}123456"
        number = f"{body}{nir_key(body):02d}"
        assert stdnum_nir.is_valid(number), number
        assert is_valid_nir(number)


def test_iban_and_report_id():
    assert iban_is_valid("FR76 3000 6000 0112 3456 7890 189")
    assert not iban_is_valid("FR76 3000 6000 0112 3456 7890 188")
    assert report_id_for(b"abc") == "ba7816bf8f01cfea"
