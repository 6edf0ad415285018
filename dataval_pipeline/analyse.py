"""The per-report chain in-process, without Dagster: what ``dataval analyse``, ``bench/quality.py`` and the
tests run, and the very functions the Dagster assets call.

extraction -> anonymisation (the privacy boundary) -> read_report (findings, measures) -> themes of each
finding (LLM, among candidate themes) -> fraud signals -> facts -> report classification.

With ``llm=None`` every stage gives its rule- or evidence-based answer. Only anonymised text leaves this
module (``DocumentAnalysis.to_json``); the original text and the detections stay in memory for scoring.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dataval_pipeline.findings.model import ReportReading
from dataval_pipeline.findings.rows import finding_row, measure_row
from dataval_pipeline.identifiers import report_id_for

FINDINGS_PRODUCT = "findings"
SIGNALS_PRODUCT = "fraud_signals"


class UnreadableFile(Exception):
    """A file that cannot become text; the message says why, in words a person understands."""


# -- input --------------------------------------------------------------------------------------------------

def read_document(path: Path) -> tuple[str, str]:
    """(report_id, text) of a PDF (text layer, OCR when scanned) or a UTF-8 text file."""
    from dataval_pipeline.ingest.extract import Rejected, extract_text

    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"{type(error).__name__}: {error.strerror or error}") from None
    try:
        if path.suffix.lower() == ".pdf" or data[:5] == b"%PDF-":
            text = extract_text(data).text
        else:
            text = data.decode("utf-8")
    except Rejected as reason:
        raise UnreadableFile(str(reason)) from None
    except UnicodeDecodeError:
        raise UnreadableFile("neither a PDF nor UTF-8 text") from None
    if not text.strip():
        raise UnreadableFile("the file holds no text")
    return report_id_for(data), text


# -- the LLM -------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def llm_client(use_llm: bool, cache_dir: Path | None = None, log: Path | None = None) -> Iterator:
    """None without the LLM; else a client of ``$DATAVAL_LLM_BASE_URL``, or of the embedded server started
    for the duration (as ``dataval demo`` does)."""
    if not use_llm:
        yield None
        return
    from dataval_pipeline.llm.client import LLMSettings, ResponseCache, StructuredLLM

    cache = ResponseCache(cache_dir / "llm") if cache_dir else None
    if os.environ.get("DATAVAL_LLM_BASE_URL"):
        yield StructuredLLM(LLMSettings.from_env(), cache)
        return
    from dataval_pipeline.llm.server import EmbeddedServer

    with EmbeddedServer(log=log).start() as server:
        yield StructuredLLM(LLMSettings.from_env(server.base_url, server.model), cache)


def model_name(llm) -> str | None:
    return llm.settings.model if llm is not None else None


# -- the stages (shared with the Dagster assets) -------------------------------------------------------------

@dataclass
class ReadReport:
    """One report after reading, themes and signals: the rows of ``findings``, ``measures`` and
    ``fraud_signals``, and the LLM requests whose answers could not be used."""

    reading: ReportReading
    findings: list[dict]
    measures: list[dict]
    signals: list[dict]
    quarantine: list[dict]  # {"product", "request", "reason"}


def _by_id(reading: ReportReading, findings: list) -> ReportReading:
    """The reading with the findings a stage returned (same ids, a field filled), in the reading's order."""
    returned = {f.finding_id: f for f in findings}
    return dataclasses.replace(reading, findings=[returned.get(f.finding_id, f) for f in reading.findings])


def signal_row(report_id: str, signal, tagged_at: dt.datetime) -> dict:
    return {"report_id": report_id, **dataclasses.asdict(signal), "tagged_at": tagged_at}


