"""Facts of a report read by candidates and context, not by one phrasing.

Every value of the form a fact takes is a candidate: every date for the visit date, every "N places" for
the capacity, every "N ETP" for a staffing figure, every phrase of a trigger class for the trigger. Each
candidate is scored by the cues around it (``config/facts.yaml``: words that support it, words that
disqualify it); mentions of one value add up; the best value wins when it is clear, and a close
runner-up makes the fact ambiguous (a narrow question for the LLM, ``facts.questions``). Every value
keeps the span of text it was read from.

The text is matched through a folded copy (lower case, no accents, straight apostrophes, line breaks as
spaces) of the same length, so every offset is an offset of the anonymised text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dataval_pipeline.findings.model import ReportReading
from dataval_pipeline.findings.vocabulary import load_vocabulary
from dataval_pipeline.identifiers import is_valid_finess
from dataval_pipeline.ingest.normalise import collapse_whitespace

CONFIG_PATH = Path(__file__).resolve().parents[1] / "config" / "facts.yaml"

# The facts read from the text (the rest of extracted_facts is counted from findings and measures).
READ_FACTS = ("finess", "establishment_name", "inspection_date", "unannounced", "trigger", "capacity",
              "residents_present", "care_fte", "medec_fte", "night_staff")
COUNT_FACTS = ("breaches", "remarks", "injunctions", "prescriptions", "recommendations")
# Every scalar fact of an extracted_facts row, in the order of the contract (scoring iterates it).
SCALAR_RULES = ("finess", "establishment_name", "inspection_date", "unannounced", "trigger", "capacity",
                "residents_present", "breaches", "remarks", "care_fte", "medec_fte", "night_staff")


# -- folding -------------------------------------------------------------------------------------------------
_SPACES = "\n\r\t\f\v\xa0\u202f\u2009\u2007"
_APOSTROPHES = "’‘`´ʼ"
_DASHES = "–—‑‒−"


def _fold_char(c: str) -> str:
    if c in _SPACES:
        return " "
    if c in _APOSTROPHES:
        return "'"
    if c in _DASHES:
        return "-"
    lowered = c.lower()
    if len(lowered) != 1:
        return c
    base = unicodedata.normalize("NFD", lowered)[0]
    return base if base.isascii() or not lowered.isascii() else lowered


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes and dashes plain, whitespace as spaces; same length."""
    return "".join(_fold_char(c) for c in text)


