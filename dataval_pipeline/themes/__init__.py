"""Themes of findings (evidence, then the LLM among the candidates) and of whole reports."""

from dataval_pipeline.themes.classify import (
    FindingThemes, ReportClassification, assign_finding_themes, classify_report, classify_reports,
)

__all__ = ["FindingThemes", "ReportClassification", "assign_finding_themes", "classify_report", "classify_reports"]
