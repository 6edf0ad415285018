"""What a report is made of for inspectors and the ministry's database: findings and measures.

Pure data: the reader (``dataval_pipeline.findings.read``) builds them from the anonymised text, the
themes and signals stages fill ``themes`` and ``fraud_signals``; offsets are in the anonymised text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FINDING_KINDS = ("breach", "remark")
MEASURE_KINDS = ("injonction", "prescription", "recommandation")


@dataclass(frozen=True)
class Finding:
    """One écart (``breach``) or remarque (``remark``)."""

    finding_id: str  # stable within the report: "E3", "R2", "E2.1" from the label, "Eu1" / "Ru2" by order when unnumbered
    kind: str  # breach | remark
    number: int | None  # as numbered in the report, None when unnumbered
    label: str  # as written: "Écart n°3", "E3", "Constat n°2"; "" when unnumbered
    text: str  # the finding's wording (anonymised text)
    legal_refs: tuple[str, ...]  # normalised: "D.312-155-0 CASF", "R.4311-4 CSP"
    grade: str | None  # critique | majeur | mineur | majeure | None
    start: int  # offsets of ``text`` in the anonymised text
    end: int
    section: str = ""  # heading of the section it sits in ("" when none): evidence for its themes
    source: str = "rule"  # rule | llm | both
    themes: tuple[str, ...] = ()  # main first; filled by the themes stage
    fraud_signals: tuple[str, ...] = ()  # filled by the signals stage


@dataclass(frozen=True)
class Measure:
    """One injonction, prescription or recommandation."""

    measure_id: str  # stable within the report: "I1", "P2", "R3" (kind initial + number or order)
    kind: str  # injonction | prescription | recommandation
    number: int | None
    label: str  # as written ("Prescription n°2", "P2", "-" for a bullet, "" for a row keyed by its finding)
    text: str  # the wording, without its label and deadline
    deadline_text: str | None  # as written ("3 mois", "immédiat", "avant le 31/12/2024")
    deadline_days: int | None  # 90 for "3 mois", 0 for "immédiat", days after the visit for a date
    finding_ids: tuple[str, ...]  # the findings it answers, when the report links them
    start: int
    end: int


@dataclass
class ReportReading:
    """Everything the reader found in one report."""

    findings: list[Finding] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    follow_up: bool = False  # a contrôle de suivi: only new findings and measures are listed
    # {"what": "summary_table_vs_body", "only_in_body": [ids], "only_in_table": [ids]} or
    # {"what": "stated_counts_vs_found", "stated": [breaches, remarks], "found": [breaches, remarks]}
    disagreements: list[dict] = field(default_factory=list)
