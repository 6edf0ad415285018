"""Evidence for the themes of ONE finding, independent of any model's judgement of a whole report.

Three sources, each configured in the taxonomy file (``dataval_pipeline/config/taxonomy.yaml``):

- its legal references, through the map from article prefixes to themes (the codes' own structure:
  R.4311 CSP is the nurses' acts, D.312-176-5 CASF the director's delegation…);
- the taxonomy's own words: each theme's keywords and typical phrasings, matched after the same
  normalisation on both sides (lower case, accents removed, function words dropped, plural and feminine
  endings folded), so "contentions non réévaluées" meets "contention";
- the heading of the section the finding sits in, matched with the same keywords.

Pure functions: no model, no I/O beyond reading the taxonomy once.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from dataval_pipeline.config import LegalRule, Taxonomy, load_taxonomy_config

# Function words that carry no theme (kept short on purpose: "sans", "non", "nuit" stay meaningful).
FUNCTION_WORDS = frozenset(
    "a au aux avec d de des du en et l la le les ou par pour sur dans un une s qu que qui ce cet cette ses son sa"
    .split()
)
TOKEN = re.compile(r"[a-z0-9°]+")
ARTICLE = re.compile(r"^(?P<article>[A-Z]?\.?\s?[\d][\d\-]*)\s*(?P<code>.*)$")


def fold(text: str) -> str:
    """Lower case without accents (œ → oe)."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """Fold plural, feminine and past-participle endings: "contentions" → "contention", "formées" → "form"."""
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    for _ in range(2):  # "pesée", "pesé", "pesés" → "pes"; "infirmière" → "infirmier"
        if len(word) > 3 and word.endswith("e"):
            word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The text as normalised words (see ``fold`` and ``stem``), function words dropped."""
    return [stem(w) for w in TOKEN.findall(fold(text)) if w not in FUNCTION_WORDS and len(w) > 1]


@dataclass(frozen=True)
class Pattern:
    """One keyword of a theme as a sequence of normalised words; a word ending in * is a stem prefix."""

    theme: str
    keyword: str
    words: tuple[tuple[str, bool], ...]  # (normalised word, is_prefix)

    def matches_at(self, words: list[str], i: int) -> bool:
        if i + len(self.words) > len(words):
            return False
        for (want, prefix), got in zip(self.words, words[i:i + len(self.words)], strict=False):
            if not (got.startswith(want) if prefix else got == want):
                return False
        return True


def _pattern(theme: str, keyword: str) -> Pattern | None:
    parts: list[tuple[str, bool]] = []
    for raw in keyword.split():
        words = tokens(raw.rstrip("*"))
        # A star applies to the last word the piece normalises to ("appel-malade*" → appel, malade*).
        parts.extend((word, raw.endswith("*") and j == len(words) - 1) for j, word in enumerate(words))
    return Pattern(theme, keyword, tuple(parts)) if parts else None


@functools.cache
def _patterns(taxonomy: Taxonomy) -> dict[str, list[Pattern]]:
    """Patterns indexed by their first word's first 3 letters (a prefix pattern cannot be indexed whole)."""
    index: dict[str, list[Pattern]] = defaultdict(list)
    for theme in taxonomy.themes:
        for keyword in theme.keywords:
            pattern = _pattern(theme.id, keyword)
            if pattern is not None:
                index[pattern.words[0][0][:3]].append(pattern)
    return dict(index)


