"""The embedded OpenAI-compatible server: llama.cpp (prebuilt ``xllamacpp`` wheel) on 127.0.0.1.

``dataval llm serve`` runs it in the foreground; ``EmbeddedServer`` runs it as a child process (the
demo and the tests), so the pipeline's process never holds the model and the server can be stopped
or killed on its own.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dataval_pipeline.llm.model_files import MODEL_NAME, embedded_model_path
from dataval_pipeline.settings import paths

DEFAULT_PORT = 8765
# llama.cpp settings of the embedded server, and why (measured by bench/llm.py on the 2-core machine, load
# average 1.0; it prints the server limits of the moment beside each run):
# - 4 parallel slots with continuous batching: generation is memory-bound, so 4 requests in flight raise the
#   server's generated tokens/s by 45 % (22.4 -> 32.5) while prompt processing, compute-bound, gains 9 %
#   (80 -> 87 tokens/s). DATAVAL_LLM_CONCURRENCY defaults to the same 4 so the slots stay full.
# - 4,096 tokens of context per slot: a finding's question is ~600 tokens (instructions and taxonomy
#   ~450, the finding, a few tokens out), a report without findings ~30 numbered sentences (~1,700);
#   4,096 leaves room for the facts' candidate sentences and the benchmark's one-prompt-per-report
#   baseline (6,000 characters per piece).
# - threads = the machine's cores for both generation and prompt batches; temperature 0.
# - llama.cpp's prompt cache (``cache_prompt``, on by default per request) keeps each slot's last prompt in
#   its KV cache: every question starts with the same system message (instructions, taxonomy, answer
#   form), so that prefix is computed once per slot and each question costs only its own tokens. Never
#   turned off in the pipeline (only bench/llm.py's baseline and probes turn it off, to measure cold).
PARALLEL_SLOTS = 4
CONTEXT_PER_SLOT = 4096


def serve_forever(model_path: Path, port: int, parallel: int = PARALLEL_SLOTS, threads: int | None = None,
                  slot_save_path: Path | None = None) -> None:
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(model_path)
    params.n_parallel = parallel  # concurrent requests share the batch (continuous batching)
    params.n_ctx = CONTEXT_PER_SLOT * parallel
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.cpuparams.n_threads = threads or os.cpu_count() or 2
    params.cpuparams_batch.n_threads = threads or os.cpu_count() or 2
    params.sampling.temp = 0.0
    if slot_save_path is not None:  # enables the /slots actions (a benchmark empties the slots' caches)
        params.slot_save_path = str(slot_save_path)
    server = xlc.Server(params)  # noqa: F841 - serves HTTP while referenced
    print(f"serving {model_path.name} on http://127.0.0.1:{port}/v1 ({parallel} parallel slots)", flush=True)
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base_url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    health = base_url.removesuffix("/v1") + "/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the embedded LLM server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the embedded LLM server did not answer on {health} within {timeout_s:.0f} s")


class EmbeddedServer:
    """Start the embedded server in a child process; ``base_url`` and ``model`` for the client."""

    model = MODEL_NAME

    def __init__(self, port: int | None = None, model_path: Path | None = None, log: Path | None = None,
                 slot_save_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.model_path = model_path or embedded_model_path(paths().cache)
        self.log = log
        self.slot_save_path = slot_save_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 180) -> "EmbeddedServer":
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - lives with the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dataval_pipeline.llm.server", "--port", str(self.port), "--model", str(self.model_path),
             *(["--slot-save-path", str(self.slot_save_path)] if self.slot_save_path else [])],
            stdout=output, stderr=subprocess.STDOUT,
        )
        wait_until_healthy(self.base_url, timeout_s, self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataval llm serve", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--model", help="a GGUF file (default: the embedded Qwen2.5-Coder-0.5B-Instruct)")
    parser.add_argument("--parallel", type=int, default=PARALLEL_SLOTS)
    parser.add_argument("--slot-save-path", help="a folder for llama.cpp's slot actions (save, restore, erase)")
    args = parser.parse_args(argv)
    model = Path(args.model) if args.model else embedded_model_path(paths().cache)
    serve_forever(model, args.port, args.parallel,
                  slot_save_path=Path(args.slot_save_path) if args.slot_save_path else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
