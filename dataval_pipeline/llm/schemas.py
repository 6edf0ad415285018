"""What the LLM must answer, as pydantic models; theme ids come from the configured taxonomy."""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field, create_model

from dataval_pipeline.config import theme_ids
from dataval_pipeline.contracts.model import column_enum

# The enums of the products these answers become (one source of truth: the contracts).
Severity = Literal[column_enum("report_classifications", "severity")]  # type: ignore[valid-type]
Trigger = Literal[column_enum("extracted_facts", "trigger")]  # type: ignore[valid-type]


@functools.cache
def report_analysis_model() -> type[BaseModel]:
    """The answer schema, with the taxonomy's ids as an enum (constrained decoding keeps them valid)."""
    theme = Literal[tuple(theme_ids())]  # type: ignore[valid-type]
    evidence = create_model("Evidence", theme=(theme, ...), quote=(str, Field(max_length=200)))
    return create_model(
        "ReportAnalysis",
        # Bounded lists keep a small model from enumerating the whole taxonomy (and running out of tokens).
        themes=(list[theme], Field(min_length=1, max_length=5)),
        primary_theme=(theme, ...),
        severity=(Severity, ...),
        trigger=(Trigger, ...),
        unannounced=(bool, ...),
        evidence=(list[evidence], Field(max_length=3)),
        # Facts stated in prose, cross-checked against the rules of dataval_pipeline.facts: null when absent.
        # Deliberately loose (no pattern, no bounds): a badly written fact must not cost the report its
        # classification; extracted_facts keeps a value only if the text supports it.
        trigger_quote=(str | None, Field(default=None, max_length=300)),
        inspection_date=(str | None, Field(default=None, max_length=40)),
        capacity=(int | None, None),
        residents_present=(int | None, None),
        care_fte=(float | None, None),
        medec_fte=(float | None, None),
        night_staff=(int | None, None),
    )


# The facts of the answer that ``extracted_facts`` cross-checks with its rules.
LLM_FACT_FIELDS = ("inspection_date", "capacity", "residents_present", "care_fte", "medec_fte", "night_staff")


def schema_hash(model: type[BaseModel]) -> str:
    return hashlib.sha256(json.dumps(model.model_json_schema(), sort_keys=True).encode()).hexdigest()[:12]


@functools.cache
def finding_theme_model(candidates: tuple[str, ...]) -> type[BaseModel]:
    """One finding's main theme: an enum of the candidate ids (constrained decoding: a few tokens out)."""
    return create_model("FindingTheme", theme=(Literal[candidates], ...))  # type: ignore[valid-type]


def _distinct_sentences(value: BaseModel) -> BaseModel:
    ids = [item.phrase for item in value.constats]
    if len(ids) != len(set(ids)):
        raise ValueError(f"sentence ids repeated: {sorted({i for i in ids if ids.count(i) > 1})}")
    return value


@functools.cache
def report_sentences_model(sentences: int, themes: tuple[str, ...]) -> type[BaseModel]:
    """Findings of a report that numbers none, cited by the id (1..``sentences``) of a numbered sentence:
    an id out of range is not in the enum, a repeated id fails validation (then one repair, then
    quarantine). The model never types text: the pipeline writes the quote from the id."""
    from pydantic import model_validator

    item = create_model("SentenceFinding", phrase=(Literal[tuple(range(1, sentences + 1))], ...),  # type: ignore[valid-type]
                        theme=(Literal[themes], ...))  # type: ignore[valid-type]
    return create_model(
        "ReportSentences",
        constats=(list[item], Field(max_length=5, json_schema_extra={"uniqueItems": True})),
        __validators__={"distinct": model_validator(mode="after")(_distinct_sentences)},
    )