def keyword_matches(text: str, taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Keywords of each theme found in ``text``; within a theme the longest match at a place wins and a
    keyword counts once."""
    words = tokens(text)
    index = _patterns(taxonomy)
    found: dict[str, dict[str, int]] = defaultdict(dict)
    covered: dict[str, set[int]] = defaultdict(set)
    candidates = []
    for i, word in enumerate(words):
        for pattern in index.get(word[:3], ()):
            if pattern.matches_at(words, i):
                candidates.append((len(pattern.words), i, pattern))
    for length, i, pattern in sorted(candidates, key=lambda c: (-c[0], c[1])):
        span = set(range(i, i + length))
        if span & covered[pattern.theme] or pattern.keyword in found[pattern.theme]:
            continue
        covered[pattern.theme] |= span
        found[pattern.theme][pattern.keyword] = length
    return {theme: list(keywords) for theme, keywords in found.items()}


def _keyword_weight(keyword: str, taxonomy: Taxonomy) -> float:
    pattern = _pattern("", keyword)
    return float(len(pattern.words)) if pattern else 0.0


def split_reference(ref: str) -> tuple[str, str]:
    """("D.312-155-0", "CASF") from "D.312-155-0 CASF"; the code is "" when absent."""
    ref = " ".join(ref.split())
    match = ARTICLE.match(ref)
    if not match:
        return ref, ""
    return match.group("article").replace(" ", ""), match.group("code").strip()


def legal_rule_for(ref: str, taxonomy: Taxonomy) -> LegalRule | None:
    """The rule with the longest article prefix that ``ref`` starts with (on an article-number boundary)."""
    article, code = split_reference(ref)
    best: LegalRule | None = None
    for rule in taxonomy.legal_rules:
        if rule.code and code and rule.code.upper() != code.upper():
            continue
        if article == rule.prefix or article.startswith(rule.prefix + "-"):
            if best is None or len(rule.prefix) > len(best.prefix):
                best = rule
    return best


@dataclass(frozen=True)
class Candidate:
    theme: str
    score: float
    sources: tuple[str, ...]  # "legal:R.4311-4 CSP", "keyword:pilulier", "section:circuit du médicament"


@dataclass(frozen=True)
class Evidence:
    """Candidate themes of one finding, best first (empty when nothing in the taxonomy matched)."""

    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def themes(self) -> list[str]:
        return [c.theme for c in self.candidates]

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def margin(self) -> float:
        """How far the best candidate leads the second, as a share of its score (1.0 when alone)."""
        if not self.candidates:
            return 0.0
        if len(self.candidates) == 1:
            return 1.0
        first, second = self.candidates[0].score, self.candidates[1].score
        return (first - second) / first if first > 0 else 0.0


def finding_evidence(text: str, legal_refs: tuple[str, ...] | list[str] = (), section: str = "",
                     taxonomy: Taxonomy | None = None) -> Evidence:
    """Scored candidate themes of one finding from its references, its words and its section heading."""
    taxonomy = taxonomy or load_taxonomy_config()
    weights = taxonomy.weights
    scores: dict[str, float] = defaultdict(float)
    sources: dict[str, list[str]] = defaultdict(list)
    for ref in dict.fromkeys(legal_refs):
        rule = legal_rule_for(ref, taxonomy)
        if rule is None:
            continue
        for rank, theme in enumerate(rule.themes):
            scores[theme] += weights["legal_refs"] / (1 + rank)
            sources[theme].append(f"legal:{ref}")
    for origin, body, weight in (("keyword", text, weights["keywords"]), ("section", section, weights["section"])):
        if not body:
            continue
        for theme, keywords in keyword_matches(body, taxonomy).items():
            for keyword in keywords:
                scores[theme] += weight * _keyword_weight(keyword, taxonomy)
                sources[theme].append(f"{origin}:{keyword}")
    order = {theme_id: i for i, theme_id in enumerate(taxonomy.ids)}
    ranked = sorted((t for t in scores if scores[t] > 0), key=lambda t: (-scores[t], order[t]))
    return Evidence(tuple(Candidate(t, round(scores[t], 3), tuple(sources[t])) for t in ranked))


def evidence_themes(evidence: Evidence, secondary_share: float = 0.6, max_themes: int = 3) -> list[str]:
    """The themes evidence alone gives a finding: the best, then those scoring at least
    ``secondary_share`` of it (at most ``max_themes``). A heading groups several themes, so a theme
    supported by the section heading alone can be the main theme (nothing else spoke) but never a
    secondary one: that takes the finding's own words or references."""
    if not evidence.candidates:
        return []
    best = evidence.candidates[0].score
    first, *others = evidence.candidates[:max_themes]
    own = [c for c in others if c.score >= secondary_share * best
           and any(not source.startswith("section:") for source in c.sources)]
    return [first.theme, *(c.theme for c in own)]
