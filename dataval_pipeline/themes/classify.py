"""Themes of findings and of reports: evidence proposes, the LLM decides among the candidates.

- Per finding: the evidence of ``dataval_pipeline.themes.evidence`` ranks candidate themes. Where it is
  confident (one candidate, or the best well ahead of the second) it decides alone; where the top
  candidates are close (or nothing matched) the LLM is asked ONE short question: this finding, an enum
  of the candidate ids (the whole taxonomy when evidence is empty), a few tokens out. The prompt's fixed
  part (instructions, taxonomy, answer form) comes first and is byte-identical across requests, so
  llama.cpp's prompt cache computes it once per slot; the finding comes last. Every question of every
  report of a run goes into one ``ask_many`` so the server's slots stay full.
- Per report: its themes are its findings' themes, its primary theme the theme with the most écarts (the
  gravest on a tie), its severity from grades, measure kinds and deadlines, its evidence quotes written
  by the pipeline from the findings (or numbered sentences) the themes came from. A report without
  findings is asked over numbered candidate sentences, and answers with sentence ids only.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from dataval_pipeline.config import Taxonomy, load_taxonomy_config
from dataval_pipeline.contracts.model import column_enum
from dataval_pipeline.findings.model import Finding, Measure, ReportReading
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.analysis import is_grounded  # the guard: an exact substring of the text
from dataval_pipeline.llm.client import Answer, StructuredLLM
from dataval_pipeline.llm.prompts import (
    FINDING_THEME, FINDING_THEME_VERSION, REPORT_SENTENCES, REPORT_SENTENCES_VERSION, Prompt, defuse, load_prompt,
)
from dataval_pipeline.llm.schemas import finding_theme_model, report_sentences_model
from dataval_pipeline.themes.evidence import Evidence, evidence_themes, finding_evidence, keyword_matches

# Ask the model only when the best candidate leads the second by less than this share of its score:
# 1.0 asks whenever there are two candidates, 0.0 only when evidence is empty. Measured on the development
# corpus with the embedded 0.5B model (main theme per finding): on its gold findings, evidence alone 81.7 %,
# asking at 1.0 (60 questions) 70.4 %; on its PDFs through the reader, evidence alone 82.6 %, asking at
# 0.34 (21 questions) 81.7 %, at 0.15 (8 questions) 82.6 %. The small model is no better a judge than the
# evidence, so it only breaks near-ties. With a strong model, set 1.0.
# DATAVAL_THEMES_ASK_MARGIN overrides it.
DEFAULT_ASK_MARGIN = 0.15
ASK_MARGIN_ENV = "DATAVAL_THEMES_ASK_MARGIN"
MAX_CANDIDATES = 4  # candidates offered to the model: a short enum is a short grammar and an easy choice
QUOTE_MAX = 200
SEVERITIES = column_enum("report_classifications", "severity")  # mildest first, as in the contract
GRADE_RANK = {"critique": 3, "majeur": 2, "majeure": 2, "mineur": 1}
MAX_SENTENCES = 30  # numbered sentences shown for a report without findings (fits a 4,096-token slot)
SENTENCE_SPLIT = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-Ý«<])|\n\s*\n|\n(?=\s*[-•–]\s)")
DEFICIENCY = re.compile(
    r"\b(?:n['’]|ne\b|aucun|aucune|absence|absent|insuffisan|défaut|manque|non[- ]|sans\b|pas\b|irrégul|"
    r"méconnaissance|contrevient|contraire|dépass|excède|retard)", re.IGNORECASE)


def ask_margin_setting() -> float:
    return float(os.environ.get(ASK_MARGIN_ENV) or DEFAULT_ASK_MARGIN)


def finding_prompt() -> Prompt:
    return load_prompt(FINDING_THEME, FINDING_THEME_VERSION)


def sentences_prompt() -> Prompt:
    return load_prompt(REPORT_SENTENCES, REPORT_SENTENCES_VERSION)


# -- findings ---------------------------------------------------------------------------------------------
@dataclass
class FindingThemes:
    """One report's findings with ``themes`` filled (main first), and how they were decided."""

    findings: list[Finding]
    disagreements: list[dict] = field(default_factory=list)  # evidence's best vs the model's choice
    errors: list[dict] = field(default_factory=list)  # {finding_id, reason}: the model's answer was unusable
    llm: dict = field(default_factory=lambda: {"asked": 0, "answered": 0, "cached": 0, "failed": 0})
    decided_by: dict = field(default_factory=dict)  # finding_id -> "evidence" | "llm" | "none"


