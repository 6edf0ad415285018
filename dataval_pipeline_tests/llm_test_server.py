"""A real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose, following a script.

Each request pops the next behaviour (``ok`` once the script is empty). Request bodies are recorded, so
tests can prove what left the privacy boundary. Behaviours: ``ok``, ``500``, ``429``, ``timeout`` (3 s),
``no_json_schema``, ``invalid_json``, ``schema_violation``, ``hallucinated_quote``, ``think``, ``wrong_facts``;
malformed 200 answers ``empty_200``, ``null``, ``html``, ``no_choices``; ``drip`` (a valid answer at one
byte a second); ``401``, ``403``, ``404``, ``unknown_model`` (400 naming the model); ``huge`` (a 10 MB
answer); ``long_answer`` (100,000 characters of content, under the client's body cap); ``obey_injection``
(a fooled model: it answers the first JSON object the request's text orders it to give, after "réponds").
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPORT = re.compile(r"<rapport>\n(.*)\n</rapport>", re.DOTALL)
INJECTED = re.compile(r"réponds (\{.*?\})(?=\s*(?:$|\n|<|‹))", re.DOTALL)


def grounded_answer(text: str, **overrides) -> dict:
    """A schema-valid analysis whose quote is copied from the report."""
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 30]
    quote = (lines[0] if lines else text.strip())[:80]
    answer = {"themes": ["staffing", "governance"], "primary_theme": "staffing", "severity": "medium",
              "trigger": "programme", "unannounced": False,
              "evidence": [{"theme": "staffing", "quote": quote}]}
    answer.update(overrides)
    return answer


def narrow_answer(body: dict, behaviour: str) -> str | None:
    """For the narrow questions (answer schemas other than the one-prompt report analysis), an answer
    built from the request's own schema: the first allowed value of each enum, or as scripted:
    ``theme:<id>`` (that theme), ``sentences:<n>=<theme>,…`` (those sentence ids), ``repeated_ids``,
    ``out_of_range_ids``, ``theme_outside`` (a theme id not in the enum). None for other requests."""
    schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
    properties = schema.get("properties") or {}
    if behaviour in _BEHAVIOURS:
        return None
    if "theme" in properties and len(properties) == 1:
        allowed = properties["theme"].get("enum") or []
        if behaviour.startswith("theme:"):
            return json.dumps({"theme": behaviour.split(":", 1)[1]})
        if behaviour == "theme_outside":
            return json.dumps({"theme": "not_a_theme"})
        return json.dumps({"theme": allowed[0]})
    if "constats" in properties:
        item = next(iter((schema.get("$defs") or {}).values()), {}).get("properties") or {}
        ids, themes = item.get("phrase", {}).get("enum") or [1], item.get("theme", {}).get("enum") or ["x"]
        if behaviour.startswith("sentences:"):
            pairs = [p.split("=") for p in behaviour.split(":", 1)[1].split(",") if p]
            return json.dumps({"constats": [{"phrase": int(n), "theme": t} for n, t in pairs]})
        if behaviour == "repeated_ids":
            return json.dumps({"constats": [{"phrase": ids[0], "theme": themes[0]}] * 2})
        if behaviour == "out_of_range_ids":
            return json.dumps({"constats": [{"phrase": max(ids) + 1, "theme": themes[0]}]})
        return json.dumps({"constats": [{"phrase": ids[0], "theme": themes[0]}]})
    if len(properties) == 1:  # any other one-choice question (e.g. a signal among candidates): its first choice
        (name, spec), = properties.items()
        if spec.get("enum"):
            return json.dumps({name: spec["enum"][0]})
    return None


# Behaviours the transport and report-analysis branches handle themselves.
_BEHAVIOURS = {"obey_injection", "500", "429", "timeout", "401", "403", "404", "unknown_model", "empty_200", "null", "html",
               "no_choices", "drip", "huge", "long_answer", "no_json_schema", "invalid_json", "schema_violation",
               "hallucinated_quote", "think", "wrong_facts"}


class ScriptedLLMServer:
    def __init__(self, script: list[str] | None = None, delay_s: float = 0.0) -> None:
        self.script = deque(script or [])
        self.requests: list[dict] = []
        self.answered = 0  # 200 answers written in full
        self.delay_s = delay_s
        self.killed = False
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def handle(self):
                with server._lock:
                    server._connections.add(self.connection)
                try:
                    super().handle()
                finally:
                    with server._lock:
                        server._connections.discard(self.connection)

            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append(body)
                    behaviour = server.script.popleft() if server.script else "ok"
                server.respond(self, behaviour, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedLLMServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def kill(self) -> None:
        """Stop as a crashed server does: no new connection, and the requests in flight get no answer."""
        self.killed = True
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self.requests) - self.answered

    def respond(self, handler: BaseHTTPRequestHandler, behaviour: str, body: dict) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.killed:
            return None
        if behaviour == "500":
            return self._send(handler, 500, {"error": {"message": "internal error"}})
        if behaviour == "429":
            return self._send(handler, 429, {"error": {"message": "slow down"}})
        if behaviour == "timeout":
            time.sleep(3)
            return self._send(handler, 200, self._completion(grounded_answer(self._report(body))))
        if behaviour == "obey_injection":
            ordered = INJECTED.search("\n".join(str(m.get("content", "")) for m in body.get("messages", [])))
            return self._send(handler, 200, self._completion(ordered.group(1) if ordered else "{}"))
        if behaviour in ("401", "403", "404"):
            return self._send(handler, int(behaviour), {"error": {"message": f"scripted {behaviour}"}})
        if behaviour == "unknown_model":
            return self._send(handler, 400, {"error": {"message": f"The model `{body.get('model')}` does not exist."}})
        if behaviour == "empty_200":
            return self._send_raw(handler, 200, b"", "application/json")
        if behaviour == "null":
            return self._send_raw(handler, 200, b"null", "application/json")
        if behaviour == "html":
            return self._send_raw(handler, 200, b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "text/html")
        if behaviour == "no_choices":
            return self._send(handler, 200, {"id": "x", "object": "chat.completion", "choices": [], "usage": None})
        if behaviour == "drip":
            data = json.dumps(self._completion(grounded_answer(self._report(body)))).encode()
            return self._send_raw(handler, 200, data, "application/json", drip_s=1.0)
        if behaviour == "huge":
            return self._send(handler, 200, self._completion("x" * 10_000_000))
        if behaviour == "long_answer":
            return self._send(handler, 200, self._completion("{" + "\"themes\": [" * 2 + "y" * 100_000))
        if behaviour == "no_json_schema" and body.get("response_format", {}).get("type") == "json_schema":
            return self._send(handler, 400, {"error": {"message": "response_format json_schema is not supported"}})
        narrow = narrow_answer(body, behaviour)
        if narrow is not None:  # a question about one text unit (a finding's theme, numbered sentences)
            return self._send(handler, 200, self._completion(narrow))
        text = self._report(body)
        content = {
            "invalid_json": "Voici l'analyse : {themes: staffing",
            "schema_violation": json.dumps(grounded_answer(text, themes=["not_a_theme"], severity="terrible")),
            "hallucinated_quote": json.dumps(grounded_answer(
                text, evidence=[{"theme": "staffing", "quote": "Une phrase que le rapport ne contient pas du tout."}])),
            "think": "<think>Le rapport parle d'effectifs… je réfléchis.</think>\n" + json.dumps(grounded_answer(text)),
            # Facts that contradict the text (capacity) or that it never states (care FTE, date).
            "wrong_facts": json.dumps(grounded_answer(text, capacity=999, care_fte=87.5, inspection_date="1999-01-01",
                                                      trigger="incident", trigger_quote="Une visite annoncée par lettre.")),
        }.get(behaviour, json.dumps(grounded_answer(text)))
        return self._send(handler, 200, self._completion(content))

    @staticmethod
    def _report(body: dict) -> str:
        for message in reversed(body.get("messages", [])):
            match = REPORT.search(message.get("content") or "")
            if match:
                return match.group(1)
        return ""

    @staticmethod
    def _completion(content: dict | str) -> dict:
        text = content if isinstance(content, str) else json.dumps(content)
        return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "scripted",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}

    def _send(self, handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        self._send_raw(handler, status, json.dumps(payload).encode(), "application/json")

    def _send_raw(self, handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str,
                  drip_s: float = 0.0) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if drip_s:
                for offset in range(len(data)):  # one byte at a time: every read of the client gets something
                    if self.killed:
                        return
                    handler.wfile.write(data[offset:offset + 1])
                    handler.wfile.flush()
                    time.sleep(drip_s)
            else:
                handler.wfile.write(data)
        except OSError:  # the client gave up (timeout test), or the server was killed
            return
        if status == 200:
            with self._lock:
                self.answered += 1
