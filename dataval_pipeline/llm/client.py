"""Structured answers from any OpenAI-compatible server (vLLM, SGLang, DeepSeek's API, llama.cpp).

- JSON-schema constrained output where the server enforces it, else JSON mode plus validation (the
  client switches once, on the server's 400, and remembers);
- DeepSeek-R1 reasoning (``<think>…</think>`` or a ``reasoning_content`` field) is ignored;
- one repair call that sends the validation error back, then the answer is quarantined with its reason;
- retries with exponential backoff and jitter on 429, 5xx, connection errors and timeouts;
- a persistent cache keyed by (model, prompt, schema, input): an unchanged report costs no call;
- bounded concurrency, so many reports are in flight and the server batches them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import openai
from pydantic import BaseModel, ValidationError

from dataval_pipeline.llm.schemas import schema_hash

THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
RETRYABLE = (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError, openai.InternalServerError)
DEFAULT_CONCURRENCY = 4  # the embedded server's parallel slots


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str = "not-needed"
    concurrency: int = DEFAULT_CONCURRENCY
    timeout_s: float = 300.0
    max_attempts: int = 4
    backoff_s: float = 1.0
    max_tokens: int = 768
    temperature: float = 0.0
    # Server-specific request fields (DATAVAL_LLM_EXTRA_BODY, JSON), e.g. {"chat_template_kwargs":
    # {"enable_thinking": false}} for a vLLM model with a thinking switch.
    extra_body: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None) -> "LLMSettings":
        base_url = base_url or os.environ.get("DATAVAL_LLM_BASE_URL")
        if not base_url:
            raise RuntimeError("no LLM endpoint: set DATAVAL_LLM_BASE_URL (e.g. start `dataval llm serve` and use "
                               "http://127.0.0.1:8765/v1)")
        return cls(
            base_url=base_url,
            model=model or os.environ.get("DATAVAL_LLM_MODEL", "default"),
            api_key=os.environ.get("DATAVAL_LLM_API_KEY", "not-needed"),
            concurrency=int(os.environ.get("DATAVAL_LLM_CONCURRENCY", DEFAULT_CONCURRENCY)),
            extra_body=json.loads(os.environ.get("DATAVAL_LLM_EXTRA_BODY") or "{}"),
        )


@dataclass
class CallStats:
    """What a materialisation reports: calls, cache hits, tokens, latency, failures."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies_s: list[float] = field(default_factory=list)
    schema_failures: int = 0
    repairs: int = 0
    quarantined: int = 0
    json_mode_fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                if name == "latency_s":
                    self.latencies_s.append(value)
                else:
                    setattr(self, name, getattr(self, name) + value)

    def percentile(self, q: float) -> float:
        if not self.latencies_s:
            return 0.0
        if len(self.latencies_s) == 1:
            return self.latencies_s[0]
        return statistics.quantiles(self.latencies_s, n=100, method="inclusive")[int(q) - 1]


@dataclass(frozen=True)
class Answer:
    value: BaseModel | None
    error: str | None = None
    cached: bool = False


class ResponseCache:
    """Validated answers on disk, one JSON file per key (atomic writes; safe across processes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def put(self, key: str, value: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def extract_json(content: str) -> str:
    """The JSON object of an answer, without reasoning blocks or Markdown fences around it."""
    content = THINK.sub("", content or "").strip()
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if start != -1 and end > start else content


class StructuredLLM:
    def __init__(self, settings: LLMSettings, cache: ResponseCache | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.cache = cache
        self.stats = CallStats()
        self._sleep = sleep
        self._json_schema_supported = True
        self._client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key,
                                     timeout=settings.timeout_s, max_retries=0)

    def cache_key(self, prompt_key: str, model: type[BaseModel], text: str) -> str:
        parts = [self.settings.model, prompt_key, schema_hash(model), hashlib.sha256(text.encode()).hexdigest()]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    # -- one request -----------------------------------------------------------------------------------------
    def _response_format(self, model: type[BaseModel]) -> dict:
        if self._json_schema_supported:
            return {"type": "json_schema",
                    "json_schema": {"name": model.__name__, "schema": model.model_json_schema(), "strict": True}}
        return {"type": "json_object"}

    def _create(self, messages: list[dict], model: type[BaseModel]) -> str:
        """One chat completion with retries; returns the message content."""
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._client.chat.completions.create(
                    model=self.settings.model, messages=messages, response_format=self._response_format(model),
                    max_tokens=self.settings.max_tokens, temperature=self.settings.temperature,
                    extra_body=self.settings.extra_body or None,
                )
            except openai.BadRequestError as error:
                message = str(error).lower()
                if self._json_schema_supported and ("response_format" in message or "json_schema" in message):
                    self._json_schema_supported = False  # e.g. DeepSeek's API: JSON mode only
                    self.stats.add(json_mode_fallbacks=1)
                    continue
                raise
            except RETRYABLE:
                attempt += 1
                if attempt >= self.settings.max_attempts:
                    raise
                self.stats.add(retries=1)
                self._sleep(self.settings.backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))
                continue
            usage = response.usage
            self.stats.add(calls=1, latency_s=time.perf_counter() - started,
                           prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                           completion_tokens=getattr(usage, "completion_tokens", 0) or 0)
            return response.choices[0].message.content or ""

    def ask(self, prompt_key: str, messages: list[dict], model: type[BaseModel], text: str,
            validate: Callable[[BaseModel], None] | None = None) -> Answer:
        """A validated answer for ``text``, from the cache when possible; never raises for bad output."""
        key = self.cache_key(prompt_key, model, text)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.stats.add(cache_hits=1)
            return Answer(model.model_validate(hit), cached=True)
        try:
            content = self._create(messages, model)
            try:
                value = self._validated(content, model, validate)
            except (ValidationError, ValueError) as error:
                self.stats.add(schema_failures=1, repairs=1)
                repair = [*messages, {"role": "assistant", "content": content},
                          {"role": "user", "content": "Ta réponse n'est pas valide : "
                           f"{_short(error)}. Réponds uniquement par l'objet JSON corrigé, conforme au schéma."}]
                content = self._create(repair, model)
                try:
                    value = self._validated(content, model, validate)
                except (ValidationError, ValueError) as second:
                    self.stats.add(schema_failures=1, quarantined=1)
                    return Answer(None, f"invalid answer after one repair: {_short(second)}")
        except RETRYABLE as error:
            self.stats.add(quarantined=1)
            return Answer(None, f"LLM server unavailable after {self.settings.max_attempts} attempts "
                                f"({type(error).__name__})")
        except openai.APIStatusError as error:
            self.stats.add(quarantined=1)
            return Answer(None, f"LLM server refused the request (HTTP {error.status_code})")
        if self.cache is not None:
            self.cache.put(key, value.model_dump(mode="json"))
        return Answer(value)

    @staticmethod
    def _validated(content: str, model: type[BaseModel], validate: Callable[[BaseModel], None] | None) -> BaseModel:
        value = model.model_validate_json(extract_json(content))
        if validate is not None:
            validate(value)
        return value

    def ask_many(self, jobs: Sequence[Callable[[], Answer]]) -> list[Answer]:
        """Run ``jobs`` with bounded concurrency, results in order."""
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            return list(pool.map(lambda job: job(), jobs))


def _short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
    return str(error)[:300]
