"""What the LLM costs per report page, the old way (one prompt per report) beside the new way (one short
question per finding among candidate themes), on the same reports, in one run.

1. Server limits: prompt and generation tokens/s with 1 and with 4 requests in flight (llama.cpp's own
   timings, prompt cache off for these probes only), so the stages can be judged against the machine.
2. For each way, with an empty response cache: the stage itself (client, validation, grounding), then a
   plain concurrent replay of the very requests it sent (bare ``openai`` client, as many in flight as
   the server has slots): the stage's throughput against the server's saturated throughput.
3. Warm re-run of each way with the cache filled: 0 LLM calls expected.

Old way: ``dataval_pipeline.llm.analysis.analyse_reports`` (prompt report_analysis.v2), llama.cpp's prompt
cache off for it, as it was measured before (identical report prompts would otherwise be served from the
slots' KV cache). New way: ``read_report`` then ``assign_finding_themes`` and ``classify_reports`` with the
prompt cache on (production setting): the fixed prefix is computed once per slot.

Against the embedded server (started once, on a free port) unless DATAVAL_LLM_BASE_URL is set. The machine
is shared: the table heads with the load average at start, and numbers are only comparable within one run.
Usage:
    python bench/llm.py [--reports N] [--max-pages P] [--dev] [--margins 0.34,1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import openai

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dataval_pipeline.anonymise.engine import get_anonymiser  # noqa: E402
from dataval_pipeline.findings.read import read_report  # noqa: E402
from dataval_pipeline.ingest.extract import raw_report_row  # noqa: E402
from dataval_pipeline.llm.analysis import DEFAULT_MAX_CHARS, analyse_reports  # noqa: E402
from dataval_pipeline.llm.client import LLMSettings, ResponseCache, StructuredLLM  # noqa: E402
from dataval_pipeline.llm.prompts import load_prompt  # noqa: E402
from dataval_pipeline.llm.server import CONTEXT_PER_SLOT, PARALLEL_SLOTS, EmbeddedServer  # noqa: E402
from dataval_pipeline.sample import generate_sample  # noqa: E402
from dataval_pipeline.themes import assign_finding_themes, classify_reports  # noqa: E402

DEV = REPO.parent / "shared" / "corpus" / "dev"


def recording(llm: StructuredLLM) -> list[tuple[list[dict], dict]]:
    """Every request ``llm`` sends from now on (messages, response_format), for the replay."""
    sent: list[tuple[list[dict], dict]] = []
    create = llm._create

    def spy(messages, model):
        sent.append((messages, llm._response_format(model)))
        return create(messages, model)

    llm._create = spy
    return sent


def erase_slots(settings: LLMSettings) -> bool:
    """Empty every slot's prompt cache (llama.cpp's ``/slots`` endpoint), so that a replay of the stage's
    requests starts as cold as the stage did instead of finding each whole prompt cached. False when the
    server has no such endpoint (another server: the replay then says so)."""
    root = settings.base_url.removesuffix("/v1")
    try:
        with urllib.request.urlopen(f"{root}/slots", timeout=30) as response:
            slots = [slot["id"] for slot in json.loads(response.read())]
        for slot in slots:
            request = urllib.request.Request(f"{root}/slots/{slot}?action=erase", b"{}",
                                             {"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(request, timeout=30).read()
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def replay(settings: LLMSettings, requests: list[tuple[list[dict], dict]]) -> tuple[float, int, int]:
    """Seconds, prompt and completion tokens for ``requests`` sent with ``concurrency`` in flight, after
    the slots' prompt caches were emptied."""
    if not erase_slots(settings):
        print("replay: the server's slots could not be erased; its prompt cache may serve whole prompts",
              file=sys.stderr)
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout_s)

    def one(request):
        messages, response_format = request
        return client.chat.completions.create(model=settings.model, messages=messages, response_format=response_format,
                                              max_tokens=settings.max_tokens, temperature=settings.temperature,
                                              extra_body=settings.extra_body or None).usage

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        usages = list(pool.map(one, requests))
    return time.perf_counter() - start, sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages)


