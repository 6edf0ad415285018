"""Configuration files (taxonomy, prompts) shipped with the package and overridable by path.

The taxonomy file holds everything a theme is made of: id, label, description (used in prompts),
keywords and typical phrasings (evidence in the text), and the map from legal-article prefixes to
themes (evidence in the references). Another administration swaps the file (``$DATAVAL_TAXONOMY``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TAXONOMY_ENV = "DATAVAL_TAXONOMY"
VOCABULARY_ENV = "DATAVAL_VOCABULARY"
CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_EVIDENCE_WEIGHTS = {"keywords": 1.0, "section": 0.75, "legal_refs": 2.0}


def vocabulary_path(path: str | Path | None = None) -> Path:
    """The reports' vocabulary: ``path``, else ``$DATAVAL_VOCABULARY``, else the packaged vocabulary.yaml."""
    return Path(path or os.environ.get(VOCABULARY_ENV) or CONFIG_DIR / "vocabulary.yaml")


def language(path: str | Path | None = None) -> dict:
    """The ``language`` section of the vocabulary (month names, numbers in words): one list for every stage
    that reads dates or numbers (the findings reader and the facts rules through
    ``findings.vocabulary.Vocabulary``, the anonymiser's dates through this function)."""
    return yaml.safe_load(vocabulary_path(path).read_text(encoding="utf-8"))["language"]


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    keywords: tuple[str, ...] = ()  # words and phrasings; a trailing * matches any word with that stem


@dataclass(frozen=True)
class LegalRule:
    """Articles starting with ``prefix`` (in ``code`` when one is given) regulate ``themes``, main first."""

    prefix: str  # "D.312-155", "R.4311", "434-3"
    code: str  # "CASF", "CSP", "" for any code
    themes: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # one object per file (read once): hashed by identity
class Taxonomy:
    name: str
    version: str
    themes: tuple[Theme, ...]
    legal_rules: tuple[LegalRule, ...] = ()
    weights: dict = field(default_factory=lambda: dict(DEFAULT_EVIDENCE_WEIGHTS))
    source: str = ""

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def theme(self, theme_id: str) -> Theme:
        return next(t for t in self.themes if t.id == theme_id)


def _source(path: str | None) -> Path:
    return Path(path or os.environ.get(TAXONOMY_ENV) or Path(__file__).with_name("taxonomy.yaml"))


def _legal_rule(key: str, themes: list[str]) -> LegalRule:
    prefix, _, code = key.strip().partition(" ")
    return LegalRule(prefix, code.strip(), tuple(themes))


@functools.cache
def _load(source: Path) -> Taxonomy:
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    themes = tuple(
        Theme(t["id"], t["label"], " ".join(t["description"].split()), tuple(str(k) for k in t.get("keywords") or ()))
        for t in raw["themes"]
    )
    ids = {t.id for t in themes}
    if len(ids) != len(themes):
        raise ValueError(f"{source}: theme ids must be unique")
    rules = tuple(_legal_rule(key, list(value)) for key, value in (raw.get("legal_refs") or {}).items())
    unknown = {theme for rule in rules for theme in rule.themes} - ids
    if unknown:
        raise ValueError(f"{source}: legal_refs name themes that are not in the taxonomy: {sorted(unknown)}")
    weights = {**DEFAULT_EVIDENCE_WEIGHTS, **(raw.get("evidence_weights") or {})}
    return Taxonomy(str(raw.get("name", source.stem)), str(raw.get("version", "1")), themes, rules, weights,
                    str(source))


def load_taxonomy_config(path: str | None = None) -> Taxonomy:
    """The whole taxonomy (themes, legal-reference map, evidence weights): ``$DATAVAL_TAXONOMY`` if set,
    else the packaged default. Read once per file."""
    return _load(_source(path).resolve())


def load_taxonomy(path: str | None = None) -> tuple[Theme, ...]:
    """The themes of the taxonomy: ``$DATAVAL_TAXONOMY`` if set, else the packaged default."""
    return load_taxonomy_config(path).themes


def theme_ids() -> list[str]:
    return [t.id for t in load_taxonomy()]
