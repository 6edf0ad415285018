"""Findings and measures as rows of their products, and back: the one mapping between the model
(``findings/model.py``) and the contracts (``data_contracts/findings.yaml``, ``measures.yaml``).

Pure functions: the ``findings`` multi-asset writes these rows, ``extracted_facts`` rebuilds the reading
from them (no second reading of the text), and ``dataval analyse`` prints them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from dataval_pipeline.contracts import load_contract
from dataval_pipeline.findings.model import Finding, Measure, ReportReading

FINDINGS = load_contract("findings")
MEASURES = load_contract("measures")


def finding_row(report_id: str, finding: Finding, model: str | None, read_at: dt.datetime) -> dict:
    return {
        "report_id": report_id, "finding_id": finding.finding_id, "kind": finding.kind, "number": finding.number,
        "label": finding.label, "text": finding.text, "legal_refs": list(finding.legal_refs), "grade": finding.grade,
        "section": finding.section, "themes": list(finding.themes), "fraud_signals": list(finding.fraud_signals),
        "start": finding.start, "end": finding.end, "source": finding.source,
        "model": model, "read_at": read_at,
    }


def measure_row(report_id: str, measure: Measure, read_at: dt.datetime) -> dict:
    return {
        "report_id": report_id, "measure_id": measure.measure_id, "kind": measure.kind, "number": measure.number,
        "label": measure.label, "text": measure.text, "deadline_text": measure.deadline_text,
        "deadline_days": measure.deadline_days, "finding_ids": list(measure.finding_ids),
        "start": measure.start, "end": measure.end, "read_at": read_at,
    }


def finding_from_row(row: dict) -> Finding:
    return Finding(
        finding_id=row["finding_id"], kind=row["kind"], number=row["number"], label=row["label"] or "",
        text=row["text"], legal_refs=tuple(row["legal_refs"] or ()), grade=row["grade"], start=row["start"],
        end=row["end"], section=row["section"] or "", source=row["source"], themes=tuple(row["themes"] or ()),
        fraud_signals=tuple(row["fraud_signals"] or ()),
    )


def measure_from_row(row: dict) -> Measure:
    return Measure(
        measure_id=row["measure_id"], kind=row["kind"], number=row["number"], label=row["label"] or "",
        text=row["text"], deadline_text=row["deadline_text"], deadline_days=row["deadline_days"],
        finding_ids=tuple(row["finding_ids"] or ()), start=row["start"], end=row["end"],
    )


def readings_from_rows(report_ids: list[str], findings: list[dict], measures: list[dict]) -> dict[str, ReportReading]:
    """The reading of each report from its product rows, findings and measures in text order; a report
    without any row gets an empty reading (a report with no finding is a valid report)."""
    readings = {report_id: ReportReading() for report_id in report_ids}
    for row in sorted(findings, key=lambda r: (r["start"], r["finding_id"])):
        if row["report_id"] in readings:
            readings[row["report_id"]].findings.append(finding_from_row(row))
    for row in sorted(measures, key=lambda r: (r["start"], r["measure_id"])):
        if row["report_id"] in readings:
            readings[row["report_id"]].measures.append(measure_from_row(row))
    return readings


def with_report_level(reading: ReportReading, text: str) -> ReportReading:
    """The reading rebuilt from rows, with what belongs to the report rather than to a row: whether it is a
    follow-up (only new findings are listed) and the reader's own disagreements (summary table vs body).
    The reader is deterministic on the same anonymised text, so these match the rows' reading."""
    from dataval_pipeline.findings.read import read_report

    again = read_report(text)
    return dataclasses.replace(reading, follow_up=again.follow_up, disagreements=list(again.disagreements))
