"""Reader of the national FINESS extract (open data) and of the capacities file beside it.

The national file is semicolon-separated without a column header: a first line
``finess;etalab;<version>;<date>``, then one ``structureet`` line per
establishment, then one ``geolocalisation`` line per establishment. Only the
columns the pipeline needs are kept. Authorised capacity and legal status are
not in that file: they come from ``capacites.csv`` (``finess;capacite_autorisee;statut``).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import polars as pl

from dataval_pipeline.reference.parsing import LineError, Parsed, Reject, decode, fold, normalise_finess, reject

FINESS_FILE = "finess_etablissements.csv"
CAPACITIES_FILE = "capacites.csv"
EHPAD_CATEGORY = "500"

# Field order of ``structureet`` lines in the national extract (etalab_cs1100507 layout).
STRUCTUREET_FIELDS = (
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie", "voie",
    "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
)
GEOLOCALISATION_FIELDS = ("section", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemajcoord")
FIELD = {name: index for index, name in enumerate(STRUCTUREET_FIELDS)}

LEGAL_STATUSES = ("public", "private_non_profit", "private_commercial")
_STATUS_ALIASES = {
    "public": "public",
    "prive non lucratif": "private_non_profit",
    "private non profit": "private_non_profit",
    "prive commercial": "private_commercial",
    "prive lucratif": "private_commercial",
    "private commercial": "private_commercial",
}

ESTABLISHMENT_SCHEMA = {
    "finess": pl.String, "finess_ej": pl.String, "name": pl.String, "department_code": pl.String,
    "department_name": pl.String, "category_code": pl.String, "category_label": pl.String,
    "legal_status": pl.String, "capacity": pl.Int64,
}


def _structureet(fields: list[str]) -> dict:
    # Older extracts stop before the last column (numuai); anything else is a shifted line.
    if len(fields) not in (len(STRUCTUREET_FIELDS) - 1, len(STRUCTUREET_FIELDS)):
        raise LineError(f"structureet line has {len(fields)} fields, expected {len(STRUCTUREET_FIELDS)}")
    get = lambda name: fields[FIELD[name]].strip()  # noqa: E731
    category = get("categetab")
    if not category.isdigit():
        raise LineError(f"category code {category!r} is not a number")
    department = get("departement")
    if not (1 <= len(department) <= 3 and department.isalnum()):
        raise LineError(f"department code {department!r} is not a département code")
    name = get("rslongue") or get("rs")
    if not name:
        raise LineError("establishment has no name")
    return {
        "finess": normalise_finess(get("nofinesset")),
        "finess_ej": normalise_finess(get("nofinessej"), "legal-entity FINESS") if get("nofinessej") else None,
        "name": " ".join(name.split()), "department_code": department.upper(),
        "department_name": get("libdepartement") or None, "category_code": category,
        "category_label": get("libcategetab") or None,
    }


def _geolocalisation(fields: list[str]) -> str:
    if len(fields) != len(GEOLOCALISATION_FIELDS):
        raise LineError(f"geolocalisation line has {len(fields)} fields, expected {len(GEOLOCALISATION_FIELDS)}")
    for index in (2, 3):
        try:
            float(fields[index])
        except ValueError:
            raise LineError(f"coordinate {fields[index]!r} is not a number") from None
    return normalise_finess(fields[1])


def parse_finess_extract(text: str, source: str = FINESS_FILE, categories: tuple[str, ...] | None = (EHPAD_CATEGORY,)
                         ) -> Parsed:
    """Establishments of ``categories`` (all when None); bad lines become rejects, the others are kept."""
    rows: list[dict] = []
    rejects: list[Reject] = []
    first_line: dict[str, int] = {}
    counts: Counter[str] = Counter()
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(";")
        section = fields[0].strip().lower()
        try:
            if section == "finess":
                if number != 1:
                    raise LineError("header line 'finess;etalab;…' in the middle of the file")
                counts["header"] += 1
            elif section == "structureet":
                row = _structureet(fields)
                if categories is not None and row["category_code"] not in categories:
                    counts["other_category"] += 1
                    continue
                if row["finess"] in first_line:
                    raise LineError(f"FINESS {row['finess']} already on line {first_line[row['finess']]}")
                first_line[row["finess"]] = number
                rows.append(row)
            elif section == "geolocalisation":
                _geolocalisation(fields)
                counts["geolocalisation"] += 1
            else:
                raise LineError(f"unknown record type {fields[0].strip()[:40]!r} (expected structureet or geolocalisation)")
        except LineError as error:
            rejects.append(reject(source, number, str(error), line))
    if not counts["header"]:
        warnings.append(f"{source}: no 'finess;etalab;…' header line; is this the national FINESS extract?")
    frame = pl.DataFrame(rows, schema={k: v for k, v in ESTABLISHMENT_SCHEMA.items()
                                       if k not in ("legal_status", "capacity")})
    counts["establishments"] = frame.height
    return Parsed(frame, rejects, dict(counts), warnings)


def legal_status(label: str) -> str:
    status = _STATUS_ALIASES.get(fold(label))
    if status is None:
        raise LineError(f"legal status {label.strip()!r} is not public, privé non lucratif or privé commercial")
    return status


def parse_capacities(text: str, source: str = CAPACITIES_FILE) -> Parsed:
    """``finess;capacite_autorisee;statut`` (statut optional): authorised places and legal status."""
    lines = text.splitlines()
    rows: list[dict] = []
    rejects: list[Reject] = []
    first_line: dict[str, int] = {}
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    schema = {"finess": pl.String, "capacity": pl.Int64, "legal_status": pl.String, "line": pl.Int64}
    if header_index is None:
        return Parsed(pl.DataFrame(schema=schema), warnings=[f"{source} is empty"])
    header = [fold(h) for h in next(csv.reader([lines[header_index]], delimiter=";"))]
    columns = {name: header.index(name) if name in header else None
               for name in ("finess", "capacite autorisee", "statut")}
    if columns["finess"] is None or columns["capacite autorisee"] is None:
        rejects.append(reject(source, header_index + 1, "header lacks finess or capacite_autorisee; no line of the "
                              "file could be read", lines[header_index]))
        return Parsed(pl.DataFrame(schema=schema), rejects)
    for index in range(header_index + 1, len(lines)):
        line, number = lines[index], index + 1
        if not line.strip():
            continue
        fields = next(csv.reader([line], delimiter=";"))
        try:
            if len(fields) != len(header):
                raise LineError(f"{len(fields)} fields, the header has {len(header)}")
            finess = normalise_finess(fields[columns["finess"]])
            places = fields[columns["capacite autorisee"]].strip()
            if not places.isdigit() or int(places) == 0:
                raise LineError(f"authorised capacity {places!r} is not a positive whole number of places")
            status = fields[columns["statut"]] if columns["statut"] is not None else ""
            if finess in first_line:
                raise LineError(f"FINESS {finess} already on line {first_line[finess]}")
            first_line[finess] = number
            rows.append({"finess": finess, "capacity": int(places),
                         "legal_status": legal_status(status) if status.strip() else None, "line": number})
        except LineError as error:
            rejects.append(reject(source, number, str(error), line))
    return Parsed(pl.DataFrame(rows, schema=schema), rejects, {"capacities": len(rows)})


def register(extract: Parsed, capacities: Parsed | None, capacities_source: str = CAPACITIES_FILE) -> Parsed:
    """Establishments with their capacity and status; a capacity for an establishment absent from the
    extract (or of another category) is rejected, since nothing would carry it."""
    if capacities is None:
        capacities = Parsed(pl.DataFrame(schema={"finess": pl.String, "capacity": pl.Int64,
                                                 "legal_status": pl.String, "line": pl.Int64}))
    frame = extract.frame.join(capacities.frame.drop("line"), on="finess", how="left").select(list(ESTABLISHMENT_SCHEMA))
    orphans = capacities.frame.join(extract.frame.select("finess"), on="finess", how="anti")
    rejects = [
        reject(capacities_source, line, f"FINESS {finess} is not an establishment of the register extract",
               f"{finess};{capacity}")
        for finess, capacity, line in orphans.select("finess", "capacity", "line").iter_rows()
    ]
    counts = {**extract.counts, **capacities.counts, "without_capacity": frame["capacity"].null_count()}
    return Parsed(frame, extract.rejects + capacities.rejects + rejects, counts, extract.warnings + capacities.warnings)


def read_register(reference_dir: Path, categories: tuple[str, ...] | None = (EHPAD_CATEGORY,)) -> Parsed:
    """The establishments register from ``reference_dir`` (an absent capacities file leaves capacity unknown)."""
    extract = parse_finess_extract(decode((reference_dir / FINESS_FILE).read_bytes()), FINESS_FILE, categories)
    capacities_path = reference_dir / CAPACITIES_FILE
    capacities = parse_capacities(decode(capacities_path.read_bytes())) if capacities_path.exists() else None
    result = register(extract, capacities)
    if capacities is None:
        result.warnings.append(f"no {CAPACITIES_FILE}: capacity and legal status unknown")
    return result
