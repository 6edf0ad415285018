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

from dataval_pipeline.config import load_taxonomy

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
REPORT_ANALYSIS = "report_analysis"
REPORT_ANALYSIS_VERSION = "v2"
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


@functools.cache
def load_prompt(name: str = REPORT_ANALYSIS, version: str = REPORT_ANALYSIS_VERSION) -> Prompt:
    template = (PROMPTS_DIR / f"{name}.{version}.md").read_text(encoding="utf-8")
    taxonomy = "\n".join(f"- {t.id} : {t.label} — {t.description}" for t in load_taxonomy())
    return Prompt(name, version, template.replace("{taxonomy}", taxonomy))
