"""Configuration files (taxonomy, prompts) shipped with the package and overridable by path."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

TAXONOMY_ENV = "DATAVAL_TAXONOMY"


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str


@functools.cache
def load_taxonomy(path: str | None = None) -> tuple[Theme, ...]:
    """The theme taxonomy: ``$DATAVAL_TAXONOMY`` if set, else the packaged default."""
    source = Path(path or os.environ.get(TAXONOMY_ENV) or Path(__file__).with_name("taxonomy.yaml"))
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    return tuple(Theme(t["id"], t["label"], " ".join(t["description"].split())) for t in raw["themes"])


def theme_ids() -> list[str]:
    return [t.id for t in load_taxonomy()]
