"""Financial-irregularity signals stated in inspection reports, each kept with the finding that states it.

``tag_signals`` reads every unit of each report (findings, measures, conclusions, referral paragraphs,
table cells) with the rules of ``rules.py`` over the vocabulary of ``config/signals.yaml``; units where
rules are unsure go to the LLM, one unit at a time, all questions of all reports in one ``ask_many``.
Each signal keeps its finding id (None for a measure or report paragraph, with its own span), its figures
and a quote the pipeline cuts from the span. With ``llm=None`` the rules' answer stands.

One row per (finding, signal); a signal stated only outside findings gives one row per report (the unit
with the richest figures), and one read only in a measure ("Réimputer les charges…") counts only when no
finding or paragraph states it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from dataval_pipeline.findings.model import Finding, ReportReading
from dataval_pipeline.signals import questions as q
from dataval_pipeline.signals.rules import CANDIDATE, STATED, figures, read_unit
from dataval_pipeline.signals.units import Unit, units
from dataval_pipeline.signals.vocabulary import Vocabulary, load_vocabulary, signal_ids

__all__ = ["Signal", "ReportSignals", "tag_signals", "tag_report", "signal_rows", "signal_ids", "load_vocabulary"]

MAX_QUOTE_CHARS = 400
MIN_QUOTE_CHARS = 60  # shorter units (a heading "Signalement au procureur") quote a signal only when alone
CONTEXT_RANK = {"finding": 0, "text": 1, "measure": 2}


@dataclass(frozen=True)
class Signal:
    signal_id: str  # "S1", "S2"… in order of the text, stable for one text and vocabulary
    signal: str  # an id of the vocabulary
    finding_id: str | None  # None: stated in a measure or in the report's own paragraphs
    measure_id: str | None
    context: str  # finding | measure | text
    amount_eur: float | None
    fte: float | None
    quote: str  # cut by the pipeline from the anonymised text at [start, end)
    start: int
    end: int
    source: str  # rule | llm


@dataclass
class ReportSignals:
    findings: list[Finding]  # the reading's findings with ``fraud_signals`` filled
    signals: list[Signal] = field(default_factory=list)
    questions: int = 0  # units sent to the LLM
    failures: list[dict] = field(default_factory=list)  # {"unit": offsets, "reason": ...} per failed question


def _quote(text: str, start: int, end: int) -> str:
    quote = " ".join(text[start:end].split())
    return quote if len(quote) <= MAX_QUOTE_CHARS else quote[:MAX_QUOTE_CHARS - 1].rstrip() + "…"


def _candidates_of(report_units: list[Unit], vocabulary: Vocabulary) -> tuple[list[tuple[Unit, str, str]], dict]:
    """(unit, signal, source) stated by rules; {unit index: candidate signals} for the LLM."""
    stated, unsure = [], {}
    for index, unit in enumerate(report_units):
        hits = read_unit(unit.text, vocabulary)
        for hit in hits:
            if hit.status == STATED:
                stated.append((unit, hit.signal, "rule"))
        candidates = tuple(h.signal for h in hits if h.status == CANDIDATE)
        if candidates:
            unsure[index] = candidates
    return stated, unsure


def _select(text: str, found: list[tuple[Unit, str, str]], vocabulary: Vocabulary) -> list[Signal]:
    """One row per (finding, signal); a signal stated outside findings only: one row, from a paragraph
    rather than a measure, with the most figures, first in the text."""
    pairs: dict[tuple[str, str], tuple[Unit, str, str]] = {}
    outside: dict[str, list[tuple[Unit, str, str]]] = {}
    for unit, signal, source in found:
        if unit.finding_id:
            pairs.setdefault((unit.finding_id, signal), (unit, signal, source))
        else:
            outside.setdefault(signal, []).append((unit, signal, source))
    in_findings = {signal for _, signal in pairs}
    chosen = list(pairs.values())
    for signal, options in outside.items():
        if signal in in_findings:
            continue
        definition = vocabulary.get(signal)
        chosen.append(min(options, key=lambda o: (
            CONTEXT_RANK[o[0].context], -sum(v is not None for v in figures(definition, o[0].text).values()),
            len(o[0].text) < MIN_QUOTE_CHARS, o[0].start)))
    rows = []
    for unit, signal, source in sorted(chosen, key=lambda c: (c[0].start, vocabulary.ids.index(c[1]))):
        values = figures(vocabulary.get(signal), unit.text)
        rows.append(Signal(f"S{len(rows) + 1}", signal, unit.finding_id, unit.measure_id, unit.context,
                           values["amount_eur"], values["fte"], _quote(text, unit.start, unit.end), unit.start,
                           unit.end, source))
    return rows


def tag_report(text: str, reading: ReportReading | None, vocabulary: Vocabulary | None = None,
               answers: dict[int, str] | None = None) -> tuple[ReportSignals, list[Unit], dict]:
    """Rules on one report; ``answers`` ({unit index: signal}) adds what the LLM chose."""
    vocabulary = vocabulary or load_vocabulary()
    reading = reading or ReportReading()
    report_units = units(text, reading)
    stated, unsure = _candidates_of(report_units, vocabulary)
    found = list(stated) + [(report_units[i], s, "llm") for i, s in (answers or {}).items()]
    signals = _select(text, found, vocabulary)
    by_finding: dict[str, list[str]] = {}
    for signal in signals:
        if signal.finding_id and signal.signal not in by_finding.setdefault(signal.finding_id, []):
            by_finding[signal.finding_id].append(signal.signal)
    findings = [dataclasses.replace(f, fraud_signals=tuple(by_finding.get(f.finding_id, ()))) for f in reading.findings]
    return ReportSignals(findings, signals), report_units, unsure


def _questions_for(report_id: str, report_units: list[Unit], unsure: dict, signals: list[Signal]) -> list[q.Question]:
    """Candidates the rules did not already settle: a signal stated in the same finding (or, outside
    findings, anywhere in the report) needs no question."""
    stated_in = {(s.finding_id, s.signal) for s in signals}
    stated_anywhere = {s.signal for s in signals}
    result = []
    for index, candidates in unsure.items():
        unit = report_units[index]
        open_ = tuple(c for c in candidates if ((unit.finding_id, c) not in stated_in if unit.finding_id
                                                  else c not in stated_anywhere))
        if open_:
            result.append(q.Question(report_id, index, unit.text, open_))
    return result


def tag_signals(reports: dict[str, tuple[str, ReportReading]], llm=None,
                vocabulary: Vocabulary | None = None) -> dict[str, ReportSignals]:
    """Signals of every report: ``{report_id: (anonymised text, reading)}`` -> ``{report_id: ReportSignals}``."""
    vocabulary = vocabulary or load_vocabulary()
    first = {rid: tag_report(text, reading, vocabulary) for rid, (text, reading) in reports.items()}
    if llm is None:
        return {rid: result for rid, (result, _, _) in first.items()}
    asked = [question for rid, (result, report_units, unsure) in first.items()
             for question in _questions_for(rid, report_units, unsure, result.signals)]
    replies = q.ask_all(llm, vocabulary, asked)
    answers: dict[str, dict[int, str]] = {}
    failures: dict[str, list[dict]] = {}
    for question, (chosen, error) in zip(asked, replies):
        if error:
            unit = first[question.report_id][1][question.unit_index]
            failures.setdefault(question.report_id, []).append(
                {"start": unit.start, "end": unit.end, "reason": error})
        elif chosen and chosen in question.candidates:
            answers.setdefault(question.report_id, {})[question.unit_index] = chosen
    results = {}
    for rid, (text, reading) in reports.items():
        result = tag_report(text, reading, vocabulary, answers.get(rid))[0] if rid in answers else first[rid][0]
        result.questions = sum(1 for question in asked if question.report_id == rid)
        result.failures = failures.get(rid, [])
        results[rid] = result
    return results


def signal_rows(report_id: str, result: ReportSignals, tagged_at) -> list[dict]:
    """The ``fraud_signals`` rows of one report (columns of ``data_contracts/fraud_signals.yaml``)."""
    return [{"report_id": report_id, **dataclasses.asdict(s), "tagged_at": tagged_at} for s in result.signals]
