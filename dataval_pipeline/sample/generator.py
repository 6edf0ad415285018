"""Write a sample corpus: report PDFs, bad files, ``gold.jsonl`` and reference extracts.

Deterministic: the same ``seed`` and ``reports`` give the same bytes, hence the
same report ids, so gold labels can be keyed by ``report_id``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

from dataval_pipeline.fraud.norms import legal_minimum_medec_fte
from dataval_pipeline.identifiers import finess_with_check_digit, report_id_for
from dataval_pipeline.sample import bad_files as bad
from dataval_pipeline.sample import reference
from dataval_pipeline.sample import vocabulary as vocab
from dataval_pipeline.sample.pdf import render_pdf
from dataval_pipeline.sample.reports import Establishment, compose_report

# Irregularities planted in the reference declarations too (and stated in the reports' text).
PLANTED_KINDS = ("fte_overdeclared", "care_budget_misuse", "over_capacity")
# Irregularities a planted establishment's reports state besides (signals of config/signals.yaml).
TEXT_KINDS = ("supplier_rebates_kept", "phantom_staff", "unqualified_staff_counted", "head_office_fees_excess",
              "resident_overcharging", "prosecutor_referral")


@dataclass(frozen=True)
class SampleSummary:
    pdf_dir: Path
    gold_path: Path
    reference_dir: Path
    reports: int
    bad_files: int
    establishments: int
    planted: dict[str, list[str]]


def _establishment(rng: random.Random, planted: list[str]) -> Establishment:
    region, departments = rng.choice(vocab.REGIONS)
    dept_code, dept_name, city, postal = rng.choice(departments)
    finess = finess_with_check_digit(dept_code + f"{rng.randint(0, 999999):06d}")
    finess_ej = finess_with_check_digit(dept_code + f"{rng.randint(0, 999999):06d}")
    status = rng.choice(list(vocab.LEGAL_ENTITIES))
    capacity = rng.choice([45, 58, 64, 72, 80, 84, 96, 110, 120, 150, 210])
    minimum = legal_minimum_medec_fte(capacity)
    medec_fte = minimum if rng.random() < 0.7 else round(max(0.1, minimum - rng.choice([0.1, 0.2, 0.3])), 1)
    residents = capacity - rng.randint(0, 4)
    if "over_capacity" in planted:
        residents = capacity + rng.randint(6, 12)
    return Establishment(
        finess=finess, finess_ej=finess_ej, name=rng.choice(vocab.ESTABLISHMENT_NAMES),
        legal_entity=rng.choice(vocab.LEGAL_ENTITIES[status]).format(city=city), status=status,
        capacity=capacity, region=region, dept_code=dept_code, dept_name=dept_name, city=city, postal=postal,
        street_number=rng.randint(1, 90), street_type=rng.choice(vocab.STREET_TYPES),
        street_name=rng.choice(vocab.STREET_NAMES), medec_fte=medec_fte,
        observed_care_fte=round(capacity * rng.uniform(0.30, 0.42), 1), night_staff=rng.randint(2, 4),
        head_office_fees=round(capacity * (rng.uniform(3200, 4000) if "head_office_fees_excess" in planted
                                           else rng.uniform(900, 1800)), -2),
        daily_price=round(rng.uniform(62, 78) if status == "public" else rng.uniform(70, 110), 2),
        residents=residents, planted=planted,
    )


def generate_sample(
    pdf_dir: Path, meta_dir: Path | None = None, *, reports: int = 20, seed: int = 7, with_bad_files: bool = True,
    max_pages: int = 15,
) -> SampleSummary:
    """Write ``reports`` PDFs (+ bad files) to ``pdf_dir``; gold and reference to ``meta_dir``."""
    meta_dir = meta_dir or pdf_dir
    reference_dir = meta_dir / "reference"
    for folder in (pdf_dir, meta_dir, reference_dir):
        folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"dataval-sample-{seed}")
    n_establishments = max(2, round(reports * 0.7))
    n_planted = max(1, n_establishments // 5)
    kinds = [[PLANTED_KINDS[i % len(PLANTED_KINDS)], *rng.sample(TEXT_KINDS, k=rng.choice([1, 2]))]
             if i < n_planted else [] for i in range(n_establishments)]
    establishments = [_establishment(rng, planted) for planted in kinds]
    without_reports = [_establishment(rng, []) for _ in range(2)]

    gold_lines = []
    first_pdf = b""
    first_gold: dict = {}
    for index in range(reports):
        est = establishments[index % n_establishments]
        report_rng = random.Random(f"dataval-report-{seed}-{index}")
        visit = dt.date(2024, 1, 8) + dt.timedelta(days=report_rng.randint(0, 640))
        report = compose_report(report_rng, est, visit, index, max_pages=max_pages)
        pdf = render_pdf(report.blocks, report.header)
        (pdf_dir / report.file_name).write_bytes(pdf)
        gold = {"report_id": report_id_for(pdf), **report.gold}
        gold_lines.append(gold)
        if index == 0:
            first_pdf, first_gold = pdf, gold

    bad_count = 0
    if with_bad_files and first_pdf:
        for name, (data, status, reason) in bad.bad_files(first_pdf).items():
            (pdf_dir / name).write_bytes(data)
            bad_count += 1
            entry = {"report_id": report_id_for(data), "file": name, "expected_status": status,
                     "expected_reason": reason, "bad_file": True}
            if status == "ok":  # same document, other bytes: same labels
                entry = {**first_gold, **entry}
            if name == "rapport_scanne.pdf":
                entry["ocr_rescues"] = True
            gold_lines.append(entry)

    with (meta_dir / "gold.jsonl").open("w", encoding="utf-8") as handle:
        for line in gold_lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    ref_rng = random.Random(f"dataval-reference-{seed}")
    register = establishments + without_reports
    reference.write_finess_extract(reference_dir / "finess_etablissements.csv", register, ref_rng)
    reference.write_capacities(reference_dir / "capacites.csv", register)
    rows = [row for est in register for row in reference.declarations(est, ref_rng, (2023, 2024))]
    reference.write_financial_declarations(reference_dir / "financial_declarations.csv", rows)

    planted = {est.finess: est.planted for est in establishments if est.planted}
    return SampleSummary(pdf_dir, meta_dir / "gold.jsonl", reference_dir, reports, bad_count, len(register), planted)