def _fold_pattern(pattern: str) -> str:
    """Fold a regular expression's literal characters, leaving escapes (``\\b``, ``\\W``…) untouched."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        out.append(_fold_char(pattern[i]))
        i += 1
    return "".join(out)


def _compile(pattern: str) -> re.Pattern:
    return re.compile(_fold_pattern(pattern))


# -- configuration -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cue:
    name: str
    regex: re.Pattern
    weight: float
    before: int = 0
    after: int = 0
    cross: bool = False


@dataclass(frozen=True)
class FieldConfig:
    name: str
    threshold: float
    margin: float
    repeat_bonus: float
    cues: tuple[Cue, ...]
    raw: dict


@dataclass(frozen=True)
class FactsConfig:
    months: dict[str, int]
    number_words: dict[str, int]
    quote_max: int
    intro_share: float
    intro_min_chars: int
    fields: dict[str, FieldConfig]
    questions: dict


@functools.cache
def load_config(path: str | None = None) -> FactsConfig:
    raw = yaml.safe_load(Path(path or CONFIG_PATH).read_text(encoding="utf-8"))
    fields = {}
    for name, spec in raw["fields"].items():
        cues = tuple(Cue(c["name"], _compile(c["pattern"]), float(c["weight"]), int(c.get("before", 0)),
                         int(c.get("after", 0)), bool(c.get("cross", False))) for c in spec.get("cues", []))
        fields[name] = FieldConfig(name, float(spec["threshold"]), float(spec["margin"]),
                                   float(spec.get("repeat_bonus", 0)), cues, spec)
    vocabulary = load_vocabulary()  # month names and numbers in words: the reports' language
    return FactsConfig(vocabulary.months, vocabulary.number_words,
                       int(raw.get("quote_max", 240)), float(raw.get("intro_share", 0.3)),
                       int(raw.get("intro_min_chars", 0)), fields, raw.get("questions", {}))


# -- the document --------------------------------------------------------------------------------------------
_BOUNDARY = re.compile(r"[.!?](?=\s+[A-ZÉÈÊÀÂÎÔÇ«\[(<•\-–])|[.!?](?=[A-ZÉÈÊÀÂÎÔÇ][a-zéèêàâîôûç])|;|\n[ \t]*\n|\f")
_HEADING = re.compile(r"^[^a-zà-ÿ\n]*[A-ZÉÈÊÀÂÎÔÇ]{2}[^a-zà-ÿ\n]*$", re.MULTILINE)


class Document:
    """The text, its folded copy and its sentence boundaries."""

    def __init__(self, text: str, reading: ReportReading | None = None) -> None:
        self.text = text
        self.folded = fold(text)
        cuts = {0, len(text)}
        for m in _BOUNDARY.finditer(text):
            cuts.add(m.end())
        for m in _HEADING.finditer(text):
            if len(m.group(0).split()) >= 4:  # a heading in capitals ends what comes before it
                cuts.update((m.start(), m.end()))
        self.cuts = sorted(cuts)
        starts = [f.start for f in (reading.findings if reading else [])]
        cfg = load_config()
        self.intro_end = min(starts) if starts else max(int(len(text) * cfg.intro_share), cfg.intro_min_chars)

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        i = bisect_right(self.cuts, start) - 1
        j = bisect_left(self.cuts, end)
        return self.cuts[max(i, 0)], self.cuts[min(j, len(self.cuts) - 1)]

    def quote(self, start: int, end: int) -> str:
        """The sentence around ``[start, end)``, clipped around the value to ``quote_max`` characters."""
        limit = load_config().quote_max
        s, e = self.sentence(start, end)
        if e - s > limit:
            s = max(s, start - limit // 2)
            e = min(e, s + limit)
            s = max(s, min(start, e - limit))
        return collapse_whitespace(self.text[s:e])[:limit]


# -- candidates ----------------------------------------------------------------------------------------------
@dataclass
class Mention:
    value: object
    start: int
    end: int
    score: float = 0.0
    cues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """One value with its best mention: what a rule or the LLM may choose."""

    value: object
    score: float
    start: int
    end: int
    quote: str
    cues: tuple[str, ...]
    mentions: int


@dataclass(frozen=True)
class Fact:
    """A value and the exact (whitespace-normalised) text it was read from, with its offsets."""

    value: object
    quote: str
    start: int = -1
    end: int = -1
    source: str = "rule"


@dataclass
class FieldReading:
    """All candidates of one fact, best first, and what the rules decide."""

    field: str
    candidates: list[Candidate]
    fact: Fact | None
    ambiguous: bool

    @property
    def needs_question(self) -> bool:
        ask_min = float(load_config().questions.get("ask_min_score", 0.5))
        if self.ambiguous:
            return True
        return self.fact is None and bool(self.candidates) and self.candidates[0].score >= ask_min


def _score(doc: Document, cfg: FieldConfig, mention: Mention) -> None:
    for cue in cfg.cues:
        s_sent, e_sent = doc.sentence(mention.start, mention.end)
        hit = False
        if cue.before:
            lo = max(0, mention.start - cue.before)
            if not cue.cross:
                lo = max(lo, s_sent)
            hit = cue.regex.search(doc.folded[lo:mention.start]) is not None
        if not hit and cue.after:
            hi = mention.end + cue.after
            if not cue.cross:
                hi = min(hi, e_sent)
            hit = cue.regex.search(doc.folded[mention.end:hi]) is not None
        if hit:
            mention.score += cue.weight
            mention.cues.append(cue.name)


def _early(cfg: FieldConfig, mention: Mention) -> None:
    if mention.start < int(cfg.raw.get("early_chars", 0)):
        mention.score += float(cfg.raw.get("early_weight", 0))
        mention.cues.append("early")


def value_key(value: object) -> object:
    """The form two values of a fact are compared in (floats to 2 decimals)."""
    return round(value, 2) if isinstance(value, float) else value


def _decide(doc: Document, cfg: FieldConfig, mentions: list[Mention]) -> FieldReading:
    by_value: dict[object, list[Mention]] = {}
    for mention in mentions:
        by_value.setdefault(value_key(mention.value), []).append(mention)
    candidates = []
    for group in by_value.values():
        best = max(group, key=lambda m: (m.score, -m.start))
        others = sum(1 for m in group if m is not best and m.score > 0)
        score = best.score + cfg.repeat_bonus * min(others, 4)
        candidates.append(Candidate(best.value, round(score, 3), best.start, best.end,
                                    doc.quote(best.start, best.end), tuple(best.cues), len(group)))
    candidates.sort(key=lambda c: (-c.score, c.start))
    fact, ambiguous = None, False
    if candidates and candidates[0].score >= cfg.threshold:
        top = candidates[0]
        fact = Fact(top.value, top.quote, top.start, top.end)
        ambiguous = len(candidates) > 1 and candidates[1].score >= cfg.threshold and \
            top.score - candidates[1].score < cfg.margin
    return FieldReading(cfg.name, candidates, fact, ambiguous)


# -- values of each kind -------------------------------------------------------------------------------------
def _number_token(cfg: FactsConfig, words: bool) -> str:
    alternatives = r"\d{1,4}" + ("|" + "|".join(sorted(cfg.number_words, key=len, reverse=True)) if words else "")
    return rf"(?<![\w,.])({alternatives})(?![\w])"


def _as_int(cfg: FactsConfig, token: str) -> int:
    return cfg.number_words[token] if token in cfg.number_words else int(token)


def _depth(folded: str, start: int, end: int) -> int:
    chunk = folded[start:end]
    return chunk.count("(") - chunk.count(")")


@functools.cache
def _date_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    months = "|".join(sorted(load_config().months, key=len, reverse=True))
    day = r"(\d{1,2})(?:er)?"
    multi = r"(?:\s*(?:,|et|au|a|-|&)\s*(?:le\s+)?\d{1,2}(?:er)?)+"
    cross_month = re.compile(rf"\b{day}\s+({months})(?:\s+(\d{{4}}))?\s*(?:au|et|-)\s*(?:le\s+)?\d{{1,2}}(?:er)?\s+"
                             rf"({months})\s+(\d{{4}})\b")
    written = re.compile(rf"\b{day}({multi})?\s+({months})\s+(\d{{4}})\b")
    numeric = re.compile(r"(?<![\d/.])(?:(\d{1,2})\s*(?:et|au|-|,)\s*)?(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?![\d])")
    numeric_next = re.compile(r"^\s*(?:et|au|-)\s*(?:le\s+)?\d{1,2}[/.]\d{1,2}[/.]\d{4}")
    return cross_month, written, numeric, numeric_next


def _make_date(year: str | int, month: int, day: str | int) -> dt.date | None:
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if 1990 <= value.year <= 2100 else None


def date_mentions(doc: Document) -> list[tuple[dt.date, int, int, bool]]:
    """Every date of the text: (first day, start, end, several days), ranges and lists included."""
    months = load_config().months
    cross_month, written, numeric, numeric_next = _date_patterns()
    found: list[tuple[dt.date, int, int, bool]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in cross_month.finditer(doc.folded):
        end_month, end_year = months[m.group(4)], int(m.group(5))
        start_month = months[m.group(2)]
        year = int(m.group(3)) if m.group(3) else end_year - (1 if start_month > end_month else 0)
        if (day := _make_date(year, start_month, m.group(1))):
            found.append((day, m.start(), m.end(), True))
            taken.append((m.start(), m.end()))
    for m in written.finditer(doc.folded):
        if free(m.start(), m.end()) and (day := _make_date(m.group(4), months[m.group(3)], m.group(1))):
            found.append((day, m.start(), m.end(), bool(m.group(2))))
            taken.append((m.start(), m.end()))
    for m in numeric.finditer(doc.folded):
        first = m.group(1) or m.group(2)  # "12 et 13/03/2024": the first day
        if free(m.start(), m.end()) and (day := _make_date(m.group(4), m.group(3), first)):
            found.append((day, m.start(), m.end(), bool(m.group(1) or numeric_next.match(doc.folded, m.end()))))
    return sorted(found, key=lambda f: f[1])


def _read_dates(doc: Document, cfg: FieldConfig) -> list[Mention]:
    mentions = []
    for day, start, end, multi in date_mentions(doc):
        mention = Mention(day, start, end)
        _score(doc, cfg, mention)
        _early(cfg, mention)
        if multi:
            mention.score += float(cfg.raw.get("multi_day_weight", 0))
            mention.cues.append("several_days")
        mentions.append(mention)
    return mentions


_FINESS_TOKEN = re.compile(r"(?<![\w])([0-9][0-9AB]\d{7})(?![\w])|(?<![\w\d] )(?<![\w\d])(\d{3}) (\d{3}) (\d{3})(?! ?\d)")


def _read_finess(doc: Document, cfg: FieldConfig) -> list[Mention]:
    mentions = []
    for m in _FINESS_TOKEN.finditer(doc.text):
        value = m.group(1) or (m.group(2) + m.group(3) + m.group(4))
        if is_valid_finess(value):
            mention = Mention(value, m.start(), m.end())
            _score(doc, cfg, mention)
            mentions.append(mention)
    return mentions


def _read_names(doc: Document, cfg: FieldConfig) -> list[Mention]:
    spec = cfg.raw
    connectors = {fold(c) for c in spec.get("connectors", [])}
    prefix = re.compile(r"(?<![\w])(" + "|".join(re.escape(p) for p in spec["prefixes"]) + r")\)?[ \t]+(?:[«\"“][ \t]*)?")
    token = re.compile(r"[^\s,;:()\[\]«»\"/]+")
    mentions = []
    for m in prefix.finditer(doc.text):
        pos, words, end = m.end(), [], m.end()
        while True:
            t = token.match(doc.text, pos)
            if not t:
                break
            word = t.group(0)
            folded = fold(word)
            elided = re.match(r"^(l|d)'(.+)$", folded)
            is_name = word[0].isupper() or (elided is not None and word[2:3].isupper())
            if not (is_name or (words and folded in connectors)) or "<" in word or word[0] in "-–":
                break
            if word.endswith("."):
                if is_name and len(word) > 2:
                    words.append(word[:-1])
                    end = t.end() - 1
                break
            words.append(word)
            if is_name:
                end = t.end()
            gap = re.match(r"[ \t]+|\n(?=\S)", doc.text[t.end():t.end() + 2])
            if not gap or (gap.group(0) == "\n" and folded not in connectors):
                break
            pos = t.end() + len(gap.group(0))
        name = collapse_whitespace(m.group(1) + " " + doc.text[m.end():end]).rstrip(".'’-")
        if end > m.end() and any(w[0].isupper() for w in words):
            mention = Mention(name, m.start(), end)
            _score(doc, cfg, mention)
            _early(cfg, mention)
            mentions.append(mention)
    # A name cut short by an anonymised part ("EHPAD Résidence <…>") counts for the longer name it begins.
    names = {mention.value for mention in mentions}
    for mention in mentions:
        longer = [n for n in names if n != mention.value and n.startswith(mention.value + " ")]
        if longer:
            mention.value = max(longer, key=len)
            mention.score -= 1
    return mentions


def _read_phrases(doc: Document, cfg: FieldConfig, values: dict) -> list[Mention]:
    mentions = []
    taken: list[tuple[int, int]] = []
    for value, patterns in values.items():
        for spec in patterns:
            for m in _compile(spec["pattern"]).finditer(doc.folded):
                if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                    continue  # "sans information préalable" is not also "information préalable"
                taken.append((m.start(), m.end()))
                mention = Mention(value, m.start(), m.end(), float(spec["weight"]), ["phrase"])
                _score(doc, cfg, mention)
                mentions.append(mention)
    return mentions


def _read_unannounced(doc: Document, cfg: FieldConfig, visit: dt.date | None) -> list[Mention]:
    values = {value == "true": patterns for value, patterns in cfg.raw["values"].items()}
    # Phrases of the stronger side first: "sans information préalable" masks "information préalable".
    mentions = _read_phrases(doc, cfg, dict(sorted(values.items(), key=lambda kv: not kv[0])))
    window = int(cfg.raw.get("date_window", 90))
    dates = date_mentions(doc)
    for mention in mentions:
        _early(cfg, mention)
        near = [d for d, s, e, _ in dates if s < mention.end + window and e > mention.start - window]
        if visit is not None and visit in near:
            mention.score += float(cfg.raw.get("near_visit_date", 0))
            mention.cues.append("near_visit_date")
        elif near:
            mention.score += float(cfg.raw.get("near_other_date", 0))
            mention.cues.append("near_other_date")
    return mentions


def _read_trigger(doc: Document, cfg: FieldConfig) -> list[Mention]:
    mentions = _read_phrases(doc, cfg, cfg.raw["values"])
    for mention in mentions:
        if mention.start < doc.intro_end:
            mention.score += float(cfg.raw.get("intro_weight", 0))
            mention.cues.append("intro")
        else:
            mention.score += float(cfg.raw.get("after_intro_weight", 0))
            mention.cues.append("after_intro")
    return mentions


def _unit_numbers(doc: Document, cfg: FieldConfig, words: bool) -> list[re.Match]:
    facts_cfg = load_config()
    pattern = re.compile(_number_token(facts_cfg, words) + r"\s+(seule?s?\s+)?" + _fold_pattern(cfg.raw["unit"]) + r"(?![a-z])")
    return list(pattern.finditer(doc.folded))


def _read_capacity(doc: Document, cfg: FieldConfig) -> list[Mention]:
    spec = cfg.raw
    unit_number = re.compile(r"(?<![\w,.])(\d{1,4})\s+" + _fold_pattern(spec["unit"]) + r"(?![a-z])")
    continuation = _compile(spec["continuation"])
    part_of, part_reset = _compile(spec["part_of"]), _compile(spec["part_reset"])
    matches = list(unit_number.finditer(doc.folded))
    info = []  # (match, nested in brackets, part of a breakdown)
    previous: tuple[re.Match, bool] | None = None  # the sentence's previous top-level figure
    previous_sentence = -1
    for m in matches:
        s_sent, _ = doc.sentence(m.start(1), m.end(1))
        if s_sent != previous_sentence:
            previous, previous_sentence = None, s_sent
        nested = _depth(doc.folded, s_sent, m.start()) > 0
        inside_part = False
        if previous is not None:
            # "dont", "y compris" after the previous figure opens a breakdown; ", et", ";", "soit" close it.
            between = doc.folded[previous[0].end():m.start()]
            last_part = None
            for p in part_of.finditer(between):
                last_part = p
            if last_part is not None:
                inside_part = not part_reset.search(between[last_part.end():])
            else:
                inside_part = previous[1] and not part_reset.search(between)
        info.append((m, nested, inside_part))
        if not nested:
            previous = (m, inside_part)
    mentions = []
    added: set[int] = set()  # figures summed into an earlier one ("72 lits … et 6 places") are not totals
    for i, (m, nested, inside_part) in enumerate(info):
        if nested or inside_part or i in added:
            continue  # a breakdown ("dont 14 en UVP", "(68 places …)") is not a capacity
        total, end, parts = int(m.group(1)), m.end(), 1
        _, e_sent = doc.sentence(m.start(1), m.end(1))
        previous_end = m.end()
        for j, (n, n_nested, n_inside) in enumerate(info[i + 1:], start=i + 1):
            if n.start() >= e_sent:
                break
            if n_nested or n_inside:
                previous_end = n.end()
                continue
            gap = doc.folded[previous_end:n.start()]
            if len(gap) <= 120 and continuation.search(gap[-40:]):
                total, end, parts, previous_end = total + int(n.group(1)), n.end(), parts + 1, n.end()
                added.add(j)
            else:
                break
        mention = Mention(total, m.start(1), end)
        if parts > 1:
            mention.cues.append(f"sum_of_{parts}")
        _score(doc, cfg, mention)
        mentions.append(mention)
    return mentions + _labelled_numbers(doc, cfg)


def _labelled_numbers(doc: Document, cfg: FieldConfig) -> list[Mention]:
    """Figures after the field's label and no unit ("Capacité autorisée : 80"): the label is the cue."""
    if not cfg.raw.get("labelled"):
        return []
    mentions = []
    for m in _compile(cfg.raw["labelled"]).finditer(doc.folded):
        group = m.lastindex or 1
        while group > 0 and not (m.group(group) or "").isdigit():
            group -= 1
        mention = Mention(int(m.group(group)), m.start(group), m.end(group))
        _score(doc, cfg, mention)
        mention.score += float(cfg.raw.get("label_weight", cfg.threshold))
        mention.cues.append("label")
        mentions.append(mention)
    return mentions


