"""The LLM client against a real HTTP server that answers badly: every failure is one request's answer
(an error with its reason), never an exception out of the run, except a misconfigured endpoint, which stops
the run at once with a message that names the setting."""

import pytest
from pydantic import BaseModel

from dataval_pipeline.llm.client import (
    REPAIR_ECHO_CHARS,
    LLMConfigurationError,
    LLMSettings,
    ResponseCache,
    StructuredLLM,
)
from dataval_pipeline_tests.llm_test_server import ScriptedLLMServer

TEXT = ("Inspection du 17 août 2025. Le temps de médecin coordonnateur est de 0,2 ETP pour 84 places.\n"
        "La nuit, deux agents assurent seuls la surveillance des 84 résidents de l'établissement.")


class Evidence(BaseModel):
    theme: str
    quote: str


class Probe(BaseModel):
    themes: list[str]
    primary_theme: str
    severity: str
    evidence: list[Evidence]


def grounded(value: Probe) -> None:
    """What the stages' grounding does: a quote that is not in the text makes the answer invalid."""
    if not value.evidence or any(e.quote not in TEXT for e in value.evidence):
        raise ValueError("evidence quotes are not in the text")


def _llm(server, tmp_path, **settings) -> StructuredLLM:
    options = {"timeout_s": 2.0, "backoff_s": 0.01, "max_attempts": 3, "concurrency": 1, **settings}
    return StructuredLLM(LLMSettings(base_url=server.base_url, model="scripted", **options),
                         ResponseCache(tmp_path / "cache"))


def _ask(llm: StructuredLLM, text: str = TEXT, validate=grounded):
    messages = [{"role": "system", "content": "Analyse."}, {"role": "user", "content": f"<rapport>\n{text}\n</rapport>"}]
    return llm.ask("probe.v1", messages, Probe, text, validate=validate)


def _cached_files(tmp_path) -> list:
    return list((tmp_path / "cache").rglob("*.json"))


@pytest.mark.parametrize("behaviour", ["empty_200", "null", "html", "no_choices"])
def test_a_malformed_answer_is_retried(tmp_path, behaviour):
    with ScriptedLLMServer([behaviour, "ok"]) as server:
        llm = _llm(server, tmp_path)
        answer = _ask(llm)
    assert answer.value is not None and answer.error is None
    assert llm.stats.malformed == 1 and llm.stats.retries == 1


@pytest.mark.parametrize(("behaviour", "reason"), [("empty_200", "empty body"), ("null", "JSON null"),
                                                   ("html", "an HTML page"), ("no_choices", "without choices")])
def test_malformed_answers_every_time_are_an_error_with_the_reason(tmp_path, behaviour, reason):
    with ScriptedLLMServer([behaviour] * 3) as server:
        llm = _llm(server, tmp_path)
        answer = _ask(llm)  # must not raise
        assert len(server.requests) == 3
    assert answer.value is None and "malformed" in answer.error and reason in answer.error, answer.error
    assert not _cached_files(tmp_path)


def test_a_dripping_server_hits_the_overall_deadline(tmp_path):
    """One byte a second: each read gets data, so a per-read timeout never fires; the overall deadline does
    (without it this answer would arrive, valid, after several minutes)."""
    with ScriptedLLMServer(["drip", "drip"]) as server:
        llm = _llm(server, tmp_path, timeout_s=1.5)
        answer = _ask(llm)
    assert answer.value is None and "DATAVAL_LLM_TIMEOUT_S=1.5" in answer.error, answer.error
    assert llm.stats.deadlines == 2 and llm.stats.calls == 0


def test_the_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATAVAL_LLM_TIMEOUT_S", "42.5")
    assert LLMSettings.from_env("http://127.0.0.1:9/v1").timeout_s == 42.5
    monkeypatch.setenv("DATAVAL_LLM_TIMEOUT_S", "soon")
    with pytest.raises(LLMConfigurationError, match="DATAVAL_LLM_TIMEOUT_S"):
        LLMSettings.from_env("http://127.0.0.1:9/v1")


@pytest.mark.parametrize(("behaviour", "setting"), [("401", "DATAVAL_LLM_API_KEY"), ("403", "DATAVAL_LLM_API_KEY"),
                                                    ("404", "DATAVAL_LLM_BASE_URL"),
                                                    ("unknown_model", "DATAVAL_LLM_MODEL")])
def test_a_misconfigured_endpoint_fails_at_once_with_the_setting_to_fix(tmp_path, behaviour, setting):
    with ScriptedLLMServer([behaviour] * 10) as server:
        llm = _llm(server, tmp_path, concurrency=2)
        jobs = [lambda i=i: _ask(llm, TEXT + f" Rapport {i}.") for i in range(8)]
        with pytest.raises(LLMConfigurationError, match=setting) as raised:
            llm.ask_many(jobs)
        assert "misconfigured" in str(raised.value)
        assert len(server.requests) <= 2, "the other reports must not be sent once the endpoint refused"
        with pytest.raises(LLMConfigurationError):  # the client stays failed: no request is sent again
            _ask(llm)
        assert len(server.requests) <= 2


def test_a_10_mb_answer_is_cut_off_and_is_an_error(tmp_path):
    with ScriptedLLMServer(["huge"]) as server:
        llm = _llm(server, tmp_path)
        answer = _ask(llm)
        assert len(server.requests) == 1
    assert answer.value is None and "oversized" in answer.error


def test_the_repair_request_never_sends_an_oversized_answer_back(tmp_path):
    with ScriptedLLMServer(["long_answer", "ok"]) as server:
        llm = _llm(server, tmp_path)
        answer = _ask(llm)
        repair = server.requests[1]["messages"]
    assert answer.value is not None and llm.stats.repairs == 1
    echoed = repair[-2]
    assert echoed["role"] == "assistant" and len(echoed["content"]) < REPAIR_ECHO_CHARS + 100
    assert sum(len(m["content"]) for m in repair) < 5_000


def test_an_ungrounded_answer_is_neither_trusted_nor_cached(tmp_path):
    with ScriptedLLMServer(["hallucinated_quote", "hallucinated_quote"]) as server:
        bad = _llm(server, tmp_path)
        answer = _ask(bad)
    assert answer.value is None and "not in the text" in answer.error
    assert not _cached_files(tmp_path), "an answer that failed grounding must not be cached"
    with ScriptedLLMServer() as server:  # a good server later: asked again, answered, cached
        good = _llm(server, tmp_path)
        assert _ask(good).value is not None and good.stats.calls == 1
        again = _llm(server, tmp_path)
        assert _ask(again).cached and again.stats.calls == 0


def test_a_cached_answer_that_fails_a_stricter_check_is_asked_again(tmp_path):
    with ScriptedLLMServer(["hallucinated_quote", "ok"]) as server:
        lax = _llm(server, tmp_path)
        assert _ask(lax, validate=None).value is not None  # cached without grounding
        strict = _llm(server, tmp_path)
        answer = _ask(strict)
    assert answer.value is not None and not answer.cached
    assert strict.stats.cache_rejected == 1 and strict.stats.calls == 1