def read_findings(texts: dict[str, str], llm, read_at: dt.datetime | None = None) -> dict[str, ReadReport]:
    """read_report on each anonymised text, then the themes of every finding (one batch of short LLM
    questions across all reports), then the fraud signals. Only anonymised text may be given here."""
    from dataval_pipeline.facts.rules import visit_date
    from dataval_pipeline.findings.read import read_report
    from dataval_pipeline.signals import tag_signals
    from dataval_pipeline.themes import assign_finding_themes

    read_at = read_at or dt.datetime.now(dt.timezone.utc)
    # The visit date turns a date deadline ("avant le 31/12/2024") into days after the visit.
    readings = {report_id: read_report(text, visit_date=(visit.value if (visit := visit_date(text)) else None))
                for report_id, text in texts.items()}
    themes = assign_finding_themes({rid: (texts[rid], readings[rid]) for rid in readings}, llm)
    for report_id, result in themes.items():
        readings[report_id] = _by_id(readings[report_id], result.findings)
    signals = tag_signals({rid: (texts[rid], readings[rid]) for rid in readings}, llm)
    for report_id, result in signals.items():
        readings[report_id] = _by_id(readings[report_id], result.findings)
    model = model_name(llm)
    out = {}
    for report_id, reading in readings.items():
        themed, signalled = themes.get(report_id), signals.get(report_id)
        decided_by = themed.decided_by if themed is not None else {}
        quarantine = [{"product": FINDINGS_PRODUCT, "request": f"themes of finding {e['finding_id']}",
                       "reason": e["reason"] or "no answer"} for e in (themed.errors if themed else [])]
        quarantine += [{"product": SIGNALS_PRODUCT, "request": f"signals of text {e['start']}-{e['end']}",
                        "reason": e["reason"] or "no answer"} for e in (signalled.failures if signalled else [])]
        out[report_id] = ReadReport(
            reading=reading,
            findings=[finding_row(report_id, f, model if decided_by.get(f.finding_id) == "llm" else None, read_at)
                      for f in reading.findings],
            measures=[measure_row(report_id, m, read_at) for m in reading.measures],
            signals=[signal_row(report_id, signal, read_at) for signal in (signalled.signals if signalled else [])],
            quarantine=quarantine,
        )
    return out


def extract_facts(texts: dict[str, str], readings: dict[str, ReportReading], llm) -> dict:
    """report_id -> FactsRow: counts from the findings and measures, the other facts by rules and narrow
    LLM questions."""
    from dataval_pipeline.facts.extract import extract_facts_many

    return extract_facts_many({rid: (texts[rid], readings[rid]) for rid in texts}, llm)


def classify(texts: dict[str, str], readings: dict[str, ReportReading], llm) -> dict:
    """report_id -> ReportClassification (themes from its themed findings; the LLM only for a report
    without findings, over numbered candidate sentences)."""
    from dataval_pipeline.themes import classify_reports

    return classify_reports({rid: (texts[rid], readings[rid]) for rid in texts}, llm)


# -- one document, or a batch of them ------------------------------------------------------------------------

@dataclass
class DocumentAnalysis:
    report_id: str
    text: str  # anonymised
    findings: list[dict]
    measures: list[dict]
    signals: list[dict]
    facts: dict
    classification: dict | None
    quarantine: list[dict]
    reading: ReportReading = field(repr=False)
    # Personal data: in memory for scoring only, never printed or written.
    original: str = field(default="", repr=False)
    detections: list = field(default_factory=list, repr=False)

    @property
    def themes(self) -> list[str]:
        return list((self.classification or {}).get("themes") or [])

    @property
    def primary_theme(self) -> str | None:
        return (self.classification or {}).get("primary_theme")

    def to_json(self) -> dict:
        """What ``dataval analyse --json`` prints: anonymised text only."""
        finding_keys = ("finding_id", "label", "kind", "number", "text", "legal_refs", "grade", "themes",
                        "fraud_signals", "section", "start", "end", "source")
        measure_keys = ("measure_id", "label", "kind", "number", "text", "deadline_text", "deadline_days",
                        "finding_ids", "start", "end")
        return {
            "report_id": self.report_id,
            "facts": {k: v for k, v in self.facts.items() if k not in ("report_id", "extracted_at")},
            "findings": [{k: row[k] for k in finding_keys} for row in self.findings],
            "measures": [{k: row[k] for k in measure_keys} for row in self.measures],
            "themes": self.themes,
            "primary_theme": self.primary_theme,
            "severity": (self.classification or {}).get("severity"),
            "signals": [{k: v for k, v in row.items() if k not in ("report_id", "tagged_at")} for row in self.signals],
            "quarantine": self.quarantine,
        }