def finding_question(finding: Finding, candidates: list[str], taxonomy: Taxonomy) -> str:
    """The variable part of a finding's question: candidates, context, then the finding itself."""
    kind = "écart" if finding.kind == "breach" else "remarque"
    lines = ["Thèmes proposés : " + " ; ".join(f"{t} ({taxonomy.theme(t).label})" for t in candidates)]
    if finding.section:
        lines.append(f"Rubrique du rapport : {collapse_whitespace(finding.section)[:120]}")
    if finding.legal_refs:
        lines.append("Références : " + ", ".join(finding.legal_refs))
    lines.append(f"<constat type=\"{kind}\">\n{defuse(collapse_whitespace(finding.text), 'constat')}\n</constat>")
    return "\n".join(lines)


def needs_model(evidence: Evidence, ask_margin: float) -> bool:
    """Evidence is not enough: nothing matched, or the best two candidates are close."""
    if not evidence.candidates:
        return True
    return len(evidence.candidates) > 1 and evidence.margin() < ask_margin


def _themes_with_choice(choice: str, evidence: Evidence) -> list[str]:
    """The model's main theme first, then evidence's other themes."""
    others = [t for t in evidence_themes(evidence) if t != choice]
    return [choice, *others][:3]


def assign_finding_themes(reports: dict[str, tuple[str, ReportReading]], llm: StructuredLLM | None,
                          ask_margin: float | None = None,
                          taxonomy: Taxonomy | None = None) -> dict[str, FindingThemes]:
    """Themes (main first) of every finding of every report; all the model's questions in one batch.

    With ``llm=None`` evidence alone decides (a finding without any evidence keeps no theme). Where the
    model's choice differs from evidence's best candidate, the disagreement is recorded; where its answer
    is unusable (server down, invalid after one repair), evidence decides and the error is recorded."""
    taxonomy = taxonomy or load_taxonomy_config()
    ask_margin = ask_margin_setting() if ask_margin is None else ask_margin
    prompt = finding_prompt()
    evidence = {(rid, f.finding_id): finding_evidence(f.text, f.legal_refs, f.section, taxonomy)
                for rid, (_, reading) in reports.items() for f in reading.findings}
    questions: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}
    if llm is not None:
        for rid, (_, reading) in reports.items():
            for finding in reading.findings:
                ev = evidence[(rid, finding.finding_id)]
                if needs_model(ev, ask_margin):
                    candidates = tuple(ev.themes[:MAX_CANDIDATES]) or tuple(taxonomy.ids)
                    questions[(rid, finding.finding_id)] = (candidates, finding_question(finding, list(candidates), taxonomy))
    # Identical questions (a finding repeated in the summary table, a re-sent report) are asked once.
    distinct = list(dict.fromkeys(questions.values()))
    jobs = [lambda c=c, q=q: llm.ask(prompt.key, prompt.ask(q), finding_theme_model(c), q) for c, q in distinct]
    answers: dict[tuple, Answer] = dict(zip(distinct, llm.ask_many(jobs), strict=True)) if jobs else {}

    results: dict[str, FindingThemes] = {}
    for rid, (_, reading) in reports.items():
        out = FindingThemes(findings=[])
        for finding in reading.findings:
            key = (rid, finding.finding_id)
            ev = evidence[key]
            themes, decided = evidence_themes(ev), "evidence" if ev.candidates else "none"
            if key in questions:
                answer = answers[questions[key]]
                out.llm["asked"] += 1
                out.llm["cached"] += answer.cached
                if answer.value is None:
                    out.llm["failed"] += 1
                    out.errors.append({"finding_id": finding.finding_id, "reason": answer.error})
                else:
                    out.llm["answered"] += 1
                    choice = answer.value.theme
                    if ev.top is not None and choice != ev.top.theme:
                        out.disagreements.append({"finding_id": finding.finding_id, "evidence": ev.top.theme,
                                                  "llm": choice, "candidates": ev.themes[:MAX_CANDIDATES]})
                    themes, decided = _themes_with_choice(choice, ev), "llm"
            out.findings.append(dataclasses.replace(finding, themes=tuple(themes)))
            out.decided_by[finding.finding_id] = decided
        results[rid] = out
    return results


