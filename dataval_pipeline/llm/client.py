"""Structured answers from any OpenAI-compatible server (vLLM, SGLang, DeepSeek's API, llama.cpp).

- JSON-schema constrained output where the server enforces it, else JSON mode plus validation (the
  client switches once, on the server's 400, and remembers);
- DeepSeek-R1 reasoning (``<think>…</think>`` or a ``reasoning_content`` field) is ignored;
- one repair call that sends the validation error back (with at most ``REPAIR_ECHO_CHARS`` of the bad
  answer), then the answer is an error with its reason;
- retries with exponential backoff and jitter on 429, 5xx, connection errors, timeouts and malformed bodies
  (empty, ``null``, HTML, no ``choices``); each request has an overall deadline (``DATAVAL_LLM_TIMEOUT_S``)
  that a server dripping its answer byte by byte cannot stretch, and a body larger than
  ``MAX_RESPONSE_BYTES`` is cut off;
- every failure of a request is that request's answer (``Answer.error``), never an exception out of the run,
  except configuration errors (401, 403, 404, an unknown model): those raise ``LLMConfigurationError`` at
  once, since every other request would fail the same way;
- a persistent cache keyed by (model, prompt, schema, input) holding only answers that passed validation
  (grounding included): an unchanged report costs no call, and a cached answer that no longer passes the
  caller's validation is asked again, not trusted;
- bounded concurrency, so many reports are in flight and the server batches them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import openai
from pydantic import BaseModel, ValidationError

from dataval_pipeline.llm.schemas import schema_hash

THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
RETRYABLE = (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError, openai.InternalServerError)
DEFAULT_CONCURRENCY = 4  # the embedded server's parallel slots
DEFAULT_TIMEOUT_S = 180.0  # overall, per request: a 6,000-character piece on 2 CPU cores with 4 in flight
TIMEOUT_ATTEMPTS = 2  # a request that ran out of time is tried once more, not max_attempts times
MAX_RESPONSE_BYTES = 4 << 20  # far above any answer of max_tokens tokens
REPAIR_ECHO_CHARS = 2_000  # of a bad answer sent back in the repair request
_MODEL_MISSING = re.compile(r"model.{0,80}(not found|does not exist|unknown|not available|no such)|"
                            r"(unknown|invalid) model", re.IGNORECASE | re.DOTALL)


class LLMConfigurationError(RuntimeError):
    """The endpoint refuses every request (key, permissions, URL or model name): fail the run, say why."""


class MalformedAnswer(Exception):
    """A 200 answer that is not a chat completion (empty, ``null``, HTML, no ``choices``)."""


class AnswerTooLarge(Exception):
    """The server sent more than ``MAX_RESPONSE_BYTES``."""


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str = "not-needed"
    concurrency: int = DEFAULT_CONCURRENCY
    timeout_s: float = DEFAULT_TIMEOUT_S  # overall deadline of one request (connection, waiting, whole body)
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
        try:
            timeout_s = float(os.environ.get("DATAVAL_LLM_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
            extra_body = json.loads(os.environ.get("DATAVAL_LLM_EXTRA_BODY") or "{}")
        except ValueError as error:
            raise LLMConfigurationError(f"DATAVAL_LLM_TIMEOUT_S or DATAVAL_LLM_EXTRA_BODY is invalid: {error}") from None
        if timeout_s <= 0:
            raise LLMConfigurationError("DATAVAL_LLM_TIMEOUT_S must be a positive number of seconds")
        return cls(
            base_url=base_url,
            model=model or os.environ.get("DATAVAL_LLM_MODEL", "default"),
            api_key=os.environ.get("DATAVAL_LLM_API_KEY", "not-needed"),
            concurrency=int(os.environ.get("DATAVAL_LLM_CONCURRENCY", DEFAULT_CONCURRENCY)),
            timeout_s=timeout_s,
            extra_body=extra_body,
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
    malformed: int = 0  # 200 answers that were not a chat completion
    deadlines: int = 0  # requests cut at their overall deadline
    cache_rejected: int = 0  # cached answers that no longer passed validation (asked again)
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


_request_deadline = threading.local()  # set around each request by StructuredLLM, read by the HTTP client


class DeadlineHTTPClient(openai.DefaultHttpxClient):
    """The SDK's HTTP client with an overall deadline per request and a cap on the body size.

    httpx timeouts apply to each read, so a server that sends one byte a second never trips them. Here a
    timer shuts the request's socket down when the deadline passes, whatever the request is doing
    (connecting, waiting for headers, reading a dripping body); the SDK then sees a timeout. Connections
    are not kept alive, so each request owns its socket (LLM requests last seconds: a new local or TLS
    connection per request costs little)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("limits", httpx2.Limits(max_connections=None, max_keepalive_connections=0))
        super().__init__(**kwargs)

    def send(self, request: httpx2.Request, *, stream: bool = False, **kwargs) -> httpx2.Response:
        deadline = getattr(_request_deadline, "at", None)
        if deadline is None or stream:
            return super().send(request, stream=stream, **kwargs)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpx2.ReadTimeout("overall request deadline reached", request=request)
        sockets: list[socket.socket] = []
        expired = threading.Event()

        def trace(event: str, info: dict) -> None:
            if event.endswith("connect_tcp.complete") and info.get("return_value") is not None:
                sockets.append(info["return_value"].get_extra_info("socket"))

        def expire() -> None:
            expired.set()
            for sock in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        request.extensions = {**request.extensions, "trace": trace}
        timer = threading.Timer(remaining, expire)
        timer.daemon = True
        timer.start()
        try:
            response = super().send(request, stream=True, **kwargs)
            try:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise AnswerTooLarge(f"answer larger than {MAX_RESPONSE_BYTES // (1 << 20)} MB")
                    chunks.append(chunk)
                    if expired.is_set():
                        break
            finally:
                response.close()
        except (httpx2.HTTPError, OSError) as error:
            if expired.is_set():
                raise httpx2.ReadTimeout("overall request deadline reached", request=request) from error
            raise
        finally:
            timer.cancel()
        if expired.is_set():
            raise httpx2.ReadTimeout("overall request deadline reached", request=request)
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        whole = httpx2.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request)
        whole.elapsed = response.elapsed
        return whole


