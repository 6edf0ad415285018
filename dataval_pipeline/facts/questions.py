"""The LLM for the facts the rules cannot decide, asked narrowly.

One small question per missing or ambiguous fact, over the few sentences that hold its candidates
(numbered, the candidate value marked): the model answers a candidate's number, from a constrained enum,
or "none". Its answer is grounded by construction (the quote is the pipeline's, written from the
number) and costs a few tokens. The instructions come first and are identical for every question (the
server computes that prefix once per slot); the question and its sentences come last. Every question of
every report goes to the server in one ``ask_many``, so its parallel slots stay full.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, create_model

from dataval_pipeline.facts.rules import Candidate, Document, load_config
from dataval_pipeline.ingest.normalise import collapse_whitespace
from dataval_pipeline.llm.client import StructuredLLM

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
PROMPT_NAME = "fact_question"
PROMPT_VERSION = "v1"
NONE = "none"
SENTENCE_MAX = 260
OPEN, CLOSE = "⟦", "⟧"


@dataclass(frozen=True)
class QuestionPrompt:
    system: str

    @property
    def key(self) -> str:
        return f"{PROMPT_NAME}.{PROMPT_VERSION}.{hashlib.sha256(self.system.encode()).hexdigest()[:12]}"


@functools.cache
def load_prompt() -> QuestionPrompt:
    return QuestionPrompt((PROMPTS_DIR / f"{PROMPT_NAME}.{PROMPT_VERSION}.md").read_text(encoding="utf-8").strip())


@functools.cache
def answer_model(choices: int) -> type[BaseModel]:
    """``{"answer": "1" … "n" | "none"}``: a constrained enum, so the model can only name a candidate."""
    ids = tuple(str(i) for i in range(1, choices + 1)) + (NONE,)
    return create_model(f"FactAnswer{choices}", answer=(Literal[ids], ...))  # type: ignore[valid-type]


@dataclass(frozen=True)
class Question:
    report_id: str
    field: str
    candidates: tuple[Candidate, ...]  # numbered from 1
    sentences: tuple[str, ...]  # what the model reads, the candidate marked

    def user_message(self) -> str:
        question = load_config().questions["fields"][self.field]
        lines = "\n".join(f"{i}. {s}" for i, s in enumerate(self.sentences, start=1))
        return f"Question : {question}\n\nPhrases candidates :\n{lines}"

    def messages(self, prompt: QuestionPrompt) -> list[dict]:
        return [{"role": "system", "content": prompt.system}, {"role": "user", "content": self.user_message()}]


def marked_sentence(doc: Document, candidate: Candidate) -> str:
    """The candidate's sentence, the value between ⟦ ⟧, clipped around it."""
    s, e = doc.sentence(candidate.start, candidate.end)
    s = max(s, candidate.start - SENTENCE_MAX // 2)
    e = min(e, candidate.end + SENTENCE_MAX // 2)
    text = doc.text
    marked = text[s:candidate.start] + OPEN + text[candidate.start:candidate.end] + CLOSE + text[candidate.end:e]
    return collapse_whitespace(marked.replace(OPEN + " ", OPEN))


def build_question(report_id: str, doc: Document, field: str, candidates: list[Candidate]) -> Question:
    top = tuple(candidates[: int(load_config().questions.get("max_candidates", 5))])
    return Question(report_id, field, top, tuple(marked_sentence(doc, c) for c in top))


@dataclass(frozen=True)
class QuestionAnswer:
    question: Question
    choice: Candidate | None  # None: the model answered "none", or gave no valid answer
    answered: bool  # False: no valid answer after one repair (dropped)
    error: str | None = None


def ask_all(llm: StructuredLLM, questions: list[Question]) -> list[QuestionAnswer]:
    """Every question of every report in one batch; answers in the questions' order."""
    if not questions:
        return []
    prompt = load_prompt()

    def job(question: Question):
        model = answer_model(len(question.candidates))
        messages = question.messages(prompt)
        return lambda: llm.ask(prompt.key, messages, model, messages[-1]["content"])

    answers = llm.ask_many([job(q) for q in questions])
    results = []
    for question, answer in zip(questions, answers, strict=True):
        if answer.value is None:
            results.append(QuestionAnswer(question, None, False, answer.error))
            continue
        picked = answer.value.answer
        choice = None if picked == NONE else question.candidates[int(picked) - 1]
        results.append(QuestionAnswer(question, choice, True))
    return results