# -- reports ----------------------------------------------------------------------------------------------
@dataclass
class ReportClassification:
    themes: list[str]
    primary_theme: str | None
    severity: str
    evidence: list[dict]  # {"theme", "unit", "quote"}: quotes written by the pipeline from cited unit ids
    dropped_quotes: int = 0  # a quote not found verbatim in the text (0 by construction; the guard counts)
    llm_calls: int = 0
    source: str = "findings"  # findings | sentences | none
    error: str | None = None  # the model's answer for a report without findings was unusable


def _quote(text: str) -> str:
    """At most QUOTE_MAX characters of ``text``, cut on a word boundary: still a substring of it."""
    text = collapse_whitespace(text)
    if len(text) <= QUOTE_MAX:
        return text
    cut = text.rfind(" ", 0, QUOTE_MAX)
    return text[:cut if cut > QUOTE_MAX // 2 else QUOTE_MAX]


def severity_of(findings: list[Finding], measures: list[Measure]) -> str:
    """low: remarks or recommendations only; medium: an écart or a prescription; high: a major grade, an
    injonction or an immediate prescription; critical: a critical grade or an injonction to act at once."""
    level = 0
    for finding in findings:
        grade = GRADE_RANK.get((finding.grade or "").lower(), 0)
        level = max(level, 1 if finding.kind == "breach" else 0, {3: 3, 2: 2}.get(grade, 0))
    for measure in measures:
        immediate = measure.deadline_days is not None and measure.deadline_days <= 0
        if measure.kind == "injonction":
            level = max(level, 3 if immediate else 2)
        elif measure.kind == "prescription":
            level = max(level, 2 if immediate else 1)
    return SEVERITIES[level]


def _gravity(findings: list[Finding]) -> int:
    return max((GRADE_RANK.get((f.grade or "").lower(), 0) for f in findings), default=0)


def primary_of(findings: list[Finding]) -> str | None:
    """The main theme with the most écarts (all findings when there is no écart); on a tie, the gravest
    findings, then the most findings, then the first written."""
    themed = [f for f in findings if f.themes]
    pool = [f for f in themed if f.kind == "breach"] or themed
    if not pool:
        return None
    by_theme: dict[str, list[Finding]] = defaultdict(list)
    for finding in pool:
        by_theme[finding.themes[0]].append(finding)
    every = Counter(f.themes[0] for f in themed)
    first = {}
    for finding in sorted(themed, key=lambda f: f.start):
        first.setdefault(finding.themes[0], finding.start)
    return min(by_theme, key=lambda t: (-len(by_theme[t]), -_gravity(by_theme[t]), -every[t], first[t]))


def report_themes(findings: list[Finding], taxonomy: Taxonomy) -> list[str]:
    """Every theme of the findings, most findings (as main theme, then any) first."""
    main = Counter(f.themes[0] for f in findings if f.themes)
    anywhere = Counter(t for f in findings for t in f.themes)
    order = {t: i for i, t in enumerate(taxonomy.ids)}
    return sorted(anywhere, key=lambda t: (-main[t], -anywhere[t], order.get(t, 99)))


def _grounded_evidence(items: list[tuple[str, str, str]], text: str) -> tuple[list[dict], int]:
    evidence, dropped, seen = [], 0, set()
    for theme, unit, body in items:
        quote = _quote(body)
        if not is_grounded(quote, text):
            dropped += 1
            continue
        if (theme, quote) not in seen:
            seen.add((theme, quote))
            evidence.append({"theme": theme, "unit": unit, "quote": quote})
    return evidence, dropped


def from_findings(text: str, reading: ReportReading, taxonomy: Taxonomy | None = None) -> ReportClassification:
    """A report's classification from its themed findings and its measures (no model involved)."""
    taxonomy = taxonomy or load_taxonomy_config()
    findings = reading.findings
    themes = report_themes(findings, taxonomy)
    cited: list[tuple[str, str, str]] = []
    for theme in themes[:5]:  # one quote per theme: the first finding whose main theme it is, else any
        finding = next((f for f in findings if f.themes and f.themes[0] == theme), None) or \
            next(f for f in findings if theme in f.themes)
        cited.append((theme, finding.finding_id, finding.text))
    evidence, dropped = _grounded_evidence(cited, text)
    return ReportClassification(themes=themes, primary_theme=primary_of(findings),
                                severity=severity_of(findings, reading.measures), evidence=evidence,
                                dropped_quotes=dropped, source="findings" if findings else "none")


def candidate_sentences(text: str, taxonomy: Taxonomy, limit: int = MAX_SENTENCES) -> list[str]:
    """The sentences of a report most likely to state a finding: a deficiency word and theme keywords,
    best first by keyword evidence, in text order."""
    scored = []
    for index, sentence in enumerate(s for s in SENTENCE_SPLIT.split(text) if s and s.strip()):
        sentence = collapse_whitespace(sentence)
        if not (30 <= len(sentence) <= 600) or not DEFICIENCY.search(sentence):
            continue
        matched = keyword_matches(sentence, taxonomy)
        if matched:
            scored.append((sum(len(k) for k in matched.values()), index, sentence))
    best = sorted(scored, key=lambda s: -s[0])[:limit]
    return [s for _, _, s in sorted(best, key=lambda s: s[1])]


def _sentence_findings(sentences: list[str], taxonomy: Taxonomy) -> list[Finding]:
    """Pseudo-findings from numbered sentences: evidence-only themes (no model)."""
    findings = []
    for number, sentence in enumerate(sentences, start=1):
        themes = evidence_themes(finding_evidence(sentence, (), "", taxonomy), max_themes=1)
        if themes:
            findings.append(Finding(f"S{number}", "remark", number, "", sentence, (), None, 0, 0, themes=tuple(themes)))
    return findings


def sentences_question(sentences: list[str]) -> str:
    numbered = "\n".join(f"{i}. {defuse(s, 'phrases')}" for i, s in enumerate(sentences, start=1))
    return f"<phrases>\n{numbered}\n</phrases>"


def classify_reports(reports: dict[str, tuple[str, ReportReading]], llm: StructuredLLM | None,
                     taxonomy: Taxonomy | None = None,
                     ask_margin: float | None = None) -> dict[str, ReportClassification]:
    """``classify_report`` for many reports: findings not yet themed are themed first, and the questions
    of reports without findings go to the model in one batch."""
    taxonomy = taxonomy or load_taxonomy_config()
    unthemed = {rid: r for rid, r in reports.items() if any(not f.themes for f in r[1].findings)}
    themed = assign_finding_themes(unthemed, llm, ask_margin, taxonomy) if unthemed else {}
    readings = {rid: (dataclasses.replace(r[1], findings=themed[rid].findings) if rid in themed else r[1])
                for rid, r in reports.items()}
    results = {rid: from_findings(reports[rid][0], reading, taxonomy) for rid, reading in readings.items()}
    empty = {rid: candidate_sentences(reports[rid][0], taxonomy) for rid, reading in readings.items()
             if not reading.findings}
    empty = {rid: sentences for rid, sentences in empty.items() if sentences}
    if not empty:
        return results
    answers: dict[str, Answer] = {}
    if llm is not None:
        prompt = sentences_prompt()
        ids = tuple(taxonomy.ids)
        order = list(empty)
        jobs = [lambda s=empty[rid]: llm.ask(prompt.key, prompt.ask(sentences_question(s)),
                                             report_sentences_model(len(s), ids), sentences_question(s))
                for rid in order]
        answers = dict(zip(order, llm.ask_many(jobs), strict=True))
    for rid, sentences in empty.items():
        answer = answers.get(rid)
        error = None
        if answer is not None and answer.value is not None:
            findings = [Finding(f"S{item.phrase}", "remark", item.phrase, "", sentences[item.phrase - 1], (), None,
                                0, 0, themes=(item.theme,)) for item in answer.value.constats]
            source = "sentences"
        else:
            error = answer.error if answer is not None else None
            findings = _sentence_findings(sentences, taxonomy)
            source = "sentences"
        base = from_findings(reports[rid][0], ReportReading(findings=findings, measures=readings[rid].measures),
                             taxonomy)
        results[rid] = dataclasses.replace(base, llm_calls=int(answer is not None and not answer.cached),
                                           source=source if findings else "none", error=error)
    return results


def classify_report(text: str, reading: ReportReading, llm: StructuredLLM | None) -> ReportClassification:
    """Themes, primary theme, severity and grounded evidence of one report (see ``classify_reports``)."""
    return classify_reports({"report": (text, reading)}, llm)["report"]