def parse_completion(body: bytes) -> tuple[str, dict]:
    """The message content and usage of a chat completion body; ``MalformedAnswer`` with the reason if the
    body is not one."""
    if not body.strip():
        raise MalformedAnswer("empty body")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        head = body[:200].lstrip().lower()
        kind = "an HTML page" if head.startswith((b"<!doctype", b"<html")) else "not JSON"
        raise MalformedAnswer(f"body is {kind}") from None
    if not isinstance(payload, dict):
        raise MalformedAnswer(f"body is JSON {type(payload).__name__ if payload is not None else 'null'}, "
                              "not a completion")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedAnswer("completion without choices")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise MalformedAnswer("completion without a message")
    content = message.get("content")
    if content is None and isinstance(message.get("reasoning_content"), str):
        content = ""  # a reasoning model that only thought: an empty answer, validated (and repaired) as such
    if not isinstance(content, str):
        raise MalformedAnswer("message without text content")
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
    return content, usage


class StructuredLLM:
    def __init__(self, settings: LLMSettings, cache: ResponseCache | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.cache = cache
        self.stats = CallStats()
        self._sleep = sleep
        self._json_schema_supported = True
        self._fatal: LLMConfigurationError | None = None
        self._client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key,
                                     timeout=settings.timeout_s, max_retries=0, http_client=DeadlineHTTPClient(
                                         timeout=httpx2.Timeout(settings.timeout_s), follow_redirects=True))

    def cache_key(self, prompt_key: str, model: type[BaseModel], text: str) -> str:
        parts = [self.settings.model, prompt_key, schema_hash(model), hashlib.sha256(text.encode()).hexdigest()]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    # -- one request -----------------------------------------------------------------------------------------
    def _response_format(self, model: type[BaseModel]) -> dict:
        if self._json_schema_supported:
            return {"type": "json_schema",
                    "json_schema": {"name": model.__name__, "schema": model.model_json_schema(), "strict": True}}
        return {"type": "json_object"}

    def _configuration_error(self, error: openai.APIStatusError) -> LLMConfigurationError:
        what = {401: "the API key was refused (DATAVAL_LLM_API_KEY)",
                403: "the API key may not use this endpoint or model (DATAVAL_LLM_API_KEY, DATAVAL_LLM_MODEL)",
                404: f"no such route or model at {self.settings.base_url} (DATAVAL_LLM_BASE_URL, DATAVAL_LLM_MODEL "
                     f"= {self.settings.model!r})"}.get(error.status_code,
                                                         f"the server does not know the model {self.settings.model!r} "
                                                         "(DATAVAL_LLM_MODEL)")
        fatal = LLMConfigurationError(f"LLM endpoint misconfigured: {what}; HTTP {error.status_code}: "
                                      f"{_short_message(error)}")
        self._fatal = self._fatal or fatal
        return self._fatal

    def _create(self, messages: list[dict], model: type[BaseModel]) -> str:
        """One chat completion with retries; returns the message content."""
        attempt = timeouts = 0
        while True:
            if self._fatal is not None:
                raise self._fatal
            started = time.perf_counter()
            _request_deadline.at = time.monotonic() + self.settings.timeout_s
            try:
                raw = self._client.chat.completions.with_raw_response.create(
                    model=self.settings.model, messages=messages, response_format=self._response_format(model),
                    max_tokens=self.settings.max_tokens, temperature=self.settings.temperature,
                    extra_body=self.settings.extra_body or None,
                )
                content, usage = parse_completion(raw.http_response.content)
            except openai.BadRequestError as error:
                message = _short_message(error).lower()
                if self._json_schema_supported and ("response_format" in message or "json_schema" in message):
                    self._json_schema_supported = False  # e.g. DeepSeek's API: JSON mode only
                    self.stats.add(json_mode_fallbacks=1)
                    continue
                if _MODEL_MISSING.search(message):
                    raise self._configuration_error(error) from None
                raise
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as error:
                raise self._configuration_error(error) from None
            except (*RETRYABLE, MalformedAnswer) as error:
                attempt += 1
                if isinstance(error, openai.APITimeoutError):
                    timeouts += 1
                    self.stats.add(deadlines=1)
                if isinstance(error, MalformedAnswer):
                    self.stats.add(malformed=1)
                if attempt >= self.settings.max_attempts or timeouts >= TIMEOUT_ATTEMPTS:
                    raise
                self.stats.add(retries=1)
                self._sleep(self.settings.backoff_s * 2 ** (attempt - 1) * (0.5 + random.random()))
                continue
            finally:
                _request_deadline.at = None
            self.stats.add(calls=1, latency_s=time.perf_counter() - started,
                           prompt_tokens=_int(usage.get("prompt_tokens")),
                           completion_tokens=_int(usage.get("completion_tokens")))
            return content

    def ask(self, prompt_key: str, messages: list[dict], model: type[BaseModel], text: str,
            validate: Callable[[BaseModel], None] | None = None) -> Answer:
        """A validated answer for ``text``, from the cache when it still validates; never raises for a bad
        answer or a failed request (``Answer.error`` says why), raises ``LLMConfigurationError`` when the
        endpoint refuses every request. ``validate`` (grounding) signals a bad answer by raising ``ValueError``
        (or a pydantic ``ValidationError``); such an answer is repaired once, never cached."""
        if self._fatal is not None:
            raise self._fatal
        key = self.cache_key(prompt_key, model, text)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            try:
                value = model.model_validate(hit)
                if validate is not None:
                    validate(value)
            except (ValidationError, ValueError):
                self.stats.add(cache_rejected=1)  # cached before a stricter check: not trusted, asked again
            else:
                self.stats.add(cache_hits=1)
                return Answer(value, cached=True)
        try:
            content = self._create(messages, model)
            try:
                value = self._validated(content, model, validate)
            except (ValidationError, ValueError) as error:
                self.stats.add(schema_failures=1, repairs=1)
                repair = [*messages, {"role": "assistant", "content": _echo(content)},
                          {"role": "user", "content": "Ta réponse n'est pas valide : "
                           f"{_short(error)}. Réponds uniquement par l'objet JSON corrigé, conforme au schéma."}]
                content = self._create(repair, model)
                try:
                    value = self._validated(content, model, validate)
                except (ValidationError, ValueError) as second:
                    self.stats.add(schema_failures=1, quarantined=1)
                    return Answer(None, f"invalid answer after one repair: {_short(second)}")
        except MalformedAnswer as error:
            self.stats.add(quarantined=1)
            return Answer(None, f"malformed answers from the LLM server ({error}) after "
                                f"{self.settings.max_attempts} attempts")
        except openai.APITimeoutError:
            self.stats.add(quarantined=1)
            return Answer(None, f"LLM server did not answer within DATAVAL_LLM_TIMEOUT_S={self.settings.timeout_s:g} s "
                                f"({TIMEOUT_ATTEMPTS} attempts)")
        except RETRYABLE as error:
            self.stats.add(quarantined=1)
            return Answer(None, f"LLM server unavailable after {self.settings.max_attempts} attempts "
                                f"({type(error).__name__})")
        except AnswerTooLarge as error:
            self.stats.add(quarantined=1)
            return Answer(None, f"LLM server sent an oversized answer ({error})")
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
        """Run ``jobs`` with bounded concurrency, results in order. A configuration error stops the batch:
        the jobs not started yet are cancelled and the error is raised."""
        pool = ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency))
        try:
            futures = [pool.submit(job) for job in jobs]
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)


def _int(value) -> int:
    return value if isinstance(value, int) else 0


def _echo(content: str) -> str:
    """The bad answer as sent back for repair: never more than ``REPAIR_ECHO_CHARS``."""
    if len(content) <= REPAIR_ECHO_CHARS:
        return content
    return content[:REPAIR_ECHO_CHARS] + f"… [{len(content) - REPAIR_ECHO_CHARS:,} characters more not repeated]"


def _short_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        return str(message)[:300]
    return str(getattr(error, "message", error))[:300]


def _short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
    return str(error)[:300]