def _read_counted(doc: Document, cfg: FieldConfig, words: bool) -> list[Mention]:
    facts_cfg = load_config()
    mentions = []
    for m in _unit_numbers(doc, cfg, words):
        # `span: number`: the cues after the figure read its unit too ("60 présents", "93 résidents étaient…").
        mention = Mention(_as_int(facts_cfg, m.group(1)), m.start(1), m.end(1) if cfg.raw.get("span") == "number" else m.end())
        weak = None if m.group(2) else cfg.raw.get("weak_words", {}).get(m.group(1))  # "un seul agent" counts
        if weak:
            mention.score += float(weak)
            mention.cues.append("weak_word")
        _score(doc, cfg, mention)
        mentions.append(mention)
    return mentions + _labelled_numbers(doc, cfg)


def _read_fte(doc: Document, cfg: FieldConfig) -> list[Mention]:
    pattern = re.compile(r"(?<![\w,.])(\d{1,3}(?:[.,]\d{1,2})?)\s*" + _fold_pattern(cfg.raw["unit"]) + r"(?![a-z])")
    mentions = []
    for m in pattern.finditer(doc.folded):
        mention = Mention(float(m.group(1).replace(",", ".")), m.start(1), m.end())
        _score(doc, cfg, mention)
        mentions.append(mention)
    return mentions


