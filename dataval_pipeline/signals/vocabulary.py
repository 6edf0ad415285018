"""The signal vocabulary (``config/signals.yaml``, or ``$DATAVAL_SIGNALS``): ids, labels, cues and weights.

Patterns are matched on a *folded* copy of the text: lower case, accents removed, typographic apostrophes
and spaces made plain, one character for one character, so a match's offsets are the offsets in the
anonymised text itself.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SIGNALS_ENV = "DATAVAL_SIGNALS"
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "config" / "signals.yaml"
FIGURE_KINDS = ("amount_eur", "fte")
SCORE_DEFAULTS = {"repeat_factor": 0.5, "confirmed_bonus": 4.0, "peer_bound": 7.5, "min_peers": 5}

_SAME = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2010": "-",
         "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u0153": "o", "\u00e6": "a"}


def _fold_char(char: str) -> str:
    if char in _SAME:
        return _SAME[char]
    base = unicodedata.normalize("NFKD", char)[:1] or char
    lower = base.lower()
    return lower if len(lower) == 1 else base


@functools.lru_cache(maxsize=4096)
def _fold_cached(char: str) -> str:
    return _fold_char(char)


def fold(text: str) -> str:
    """Lower case without accents, the same length as ``text`` (offsets carry over)."""
    return "".join(_fold_cached(c) for c in text)


@dataclass(frozen=True)
class SignalDef:
    id: str
    label: str
    description: str
    weight: float
    figures: tuple[str, ...]
    phrasings: tuple[re.Pattern, ...]
    all_of: tuple[tuple[re.Pattern, ...], ...]
    keywords: tuple[re.Pattern, ...]
    legal_refs: tuple[str, ...]
    guards: tuple[re.Pattern, ...]
    guard_hypotheses: bool


@dataclass(frozen=True)
class Vocabulary:
    version: int
    signals: tuple[SignalDef, ...]
    common_guards: tuple[re.Pattern, ...]
    hypothesis_guards: tuple[re.Pattern, ...]
    source: str
    score: dict = field(default=None, hash=False, compare=False)  # repeat_factor, confirmed_bonus, peer_bound, min_peers

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.signals)

    def get(self, signal_id: str) -> SignalDef:
        return next(s for s in self.signals if s.id == signal_id)

    @property
    def weights(self) -> dict[str, float]:
        return {s.id: s.weight for s in self.signals}


def _patterns(items, where: str) -> tuple[re.Pattern, ...]:
    compiled = []
    for item in items or ():
        try:
            compiled.append(re.compile(item))
        except re.error as error:
            raise ValueError(f"signals vocabulary: bad pattern in {where}: {item!r} ({error})") from error
    return tuple(compiled)


@functools.cache
def load_vocabulary(path: str | None = None) -> Vocabulary:
    source = Path(path or os.environ.get(SIGNALS_ENV) or DEFAULT_PATH)
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    signals = []
    for entry in raw["signals"]:
        sid = entry["id"]
        figures = tuple(entry.get("figures") or ())
        unknown = set(figures) - set(FIGURE_KINDS)
        if unknown:
            raise ValueError(f"signals vocabulary: {sid}: unknown figures {sorted(unknown)}")
        if not isinstance(entry.get("weight"), (int, float)) or entry["weight"] <= 0:
            raise ValueError(f"signals vocabulary: {sid}: a positive weight is required")
        signals.append(SignalDef(
            id=sid, label=entry["label"], description=" ".join(entry["description"].split()),
            weight=float(entry["weight"]), figures=figures,
            phrasings=_patterns(entry.get("phrasings"), f"{sid}.phrasings"),
            all_of=tuple(_patterns(group, f"{sid}.all_of") for group in entry.get("all_of") or ()),
            keywords=_patterns(entry.get("keywords"), f"{sid}.keywords"),
            legal_refs=tuple(entry.get("legal_refs") or ()),
            guards=_patterns(entry.get("guards"), f"{sid}.guards"),
            guard_hypotheses=bool(entry.get("guard_hypotheses", False)),
        ))
    ids = [s.id for s in signals]
    if len(set(ids)) != len(ids):
        raise ValueError("signals vocabulary: duplicate ids")
    score = {**SCORE_DEFAULTS, **(raw.get("score") or {})}
    if score["peer_bound"] >= min(s.weight for s in signals):
        raise ValueError("signals vocabulary: score.peer_bound must stay below the smallest weight")
    return Vocabulary(int(raw.get("version", 1)), tuple(signals), _patterns(raw.get("common_guards"), "common_guards"),
                      _patterns(raw.get("hypothesis_guards"), "hypothesis_guards"), str(source), score)


def signal_ids() -> list[str]:
    return list(load_vocabulary().ids)