def server_limits(settings: LLMSettings, text: str, in_flight: int) -> tuple[float, float]:
    """Prompt and generation tokens/s of the whole server with ``in_flight`` requests (llama.cpp timings)."""
    url = settings.base_url.removesuffix("/v1") + "/completion"

    def one(i: int) -> dict:
        body = {"prompt": f"[{i}] {text}", "n_predict": 48, "ignore_eos": True, "cache_prompt": False,
                "temperature": 0}
        request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=settings.timeout_s) as response:
            return json.loads(response.read())["timings"]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        timings = list(pool.map(one, range(in_flight)))
    wall = time.perf_counter() - start
    prompt_tokens = sum(t["prompt_n"] for t in timings)
    predicted = sum(t["predicted_n"] for t in timings)
    prompt_s = max(t["prompt_ms"] for t in timings) / 1000
    return prompt_tokens / prompt_s, predicted / max(wall - prompt_s, 1e-6)


@dataclasses.dataclass
class Run:
    name: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    saturated_s: float
    requests: int
    warm_calls: int
    warm_s: float
    note: str = ""


def old_way(settings: LLMSettings, texts: dict[str, str], cache: Path) -> Run:
    settings = dataclasses.replace(settings, extra_body={**settings.extra_body, "cache_prompt": False})
    prompt, max_chars = load_prompt(), int(os.environ.get("DATAVAL_LLM_MAX_CHARS", DEFAULT_MAX_CHARS))
    stage = StructuredLLM(settings, ResponseCache(cache))
    sent = recording(stage)
    start = time.perf_counter()
    results = analyse_reports(stage, prompt, texts, max_chars)
    seconds = time.perf_counter() - start
    dropped = sum(r.dropped_quotes for r in results.values() if not isinstance(r, str))
    saturated_s, _, _ = replay(settings, sent)
    warm = StructuredLLM(settings, ResponseCache(cache))
    start = time.perf_counter()
    analyse_reports(warm, prompt, texts, max_chars)
    return Run("old: one prompt per report (v2)", stage.stats.calls, stage.stats.prompt_tokens,
               stage.stats.completion_tokens, seconds, saturated_s, len(sent), warm.stats.calls,
               time.perf_counter() - start, f"{dropped} quotes dropped")


