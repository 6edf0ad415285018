"""Reads findings and measures from the anonymised text of a report (any house style)."""

from __future__ import annotations

from dataval_pipeline.findings.model import ReportReading


def read_report(text: str) -> ReportReading:
    """The findings and measures of one report."""
    return ReportReading()