# -- reading a report ----------------------------------------------------------------------------------------
def read_field(doc: Document, name: str, visit: dt.date | None = None) -> FieldReading:
    cfg = load_config().fields[name]
    if name == "finess":
        mentions = _read_finess(doc, cfg)
    elif name == "establishment_name":
        mentions = _read_names(doc, cfg)
    elif name == "inspection_date":
        mentions = _read_dates(doc, cfg)
    elif name == "unannounced":
        mentions = _read_unannounced(doc, cfg, visit)
    elif name == "trigger":
        mentions = _read_trigger(doc, cfg)
    elif name == "capacity":
        mentions = _read_capacity(doc, cfg)
    elif name == "residents_present":
        mentions = _read_counted(doc, cfg, words=False)
    elif name == "night_staff":
        mentions = _read_counted(doc, cfg, words=True)
    elif name in ("care_fte", "medec_fte"):
        mentions = _read_fte(doc, cfg)
    else:
        raise KeyError(name)
    return _decide(doc, cfg, mentions)


def read_fields(text: str, reading: ReportReading | None = None,
                visit_date: dt.date | None = None) -> dict[str, FieldReading]:
    """Every read fact of one anonymised report, with its ranked candidates.

    ``visit_date``, when the caller already knows it, is taken as the visit date (and anchors the
    unannounced reading); else the visit date is read first and anchors it.
    """
    doc = Document(text, reading)
    readings: dict[str, FieldReading] = {}
    dates = read_field(doc, "inspection_date")
    if visit_date is not None:
        known = next((c for c in dates.candidates if c.value == visit_date), None)
        fact = Fact(visit_date, known.quote if known else "", known.start if known else -1,
                    known.end if known else -1, "given")
        dates = FieldReading("inspection_date", dates.candidates, fact, False)
    readings["inspection_date"] = dates
    visit = dates.fact.value if dates.fact else None
    for name in READ_FACTS:
        if name != "inspection_date":
            readings[name] = read_field(doc, name, visit)
    return {name: readings[name] for name in READ_FACTS}


def visit_date(text: str) -> Fact | None:
    """The date of the visit (or the start of a desk control) read by the rules alone."""
    return read_field(Document(text), "inspection_date").fact


_AMOUNT = re.compile(r"(\d{1,3}(?:[   .]\d{3})+|\d+)(?:,(\d{1,2}))?\s*(?:€|euros?\b)", re.IGNORECASE)


def amounts_eur(text: str) -> list[Fact]:
    """Sums of money stated in euros, with the sentence around them."""
    doc = Document(text)
    facts = []
    for match in _AMOUNT.finditer(text):
        whole = re.sub(r"[   .]", "", match.group(1))
        value = float(whole) + (float("0." + match.group(2)) if match.group(2) else 0.0)
        facts.append(Fact(value, doc.quote(match.start(), match.end()), match.start(), match.end()))
    return facts
