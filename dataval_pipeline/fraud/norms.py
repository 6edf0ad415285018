"""Legal norms and peer bands the fraud features measure against.

The generator of sample data imports these too, so synthetic reports and
the features agree on what "below the legal minimum" means.
"""

from __future__ import annotations

# D.312-156 CASF (since 2023): coordinating doctor (MEDEC) minimum FTE by authorised capacity.
# (upper bound of the band, exclusive; minimum FTE); the last band has no upper bound.
LEGAL_MINIMUM_MEDEC: tuple[tuple[int | None, float], ...] = ((60, 0.4), (100, 0.6), (200, 0.8), (None, 1.0))

# Peer bands of authorised capacity: the same limits as the MEDEC norm, so peers share one legal minimum.
CAPACITY_BANDS: tuple[tuple[int | None, str], ...] = ((60, "<60"), (100, "60-99"), (200, "100-199"), (None, "200+"))


def legal_minimum_medec_fte(capacity: int) -> float:
    """D.312-156 CASF: coordinating-doctor minimum FTE for an authorised capacity."""
    for bound, fte in LEGAL_MINIMUM_MEDEC:
        if bound is None or capacity < bound:
            return fte
    raise AssertionError("the last band has no upper bound")


def capacity_band(capacity: int | None) -> str | None:
    if capacity is None:
        return None
    for bound, label in CAPACITY_BANDS:
        if bound is None or capacity < bound:
            return label
    raise AssertionError("the last band has no upper bound")


def _banded_sql(column: str, bands: tuple[tuple[int | None, object], ...], literal) -> str:
    cases = " ".join(f"WHEN {column} < {bound} THEN {literal(value)}" for bound, value in bands if bound is not None)
    return f"CASE WHEN {column} IS NULL THEN NULL {cases} ELSE {literal(bands[-1][1])} END"


def legal_minimum_medec_sql(column: str) -> str:
    """The same rule as a SQL expression over a capacity column (DuckDB)."""
    return _banded_sql(column, LEGAL_MINIMUM_MEDEC, lambda v: f"{v}::DOUBLE")


def capacity_band_sql(column: str) -> str:
    return _banded_sql(column, CAPACITY_BANDS, lambda v: f"'{v}'")
