"""The one-prompt-per-report analysis (prompt report_analysis.v2): split long reports on sections, ground
the quotes the model typed, merge the answers.

No asset uses it any more: themes come one finding at a time (``dataval_pipeline.themes``) and facts from
narrow questions (``dataval_pipeline.facts``). It stays as the baseline ``bench/llm.py`` measures the new
way against, and as the home of ``is_grounded``, the exact-substring guard every quote still passes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pydantic import BaseModel

from dataval_pipeline.contracts.model import column_enum
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.client import Answer, StructuredLLM
from dataval_pipeline.llm.prompts import Prompt
from dataval_pipeline.llm.schemas import LLM_FACT_FIELDS, report_analysis_model

# Characters of report per call: ~3 characters per token in French, leaving room for prompt and answer
# in a 4,096-token slot. A strong production model can take far more (DATAVAL_LLM_MAX_CHARS).
DEFAULT_MAX_CHARS = 6_000
SECTION_START = re.compile(
    r"(?<=\n)(?=(?:\d+\.\s+[A-ZÉ]|Introduction|Informations préalables|Conclusion|Annexe|Synthèse|Constats|Attendus))"
)
SEVERITY_ORDER = list(column_enum("report_classifications", "severity"))  # mildest first (the contract)


def split_sections(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """Consecutive pieces of at most ``max_chars``, cut at section headings, then pages, then paragraphs."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    for section in SECTION_START.split(text):
        while len(section) > max_chars:
            window = section[:max_chars]
            cut = max(window.rfind("\f"), window.rfind("\n\n"), window.rfind("\n"))
            cut = cut if cut > max_chars // 4 else max_chars
            pieces.append(section[:cut])
            section = section[cut:]
        if pieces and len(pieces[-1]) + len(section) <= max_chars:
            pieces[-1] += section
        elif section.strip():
            pieces.append(section)
    return pieces


def is_grounded(quote: str, text: str) -> bool:
    """A quote counts only if it is an exact substring of the text (whitespace normalised)."""
    quote = collapse_whitespace(quote)
    return len(quote) >= 8 and quote in collapse_whitespace(text)


@dataclass
class Analysis:
    """The merged answer for one report, with what was dropped on the way."""

    themes: list[str]
    primary_theme: str
    severity: str
    trigger: str
    unannounced: bool
    evidence: list[dict]
    dropped_quotes: int
    calls: int
    trigger_quote: str | None = None
    facts: dict = field(default_factory=dict)  # LLM_FACT_FIELDS as stated by the model, not yet checked


def merge(answers: list[BaseModel], text: str) -> Analysis:
    """One answer from the answers of a report's pieces: themes by votes, the gravest severity."""
    votes: Counter[str] = Counter()
    primaries: Counter[str] = Counter()
    evidence, dropped, seen = [], 0, set()
    for answer in answers:
        votes.update(dict.fromkeys(answer.themes, 1))
        primaries[answer.primary_theme] += 1
        for item in answer.evidence:
            quote = collapse_whitespace(item.quote)
            if not is_grounded(quote, text):
                dropped += 1
            elif (item.theme, quote) not in seen:
                seen.add((item.theme, quote))
                evidence.append({"theme": item.theme, "quote": quote})
    primary = primaries.most_common(1)[0][0]
    themes = [t for t, _ in votes.most_common()]
    if primary not in themes:
        themes.insert(0, primary)
    first = answers[0]  # the introduction (trigger, announced or not) is in the first piece
    # A fact stated in several pieces: the first piece that states it wins (the introduction comes first).
    facts = {name: next((getattr(a, name) for a in answers if getattr(a, name) is not None), None)
             for name in LLM_FACT_FIELDS}
    return Analysis(
        themes=themes, primary_theme=primary,
        severity=max((a.severity for a in answers), key=SEVERITY_ORDER.index),
        trigger=first.trigger, unannounced=first.unannounced,
        evidence=evidence, dropped_quotes=dropped, calls=len(answers),
        trigger_quote=first.trigger_quote, facts=facts,
    )


def analyse_reports(llm: StructuredLLM, prompt: Prompt, texts: dict[str, str],
                    max_chars: int = DEFAULT_MAX_CHARS) -> dict[str, Analysis | str]:
    """Analysis per report id, or the quarantine reason; every piece of every report in flight at once."""
    model = report_analysis_model()
    pieces = {report_id: split_sections(text, max_chars) for report_id, text in texts.items()}
    # Identical pieces (a re-sent copy of a report) are asked once: concurrent twins would both miss the cache.
    distinct = list(dict.fromkeys(piece for report_pieces in pieces.values() for piece in report_pieces))
    jobs = [lambda piece=piece: llm.ask(prompt.key, prompt.messages(piece), model, piece) for piece in distinct]
    by_piece = dict(zip(distinct, llm.ask_many(jobs), strict=True))
    answers: dict[str, list[Answer]] = {report_id: [by_piece[p] for p in report_pieces]
                                        for report_id, report_pieces in pieces.items()}
    results: dict[str, Analysis | str] = {}
    for report_id, report_answers in answers.items():
        errors = [a.error for a in report_answers if a.value is None]
        if errors or not report_answers:
            results[report_id] = errors[0] if errors else "empty report text"
        else:
            results[report_id] = merge([a.value for a in report_answers], texts[report_id])
    return results