def new_way(settings: LLMSettings, texts: dict[str, str], cache: Path, margin: float) -> Run:
    readings = {rid: read_report(text) for rid, text in texts.items()}

    def stage_run(llm: StructuredLLM):
        themed = assign_finding_themes({rid: (texts[rid], readings[rid]) for rid in texts}, llm, ask_margin=margin)
        done = {rid: dataclasses.replace(readings[rid], findings=themed[rid].findings) for rid in texts}
        return themed, classify_reports({rid: (texts[rid], done[rid]) for rid in texts}, llm, ask_margin=margin)

    stage = StructuredLLM(settings, ResponseCache(cache))
    sent = recording(stage)
    start = time.perf_counter()
    themed, classified = stage_run(stage)
    seconds = time.perf_counter() - start
    saturated_s, _, _ = replay(settings, sent) if sent else (0.0, 0, 0)
    warm = StructuredLLM(settings, ResponseCache(cache))
    start = time.perf_counter()
    stage_run(warm)
    findings = sum(len(r.findings) for r in readings.values())
    dropped = sum(c.dropped_quotes for c in classified.values())
    return Run(f"new: one finding at a time (ask margin {margin})", stage.stats.calls, stage.stats.prompt_tokens,
               stage.stats.completion_tokens, seconds, saturated_s, len(sent), warm.stats.calls,
               time.perf_counter() - start, f"{findings} findings, {dropped} quotes dropped")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=4)
    parser.add_argument("--max-pages", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4244, help="a seed the tests do not use")
    parser.add_argument("--dev", action="store_true", help="the development corpus instead of generated reports")
    parser.add_argument("--margins", default="0.34,1.0", help="ask margins of the new way, comma-separated")
    parser.add_argument("--no-limits", action="store_true", help="skip the server-limits probe")
    parser.add_argument("--no-old", action="store_true", help="skip the one-prompt-per-report baseline")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    external = os.environ.get("DATAVAL_LLM_BASE_URL")
    with tempfile.TemporaryDirectory(prefix="dataval-bench-llm-") as tmp, \
            (nullcontext() if external else EmbeddedServer(log=Path(tmp) / "server.log", slot_save_path=Path(tmp))) as server:
        if args.dev:
            pdfs = sorted(DEV.glob("*.pdf"))[:args.reports]
        else:
            corpus = Path(tmp) / "corpus"
            generate_sample(corpus, reports=args.reports, seed=args.seed, with_bad_files=False,
                            max_pages=args.max_pages)
            pdfs = sorted(corpus.glob("*.pdf"))
        anonymiser = get_anonymiser()
        texts, pages = {}, 0
        for pdf in pdfs:
            row = raw_report_row(pdf.read_bytes(), pdf.name)
            texts[row["report_id"]] = anonymiser.anonymise(row["text"]).text
            pages += row["page_count"]
        settings = dataclasses.replace(LLMSettings.from_env(external or server.base_url),
                                       timeout_s=1800)  # a cold batch on a busy CPU can take minutes
        limits = []
        if not args.no_limits:
            probe = next(iter(texts.values()))[:1500]
            server_limits(settings, probe, 1)  # warm-up: model pages in memory
            limits = [(n, *server_limits(settings, probe, n)) for n in (1, settings.concurrency)]
        runs = [] if args.no_old else [old_way(settings, texts, Path(tmp) / "cache-old")]
        runs += [new_way(settings, texts, Path(tmp) / f"cache-new-{m}", float(m)) for m in args.margins.split(",")]

    source = "development corpus" if args.dev else f"generated reports (seed {args.seed})"
    print(f"\nLLM cost on {len(texts)} {source}, {pages} pages; concurrency {settings.concurrency}; model "
          f"{settings.model} at {settings.base_url}; {os.cpu_count()} cores, load average at start "
          f"{load_at_start[0]:.2f} / {load_at_start[1]:.2f} (1 / 5 min)")
    if not external:
        print(f"embedded llama.cpp server: {PARALLEL_SLOTS} slots of {CONTEXT_PER_SLOT} tokens, "
              f"{os.cpu_count()} threads for generation and prompt batches, prompt cache on\n")
    if limits:
        print("| requests in flight | prompt tokens/s | generation tokens/s |\n|---|---|---|")
        for n, prompt_tps, gen_tps in limits:
            print(f"| {n} | {prompt_tps:.0f} | {gen_tps:.1f} |")
        print()
    print("| way | LLM requests | prompt tokens | generated tokens | LLM s | LLM s / page | stage / saturated "
          "(requests/s) | warm re-run calls | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        ratio = (run.saturated_s / run.seconds) if run.seconds and run.saturated_s else float("nan")
        print(f"| {run.name} | {run.calls} | {run.prompt_tokens} | {run.completion_tokens} | {run.seconds:.1f} | "
              f"{run.seconds / pages:.2f} | {ratio:.2f} | {run.warm_calls} | {run.note} |")
    old, new = (None, runs) if args.no_old else (runs[0], runs[1:])
    for run in new if old else []:
        if run.seconds:
            print(f"\n{run.name}: {old.seconds / run.seconds:.1f}x fewer LLM seconds per page, "
                  f"{old.completion_tokens / max(run.completion_tokens, 1):.1f}x fewer generated tokens, "
                  f"{old.prompt_tokens / max(run.prompt_tokens, 1):.1f}x fewer prompt tokens than the old way")


if __name__ == "__main__":
    main()
