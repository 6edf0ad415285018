"""The LLM's part: for ONE unit the rules are unsure about, which of its candidate signals it states, if any.

The fixed part of every request (instructions and the whole vocabulary) comes first and is identical, so
the server computes its prefix once; the unit and its candidates come last. The answer is an enum of the
candidate ids plus "none" (constrained decoding keeps it valid); the model never writes a quote, the
pipeline quotes the unit it asked about.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, create_model

from dataval_pipeline.llm.prompts import FRAME_TAG
from dataval_pipeline.signals.vocabulary import Vocabulary

PROMPT_FILE = Path(__file__).resolve().parents[1] / "prompts" / "signal_question.v1.md"
PROMPT_VERSION = "signal_question.v1"
NONE = "none"
MAX_PASSAGE_CHARS = 1200


@dataclass(frozen=True)
class Question:
    report_id: str
    unit_index: int
    text: str
    candidates: tuple[str, ...]


@functools.cache
def system_prompt(vocabulary: Vocabulary) -> str:
    # Labels only: the fixed part is sent with every question, and the embedded server is slow to read it.
    listing = "\n".join(f"- {s.id} : {s.label}" for s in vocabulary.signals)
    return PROMPT_FILE.read_text(encoding="utf-8").replace("{signals}", listing)


def prompt_key(vocabulary: Vocabulary) -> str:
    return f"{PROMPT_VERSION}.{hashlib.sha256(system_prompt(vocabulary).encode()).hexdigest()[:12]}"


@functools.cache
def answer_model(candidates: tuple[str, ...]) -> type[BaseModel]:
    choice = Literal[tuple([*candidates, NONE])]  # type: ignore[valid-type]
    return create_model("SignalAnswer", signal=(choice, ...))


def messages(vocabulary: Vocabulary, question: Question) -> list[dict]:
    passage = FRAME_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"),
                            " ".join(question.text.split())[:MAX_PASSAGE_CHARS])
    choices = ", ".join([*question.candidates, NONE])
    return [
        {"role": "system", "content": system_prompt(vocabulary)},
        {"role": "user", "content": f"<rapport>\n{passage}\n</rapport>\n\nChoix possibles : {choices}."},
    ]


def ask_all(llm, vocabulary: Vocabulary, questions: list[Question]) -> list[tuple[str | None, str | None]]:
    """(chosen signal or None, error or None) per question, all sent in one ``ask_many``."""
    if not questions:
        return []
    key = prompt_key(vocabulary)

    def job(question: Question):
        model = answer_model(question.candidates)
        text = f"{question.text}\x1f{','.join(question.candidates)}"
        return lambda: llm.ask(key, messages(vocabulary, question), model, text)

    answers = llm.ask_many([job(q) for q in questions])
    results = []
    for answer in answers:
        if answer.value is None:
            results.append((None, answer.error or "no answer"))
        else:
            chosen = answer.value.signal
            results.append((None if chosen == NONE else chosen, None))
    return results
