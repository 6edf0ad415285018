"""Versioned prompts: files in ``dataval_pipeline/prompts/`` filled with the configured taxonomy.

The version is part of the file name and of the response cache key, so editing a prompt means a new
version, and a new version means fresh answers.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from dataval_pipeline.config import load_taxonomy, load_taxonomy_config

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
REPORT_ANALYSIS = "report_analysis"
REPORT_ANALYSIS_VERSION = "v2"  # the one-prompt-per-report path (kept as the benchmark's baseline)
FINDING_THEME = "finding_theme"  # one finding's main theme among candidates
FINDING_THEME_VERSION = "v1"
REPORT_SENTENCES = "report_sentences"  # findings of a report that numbers none, cited by sentence id
REPORT_SENTENCES_VERSION = "v1"
FRAME_TAG = re.compile(r"</?\s*rapport\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str

    @property
    def key(self) -> str:
        """Version plus a hash of the filled text: a taxonomy change is a prompt change too."""
        return f"{self.name}.{self.version}.{hashlib.sha256(self.system.encode()).hexdigest()[:12]}"

    def messages(self, report_text: str) -> list[dict]:
        """Report first, task after: calls on one report share the cached prompt prefix. A report cannot
        close the frame itself: its own ``<rapport>`` tags are defused."""
        framed = FRAME_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), report_text)
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": f"<rapport>\n{framed}\n</rapport>\n\nAnalyse ce rapport et réponds en JSON."},
        ]

    def ask(self, user: str) -> list[dict]:
        """The fixed part first (system: instructions, taxonomy, answer form), byte-identical for every
        request of this prompt, so the server's prompt cache computes it once per slot; ``user`` (the
        variable part: candidates, then the text unit) last."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def defuse(text: str, tag: str) -> str:
    """``text`` unable to close or open the ``<tag>`` frame it is put in."""
    pattern = re.compile(rf"</?\s*{re.escape(tag)}\s*>", re.IGNORECASE)
    return pattern.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def load_prompt(name: str = REPORT_ANALYSIS, version: str = REPORT_ANALYSIS_VERSION) -> Prompt:
    """The prompt file filled with the configured taxonomy (a swapped taxonomy gives another prompt)."""
    return _load_prompt(name, version, load_taxonomy_config().source)


@functools.cache
def _load_prompt(name: str, version: str, taxonomy_source: str) -> Prompt:
    template = (PROMPTS_DIR / f"{name}.{version}.md").read_text(encoding="utf-8")
    return Prompt(name, version, template.replace("{taxonomy}", taxonomy_block()))


def taxonomy_block() -> str:
    """The configured taxonomy as the prompts list it (one line per theme)."""
    return "\n".join(f"- {t.id} : {t.label} — {t.description}" for t in load_taxonomy())