def analyse_texts(originals: dict[str, str], llm, anonymiser=None) -> dict[str, DocumentAnalysis]:
    """The whole chain on raw texts (report_id -> text), batched across reports so the LLM server's slots
    are used; returns one analysis per report."""
    from dataval_pipeline.anonymise.engine import get_anonymiser

    engine = anonymiser or get_anonymiser()
    anonymised, detections = {}, {}
    for report_id, original in originals.items():
        result, found = engine.anonymise_with_detections(original)
        anonymised[report_id], detections[report_id] = result.text, found
    read = read_findings(anonymised, llm)
    readings = {rid: r.reading for rid, r in read.items()}
    facts = extract_facts(anonymised, readings, llm)
    classifications = classify(anonymised, readings, llm)
    out = {}
    for report_id, text in anonymised.items():
        classification = classifications.get(report_id)
        out[report_id] = DocumentAnalysis(
            report_id=report_id, text=text, findings=read[report_id].findings, measures=read[report_id].measures,
            signals=read[report_id].signals, facts=dict(facts[report_id].row),
            classification=None if classification is None else _classification_row(report_id, classification, llm),
            quarantine=read[report_id].quarantine, reading=readings[report_id],
            original=originals[report_id], detections=detections[report_id],
        )
    return out


def _classification_row(report_id: str, classification, llm) -> dict:
    """The classification as a row of report_classifications (themes, primary_theme, severity, evidence…)."""
    return {"report_id": report_id, **dataclasses.asdict(classification), "model": model_name(llm)}


def analyse_path(path: Path, llm, anonymiser=None) -> DocumentAnalysis:
    """One PDF or text file through the whole chain; raises UnreadableFile with the reason."""
    report_id, text = read_document(path)
    return analyse_texts({report_id: text}, llm, anonymiser)[report_id]


# -- the readable summary ------------------------------------------------------------------------------------

FACT_LABELS = {
    "finess": "FINESS", "establishment_name": "establishment", "inspection_date": "inspection date",
    "unannounced": "unannounced", "trigger": "trigger", "capacity": "capacity", "residents_present": "residents",
    "breaches": "écarts", "remarks": "remarques", "injunctions": "injonctions", "prescriptions": "prescriptions",
    "recommendations": "recommandations", "care_fte": "care FTE", "medec_fte": "coordinating doctor FTE",
    "night_staff": "night staff",
}


def _short(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def summary(analysis: DocumentAnalysis, name: str) -> str:
    """What ``dataval analyse`` prints without --json (anonymised text only)."""
    facts = analysis.facts
    lines = [f"{name} (report {analysis.report_id})", ""]
    lines += [f"  {label:<24} {facts.get(key)}" for key, label in FACT_LABELS.items() if key in facts]
    if analysis.facts.get("follow_up"):
        lines.append("  follow-up inspection: only new findings and measures are counted")
    lines += ["", f"Themes: {', '.join(analysis.themes) or '—'} (main: {analysis.primary_theme or '—'})", "",
              f"Findings ({len(analysis.findings)}):"]
    for row in analysis.findings:
        grade = f" [{row['grade']}]" if row["grade"] else ""
        refs = f" ({', '.join(row['legal_refs'])})" if row["legal_refs"] else ""
        themes = f" {{{', '.join(row['themes'])}}}" if row["themes"] else ""
        lines.append(f"  {row['finding_id']:<5} {row['kind']:<6}{grade} {_short(row['text'])}{refs}{themes}")
    lines += ["", f"Measures ({len(analysis.measures)}):"]
    for row in analysis.measures:
        deadline = f" — délai : {row['deadline_text']}" if row["deadline_text"] else ""
        answers = f" → {', '.join(row['finding_ids'])}" if row["finding_ids"] else ""
        lines.append(f"  {row['measure_id']:<5} {row['kind']:<14} {_short(row['text'], 90)}{deadline}{answers}")
    if analysis.signals:
        lines += ["", f"Fraud signals ({len(analysis.signals)}):"]
        lines += [f"  {row.get('signal', row)}" for row in analysis.signals]
    if analysis.quarantine:
        lines += ["", f"LLM answers not used ({len(analysis.quarantine)}):"]
        lines += [f"  {q['product']} {q['request'] or ''}: {q['reason']}" for q in analysis.quarantine]
    return "\n".join(lines)
