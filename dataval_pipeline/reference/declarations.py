"""Reader of the yearly financial declarations (ERRD-like): one line per establishment and year.

Declared staff by budget section, public funding and results of the care and
dependency sections, occupancy, daily price, head-office fees and external
services: the figures the fraud features set against what inspectors saw.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from dataval_pipeline.reference.parsing import LineError, Parsed, Reject, decode, normalise_finess, parse_number, reject

DECLARATIONS_FILE = "financial_declarations.csv"
FIGURES = (
    "declared_fte_care", "declared_fte_dependency", "declared_fte_accommodation", "funding_care",
    "funding_dependency", "result_care", "result_dependency", "result_accommodation", "occupancy_rate",
    "daily_price", "head_office_fees", "external_services",
)
# Results are signed (deficits); every other figure is a count or an amount that cannot be negative.
SIGNED = {"result_care", "result_dependency", "result_accommodation"}
DECLARATION_SCHEMA = {"finess": pl.String, "year": pl.Int64, **{name: pl.Float64 for name in FIGURES}}
# Occupancy above this is read as a percentage (92.6 for 0.926): no EHPAD houses three times its places.
PERCENT_THRESHOLD = 3.0


def _row(fields: list[str], columns: dict[str, int]) -> dict:
    get = lambda name: fields[columns[name]]  # noqa: E731
    year = get("year").strip()
    if not (year.isdigit() and 1990 <= int(year) <= 2100):
        raise LineError(f"year {year!r} is not a year")
    row: dict = {"finess": normalise_finess(get("finess")), "year": int(year)}
    for name in FIGURES:
        value = parse_number(get(name), name) if name in columns else None
        if value is not None and value < 0 and name not in SIGNED:
            raise LineError(f"{name}: {value:g} is negative")
        if name == "occupancy_rate" and value is not None and value > PERCENT_THRESHOLD:
            value = round(value / 100, 6)
        row[name] = value
    return row


def parse_declarations(text: str, source: str = DECLARATIONS_FILE) -> Parsed:
    """Rows by (finess, year); a bad or repeated line is rejected, the others are kept.

    Columns are found by header name, so their order may change; a missing figure column reads as unknown.
    """
    lines = text.splitlines()
    empty = pl.DataFrame(schema=DECLARATION_SCHEMA)
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        return Parsed(empty, warnings=[f"{source} is empty"])
    delimiter = ";" if ";" in lines[header_index] else ","
    header = [h.strip().lower() for h in next(csv.reader([lines[header_index]], delimiter=delimiter))]
    columns = {name: index for index, name in enumerate(header) if name in DECLARATION_SCHEMA}
    missing_figures = [name for name in FIGURES if name not in columns]
    if "finess" not in columns or "year" not in columns:
        data_lines = sum(1 for line in lines[header_index + 1:] if line.strip())
        return Parsed(empty, [reject(source, header_index + 1, f"header lacks finess or year: none of the "
                                     f"{data_lines} data line(s) could be read", lines[header_index])])
    rows: list[dict] = []
    rejects: list[Reject] = []
    first_line: dict[tuple[str, int], int] = {}
    for index in range(header_index + 1, len(lines)):
        line, number = lines[index], index + 1
        if not line.strip():
            continue
        fields = next(csv.reader([line], delimiter=delimiter))
        try:
            if len(fields) != len(header):
                raise LineError(f"{len(fields)} fields, the header has {len(header)}")
            row = _row(fields, columns)
            key = (row["finess"], row["year"])
            if key in first_line:
                raise LineError(f"second declaration for FINESS {key[0]} and year {key[1]} (first on line "
                                f"{first_line[key]})")
            first_line[key] = number
            rows.append(row)
        except LineError as error:
            rejects.append(reject(source, number, str(error), line))
    warnings = [f"{source}: no column {', '.join(missing_figures)}; read as unknown"] if missing_figures else []
    frame = pl.DataFrame(rows, schema=DECLARATION_SCHEMA)
    return Parsed(frame, rejects, {"declarations": frame.height, "establishments": frame["finess"].n_unique()}, warnings)


def read_declarations(reference_dir: Path) -> Parsed:
    return parse_declarations(decode((reference_dir / DECLARATIONS_FILE).read_bytes()))
