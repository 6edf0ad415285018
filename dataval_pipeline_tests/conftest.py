"""Shared fixtures: a generated corpus (real PDFs) and an isolated DATAVAL_HOME per test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dataval_pipeline.sample import generate_sample
from dataval_pipeline.settings import Paths

FIXTURES = Path(__file__).parent / "fixtures"
REQUIRE_OCR_ENV = "DATAVAL_REQUIRE_OCR"  # set by `make test` (hence .ci/run): OCR is promised, not optional


def pytest_sessionstart(session):
    """Where OCR is promised, its absence fails the run at once: the scanned-report tests must not quietly
    expect a rejection instead."""
    import os

    from dataval_pipeline.ingest.extract import ocr_available

    if os.environ.get(REQUIRE_OCR_ENV) and not ocr_available():
        pytest.exit(f"{REQUIRE_OCR_ENV} is set but Tesseract with the French pack is missing "
                    "(make ocr installs it: apt-get install tesseract-ocr tesseract-ocr-fra)", returncode=1)


@pytest.fixture(scope="session")
def sample_corpus(tmp_path_factory) -> Path:
    """12 reports + the bad files, generated once per test session (seed not used elsewhere)."""
    out = tmp_path_factory.mktemp("corpus")
    generate_sample(out, reports=12, seed=101)
    return out


def read_gold(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Paths:
    """An empty DATAVAL_HOME, and a DAGSTER_HOME that the user did not choose."""
    monkeypatch.setenv("DATAVAL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_PG_HOST", raising=False)
    return Paths((tmp_path / "home").resolve())


def fill_inbox(paths: Paths, corpus: Path, names: list[str] | None = None) -> list[Path]:
    paths.inbox.mkdir(parents=True, exist_ok=True)
    copied = []
    for pdf in sorted(corpus.glob("*.pdf")):
        if names is None or pdf.name in names:
            copied.append(Path(shutil.copy2(pdf, paths.inbox / pdf.name)))
    return copied


@pytest.fixture
def postgres_database():
    """A fresh PostgreSQL database for one test; skipped when no server answers (.ci/run starts one)."""
    from dataval_pipeline_tests import postgres

    if not postgres.reachable():
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432; .ci/run starts one")
    with postgres.fresh_database() as name:
        yield name
