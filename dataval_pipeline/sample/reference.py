"""Reference extracts consistent with the sample reports, in the formats production reads.

- ``finess_etablissements.csv``: the national FINESS open-data extract layout
  (``finess;etalab;…`` header, ``structureet`` rows, then ``geolocalisation`` rows).
- ``capacites.csv``: authorised capacity and legal status per establishment.
- ``financial_declarations.csv``: one row per establishment and year (ERRD-like).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from dataval_pipeline.sample.reports import Establishment

EHPAD_CATEGORY = ("500", "Etablissement d'hébergement pour personnes âgées dépendantes", "4401",
                  "Etablissements d'Hébergement pour Personnes Âgées")
FINANCIAL_COLUMNS = [
    "finess", "year", "declared_fte_care", "declared_fte_dependency", "declared_fte_accommodation",
    "funding_care", "funding_dependency", "result_care", "result_dependency", "result_accommodation",
    "occupancy_rate", "daily_price", "head_office_fees", "external_services",
]


def _structureet(est: Establishment, rng: random.Random) -> list[str]:
    commune = f"{rng.randint(1, 999):03d}"
    phone = "0" + str(rng.randint(1, 5)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
    return [
        "structureet", est.finess, est.finess_ej, est.display_name.upper()[:38], est.display_name.upper(), "", "",
        str(est.street_number), est.street_type.upper()[:3], est.street_name.upper(), "", "", commune,
        est.dept_code, est.dept_name, f"{est.postal} {est.city.upper()}", phone, "", *EHPAD_CATEGORY,
        "", "8710A", "40", "ARS/PCD, Tarif global, habilité aide sociale", "", "", "2001-01-01", "2017-01-03",
        "2026-04-22", "",
    ]


def write_finess_extract(path: Path, establishments: list[Establishment], rng: random.Random) -> None:
    """Establishments plus one non-EHPAD line, as the national file mixes categories."""
    lines = ["finess;etalab;111;2026-05-12"]
    for est in establishments:
        lines.append(";".join(_structureet(est, rng)))
    lines.append(
        "structureet;010000024;010780054;CH DE FLEYRIAT;CENTRE HOSPITALIER DE BOURG-EN-BRESSE FLEYRIAT;;;900;RTE;"
        "DE PARIS;;;451;01;AIN;01440 VIRIAT;0474454647;0474454114;355;Centre Hospitalier (C.H.);1102;"
        "Centres Hospitaliers;26010004500012;8610Z;03;ARS établissements Publics de santé dotation globale;1;"
        "Etablissement public de santé;1979-02-13;1979-02-13;2020-02-04;"
    )
    for est in establishments:
        x, y = rng.uniform(100000, 1200000), rng.uniform(6000000, 7100000)
        lines.append(f"geolocalisation;{est.finess};{x:.1f};{y:.1f};1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole);2026-05-04")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_capacities(path: Path, establishments: list[Establishment]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["finess", "capacite_autorisee", "statut"])
        for est in establishments:
            writer.writerow([est.finess, est.capacity, est.status])


def declarations(est: Establishment, rng: random.Random, years: tuple[int, ...]) -> list[dict]:
    """Yearly declarations; planted irregularities distort exactly the figures they concern."""
    rows = []
    for year in years:
        care_fte = est.observed_care_fte + rng.uniform(-0.8, 0.8)
        if "fte_overdeclared" in est.planted:
            care_fte = est.observed_care_fte + 9.1
        occupancy = rng.uniform(0.90, 0.985)
        if "over_capacity" in est.planted:
            occupancy = est.residents / est.capacity
        funding_care = est.capacity * rng.uniform(11500, 13500)
        result_care = funding_care * rng.uniform(-0.02, 0.02)
        if "care_budget_misuse" in est.planted:
            result_care = funding_care * rng.uniform(0.07, 0.10)  # charges moved off-budget inflate the surplus
        rows.append({
            "finess": est.finess, "year": year,
            "declared_fte_care": round(care_fte, 1),
            "declared_fte_dependency": round(est.capacity * rng.uniform(0.12, 0.16), 1),
            "declared_fte_accommodation": round(est.capacity * rng.uniform(0.18, 0.24), 1),
            "funding_care": round(funding_care), "funding_dependency": round(est.capacity * rng.uniform(4500, 5500)),
            "result_care": round(result_care), "result_dependency": round(funding_care * rng.uniform(-0.02, 0.02) * 0.4),
            "result_accommodation": round(est.capacity * rng.uniform(-900, 1500)),
            "occupancy_rate": round(occupancy, 3), "daily_price": est.daily_price,
            "head_office_fees": est.head_office_fees, "external_services": round(est.capacity * rng.uniform(1500, 2600)),
        })
    return rows


def write_financial_declarations(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FINANCIAL_COLUMNS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
