"""Benchmark of the LLM stage against the server's own saturated throughput, in one run.

1. Generate N reports, extract and anonymise them (the text the stage really sends).
2. Saturated server: a plain concurrent load of the very requests the stage sends (same messages, same
   response_format, as many in flight as the server has slots), with the bare ``openai`` client.
3. The stage: ``analyse_reports`` with an empty cache (splitting, client, validation, grounding, merge).
4. Warm re-run: the same call with the cache filled: 0 LLM calls expected for every validly answered
   report (a quarantined answer is not cached, so it is asked again, by design).

The ratio (stage / saturated) shows what the client's code costs; the warm ratio shows what the cache saves.
Against the embedded server unless DATAVAL_LLM_BASE_URL is set. Usage: python bench/llm.py [--reports N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import openai

from dataval_pipeline.anonymise.engine import get_anonymiser
from dataval_pipeline.ingest.extract import raw_report_row
from dataval_pipeline.llm.analysis import DEFAULT_MAX_CHARS, analyse_reports, split_sections
from dataval_pipeline.llm.client import LLMSettings, ResponseCache, StructuredLLM
from dataval_pipeline.llm.prompts import load_prompt
from dataval_pipeline.llm.schemas import report_analysis_model
from dataval_pipeline.llm.server import EmbeddedServer
from dataval_pipeline.sample import generate_sample


def saturated_load(settings: LLMSettings, requests: list[list[dict]]) -> tuple[float, int, int]:
    """Seconds, prompt and completion tokens for the requests sent with ``concurrency`` in flight."""
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout_s)
    model = report_analysis_model()
    response_format = {"type": "json_schema",
                       "json_schema": {"name": model.__name__, "schema": model.model_json_schema(), "strict": True}}

    def one(messages: list[dict]):
        return client.chat.completions.create(model=settings.model, messages=messages, response_format=response_format,
                                              max_tokens=settings.max_tokens, temperature=settings.temperature,
                                              extra_body=settings.extra_body or None).usage

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        usages = list(pool.map(one, requests))
    return time.perf_counter() - start, sum(u.prompt_tokens for u in usages), sum(u.completion_tokens for u in usages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=4)
    parser.add_argument("--max-pages", type=int, default=1)
    parser.add_argument("--seed", type=int, default=4244, help="a seed the tests do not use")
    args = parser.parse_args()
    external = os.environ.get("DATAVAL_LLM_BASE_URL")
    with tempfile.TemporaryDirectory(prefix="dataval-bench-llm-") as tmp, \
            (nullcontext() if external else EmbeddedServer(log=Path(tmp) / "server.log")) as server:
        corpus = Path(tmp) / "corpus"
        generate_sample(corpus, reports=args.reports, seed=args.seed, with_bad_files=False, max_pages=args.max_pages)
        anonymiser = get_anonymiser()
        texts = {}
        for pdf in sorted(corpus.glob("*.pdf")):
            row = raw_report_row(pdf.read_bytes(), pdf.name)
            texts[row["report_id"]] = anonymiser.anonymise(row["text"]).text
        settings = LLMSettings.from_env(external or server.base_url)
        if not external:
            # Both runs send the same prompts: without this, llama.cpp would serve the second run's prompts
            # from the KV cache the first one left in its slots, and the comparison would measure that cache.
            settings = dataclasses.replace(settings, extra_body={**settings.extra_body, "cache_prompt": False},
                                           timeout_s=1800)  # a cold batch on a busy CPU can take minutes
        prompt = load_prompt()
        max_chars = int(os.environ.get("DATAVAL_LLM_MAX_CHARS", DEFAULT_MAX_CHARS))
        pieces = [piece for text in texts.values() for piece in split_sections(text, max_chars)]
        requests = [prompt.messages(piece) for piece in pieces]

        saturated_load(settings, requests[:1])  # warm-up (model pages in memory)
        raw_s, raw_prompt, raw_completion = saturated_load(settings, requests)
        stage = StructuredLLM(settings, ResponseCache(Path(tmp) / "cache"))
        start = time.perf_counter()
        results = analyse_reports(stage, prompt, texts, max_chars)
        stage_s = time.perf_counter() - start
        warm = StructuredLLM(settings, ResponseCache(Path(tmp) / "cache"))
        start = time.perf_counter()
        analyse_reports(warm, prompt, texts, max_chars)
        warm_s = time.perf_counter() - start

    valid = sum(not isinstance(r, str) for r in results.values())
    stage_tokens = stage.stats.prompt_tokens + stage.stats.completion_tokens
    print(f"\nLLM stage on {len(texts)} reports ({len(pieces)} requests), concurrency {settings.concurrency}, "
          f"model {settings.model} at {settings.base_url}\n")
    print("| run | requests | seconds | requests/s | tokens/s | completion tokens |")
    print("|---|---|---|---|---|---|")
    print(f"| saturated server (plain concurrent load) | {len(requests)} | {raw_s:.1f} | {len(requests) / raw_s:.3f} "
          f"| {(raw_prompt + raw_completion) / raw_s:.1f} | {raw_completion} |")
    print(f"| LLM stage, cold cache | {stage.stats.calls} | {stage_s:.1f} | {stage.stats.calls / stage_s:.3f} "
          f"| {stage_tokens / stage_s:.1f} | {stage.stats.completion_tokens} |")
    print(f"| LLM stage, warm cache | {warm.stats.calls} | {warm_s:.2f} | — | — | — |")
    print(f"\nthroughput ratio stage / saturated (requests/s): {(stage.stats.calls / stage_s) / (len(requests) / raw_s):.2f}"
          " (goal ≥ 0.9)")
    print(f"warm re-run: {warm.stats.calls} calls (re-asking {len(texts) - valid} quarantined report(s)), "
          f"{warm.stats.cache_hits} cache hits, "
          f"{100 * warm_s / stage_s:.2f} % of the cold run (goal ≤ 5 %)")
    print(f"valid answers: {valid}/{len(texts)}; repairs {stage.stats.repairs}; retries {stage.stats.retries}")


if __name__ == "__main__":
    main()
