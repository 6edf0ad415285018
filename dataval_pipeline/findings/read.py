"""Reads findings and measures from the anonymised text of a report (any house style).

The document is segmented first (``findings.segment``: lines, pages, furniture, headings, tables,
lists, annexes), then read in four passes, each on the segments it fits:

1. labelled lines outside tables: "Écart n°3 :", "E.1 –", "- Remarque :", "Prescription n°1 (délai : 1 mois) :",
   "I1 – Injonction (écart n°2) :", numbered items under a "Recommandations" heading;
2. table rows (one cell per line in a PDF's text layer): the row key (first column) tells a row from the
   next, typed cells (measure kind, deadline, finding references, grade, legal reference, status) tell
   what the row is; a status table of earlier measures (levée / non levée) is not read as new measures;
3. prose: "..., ce qui constitue un écart majeur à l'article ...", "ce qui appelle une remarque";
4. merging: a finding listed in the body and in a summary table counts once (the table may add its grade
   or references); when the two lists disagree the disagreement is recorded.

Every word comes from ``config/vocabulary.yaml`` (``findings.vocabulary``); a report that declares its own
label words ("les écarts sont présentés sous la forme de « constats »") is read with them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dataval_pipeline.findings.model import Finding, Measure, ReportReading
from dataval_pipeline.findings.segment import PLACEHOLDER, Document, Line, is_placeholder_only, segment
from dataval_pipeline.findings.vocabulary import Vocabulary, alternation, fold, load_vocabulary, phrase_pattern

_TERMINAL = ".;!?)»"
_NUM = r"(?:[nN]\s?[°º]|[nN][oO]\.?|[nN]um[ée]ro|NUM[ÉE]RO|#)?\s*"
_MAX_LINES = 14


# ---------------------------------------------------------------- patterns built from the vocabulary

@dataclass
class _Patterns:
    vocabulary: Vocabulary
    finding_words: dict[str, str]  # folded label word -> kind (document's declarations included)
    r_is_remark: bool

    def __post_init__(self) -> None:
        v = self.vocabulary
        words = sorted(self.finding_words, key=len, reverse=True)
        self.grade = alternation([w for ws in v.grades.values() for w in ws])
        word = "(?:" + "|".join(phrase_pattern(w) + "s?" for w in words) + ")"
        # a finding label at the start of a line (after a bullet): word, grade, number, separator
        self.finding_label = re.compile(
            r"^(?P<bullet>[-–—•▪*]\s*)?(?P<word>" + word + r")(?![\wÀ-ÿ])"
            r"(?:\s+(?P<grade1>" + self.grade + r"))?"
            r"(?:\s*" + _NUM + r"(?P<num>\d{1,3})(?P<sub>(?:\.\d{1,2}){1,2})?(?![\d,.]\d|[\d-]))?"
            r"(?:\s+(?P<grade2>" + self.grade + r"))?"
            r"(?:\s*\((?P<grade3>" + self.grade + r")\))?"
            r"(?:\s*\((?P<stated>" + alternation(sum(v.finding_labels.values(), [])) + r")(?:\s+(?P<grade4>"
            + self.grade + r"))?\))?"
            r"(?P<ref>\s+(?:à|aux?|au regard d[eu]s?)\s+(?:l['’])?(?:articles?|art\.|arrêté|décret)[^:\n]{0,80}(?=:))?"
            r"\s*(?P<sep>[:–—-]\s*|\.\s+|$)")
        self.finding_abbr = re.compile(
            r"^(?P<bullet>[-–—•▪*]\s*)?(?P<abbr>" + "|".join(sorted(
                (re.escape(a) for ws in v.finding_abbreviations.values() for a in ws), key=len, reverse=True))
            + r")\s?[.-]?\s?(?P<num>\d{1,3})(?P<sub>(?:\.\d{1,2}){1,2})?(?![\d-]|[.,]\d)\s*(?P<sep>[:–—-]\s*|$)")
        kinds = alternation([w for ws in v.measure_kinds.values() for w in ws])
        singular = alternation([w for ws in v.measure_kinds.values() for w in ws if not fold(w).endswith("s")])
        self.kind_word = re.compile(r"(?<![\wÀ-ÿ])(" + kinds + r")(?![\wÀ-ÿ])", re.IGNORECASE)
        self.kind_cell = re.compile(r"^" + singular + r"$", re.IGNORECASE)
        generic = alternation(v.generic_measure_labels)
        self.measure_label = re.compile(
            r"^(?P<bullet>[-–—•▪*]\s*)?(?P<word>" + singular + "|" + generic + r")(?![\wÀ-ÿ])"
            r"(?:\s*" + _NUM + r"(?P<num>\d{1,3})(?![\d,.]\d|[\d-]))?"
            r"\s*(?P<paren>\([^)]{0,80}\))?"
            r"\s*(?P<sep>[:–—-]\s*|(?=[A-ZÀ-Ý])|$)")
        self.measure_abbr = re.compile(
            r"^(?P<bullet>[-–—•▪*]\s*)?(?P<abbr>[" + "".join(
                a for ws in v.measure_abbreviations.values() for a in ws) + r"])\s?\.?\s?(?P<num>\d{1,3})"
            r"(?![\d-]|[.,]\d)\s*(?:[–—:-]\s*(?P<word>" + singular + r"))?"
            r"\s*(?P<paren>\([^)]{0,80}\))?\s*(?P<sep>[:–—-]\s*|(?=[A-ZÀ-Ýa-z])|$)")
        self.deadline_keyword = re.compile(
            r"[(\[]?\s*(?<![\wÀ-ÿ])" + alternation(v.deadline_keywords) + r"s?(?:\s+d[e'’][^:\n()]{0,25})?\s*:\s*",
            re.IGNORECASE)
        self.status = re.compile(r"^" + alternation(v.status_words) + r"$", re.IGNORECASE)
        self.grade_cell = re.compile(r"^" + self.grade + r"$", re.IGNORECASE)
        self.immediate = re.compile(r"(?<![\wÀ-ÿ])" + alternation(v.immediate) + r"(?![\wÀ-ÿ])", re.IGNORECASE)
        units = "|".join(sorted(v.units, key=len, reverse=True))
        numbers = "|".join(sorted(v.number_words, key=len, reverse=True))
        self.duration = re.compile(r"(?<![\wÀ-ÿ])(\d{1,4}|" + numbers + r")\s+(" + units + r")(?![\wÀ-ÿ])",
                                   re.IGNORECASE)
        self.date = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)|(?<![\wÀ-ÿ])(\d{1,2})(?:er)?\s+("
                               + "|".join(_month_patterns(v)) + r")\s+(\d{4})", re.IGNORECASE)
        self.no_deadline = re.compile(r"^" + alternation(v.no_deadline) + r"$", re.IGNORECASE)
        date_or_duration = (r"(?:(?:\d{1,4}|" + numbers + r")\s+(?:" + units + r")|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}(?:er)?\s+(?:"
                            + "|".join(_month_patterns(v)) + r")\s+\d{4})")
        self.deadline_phrase = re.compile(
            r"(?P<deadline>(?:dans|sous)\s+(?:un\s+)?d[ée]lai\s+(?:maximum\s+|maximal\s+)?(?:de\s+|d['’])?"
            + date_or_duration + r"|(?:avant|d['’]ici|au plus tard)\s+(?:le|au|fin)\s+" + date_or_duration
            + r"|sous\s+" + date_or_duration + r")", re.IGNORECASE)

    def finding_match(self, text: str, cell: bool = False) -> tuple[re.Match, str, int | None, str | None] | None:
        """(match, kind, number, grade) for a finding label at the start of ``text``.

        An unnumbered label word alone on its line is a table cell ("Écart" heads a column of figures, or
        starts a row of a findings table): read only when ``cell``.
        """
        m = self.finding_label.match(text)
        if m:
            key = fold(m.group("word"))
            kind = self.finding_words.get(key) or self.finding_words.get(key.rstrip("s"))
            if kind is None:
                return None
            if m.group("stated"):  # "Constat n°2 (remarque) :": the kind is stated
                key = fold(m.group("stated"))
                kind = {fold(w): k for k, ws in self.vocabulary.finding_labels.items() for w in ws}.get(key, kind)
            number = int(m.group("num")) if m.group("num") and not m.group("sub") else None
            grade_word = m.group("grade1") or m.group("grade2") or m.group("grade3") or m.group("grade4")
            sep = m.group("sep")
            if m.group("num") is None and (fold(m.group("word")).endswith("s")
                                           or re.match(r"\s*\d+\s*(?:$|[;,)](?!\d)|et\s)", text[m.end():])):
                return None  # "Écarts : 3 ; remarques : 2" counts, it lists nothing
            if m.group("num") is None and not sep.strip() and (m.end() < len(text) or not cell):
                return None
            if sep.startswith(".") and m.group("num") is None:
                return None  # "Constats. La mission..." introduces a paragraph, it is not a label
            if not m.group("word")[0].isupper() and not m.group("bullet"):
                return None  # a wrapped line of prose ("écart majeur à l'article ...")
            grade = self.vocabulary.grade_of(grade_word, kind) if grade_word else None
            return m, kind, number, grade
        m = self.finding_abbr.match(text)
        if m:
            abbr = m.group("abbr")
            kind = next(k for k, ws in self.vocabulary.finding_abbreviations.items() if abbr in ws)
            if kind == "remark" and not self.r_is_remark:
                return None
            return m, kind, None if m.group("sub") else int(m.group("num")), None
        return None


def _month_patterns(v: Vocabulary) -> list[str]:
    return [phrase_pattern(m) for m in sorted(v.months, key=len, reverse=True)]


def _numbering(m: re.Match) -> str | None:
    """The number of a label as written ("3", "2.1"), None when unnumbered."""
    groups = m.groupdict()
    return (groups["num"] + (groups.get("sub") or "")) if groups.get("num") else None


def _measure_kind(word: str, vocabulary: Vocabulary) -> str | None:
    folded = fold(word)
    for kind, words in vocabulary.measure_kinds.items():
        if folded in {fold(w) for w in words}:
            return kind
    return None


def _declared_words(doc: Document, vocabulary: Vocabulary) -> dict[str, str]:
    """Label words a report declares for its kinds ("les écarts ... sous la forme de « constats »")."""
    declared: dict[str, str] = {}
    # sentences of running text only: a table or a heading glued to the next line would make one sentence
    # of a table's cells ("N° | Libellé | Constat n°1 ...") and a count sentence
    chunks: list[list[str]] = [[]]
    for line in doc.body:
        if line.table is not None or line.header_cell or line.heading or line.title:
            chunks.append([])
        else:
            chunks[-1].append(line.text)
    sentences = [s for chunk in chunks if chunk
                 for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý])", " ".join(chunk))]
    kind_words = [(w, kind) for kind, ws in vocabulary.declaration_kind_words.items() for w in ws]
    kind_re = re.compile(r"(?<![\wÀ-ÿ])" + alternation([w for w, _ in kind_words]) + r"(?![\wÀ-ÿ])", re.IGNORECASE)
    kind_of = {fold(w): kind for w, kind in kind_words}
    declarable = alternation(vocabulary.declarable)
    quoted = re.compile(r"[«\"“]\s*(" + declarable + r")s?\s*[»\"”]|(?<![\wÀ-ÿ])(" + declarable + r")s?\s+"
                        + r"(?:n\s?[°º]|\d)", re.IGNORECASE)
    plain = re.compile(r"(?<![\wÀ-ÿ])(" + declarable + r")s?(?![\wÀ-ÿ])", re.IGNORECASE)
    verbs = vocabulary.declaration_verbs
    declaring = re.compile(r"(?<![\wÀ-ÿ])" + alternation(verbs) + r"(?![\wÀ-ÿ])", re.IGNORECASE) if verbs else None
    for sentence in sentences:
        kinds = [(m.start(), kind_of[fold(m.group(0))]) for m in kind_re.finditer(sentence)]
        if not kinds:
            continue
        found = [(m.start(), fold(m.group(1) or m.group(2))) for m in quoted.finditer(sentence)]
        if not found and declaring is not None and declaring.search(sentence):
            found = [(m.start(), fold(m.group(1))) for m in plain.finditer(sentence)]
        words: list[tuple[int, str]] = []
        for pos, word in found:
            if word not in [w for _, w in words]:
                words.append((pos, word))
        if not words:
            continue
        distinct_kinds = []
        for _, kind in kinds:
            if kind not in distinct_kinds:
                distinct_kinds.append(kind)
        if len(words) >= 2 and len(distinct_kinds) >= 2:
            for (_, word), kind in zip(words, distinct_kinds):
                declared.setdefault(word, kind)
        else:
            for pos, word in words:
                nearest = min(kinds, key=lambda k: abs(k[0] - pos))
                if abs(nearest[0] - pos) <= 120:
                    declared.setdefault(word, nearest[1])
    return declared


def _declared_letters(doc: Document, vocabulary: Vocabulary) -> dict[str, str]:
    """Letters a legend gives a meaning ("I (injonction), P (prescription) et R (recommandation)", "R = remarque").

    Returns letter -> "measure" | "finding".
    """
    words = [(w, "measure") for ws in vocabulary.measure_kinds.values() for w in ws]
    words += [(w, "finding") for ws in vocabulary.finding_labels.values() for w in ws]
    what = {fold(w): k for w, k in words}
    letters = "".join(sorted({a for ws in vocabulary.measure_abbreviations.values() for a in ws}
                             | {a for ws in vocabulary.finding_abbreviations.values() for a in ws}))
    legend = re.compile(r"(?<![\wÀ-ÿ.])([" + letters + r"])\s*(?:\(\s*|=\s*|:\s*|pour\s+(?:une?\s+)?)("
                        + alternation([w for w, _ in words]) + r")(?![\wÀ-ÿ])", re.IGNORECASE)
    out: dict[str, str] = {}
    for line in doc.body:
        if line.table is not None or line.header_cell:
            continue
        for m in legend.finditer(line.text):
            if m.group(1).isupper():
                out.setdefault(m.group(1), what[fold(m.group(2))])
    return out


# ---------------------------------------------------------------- legal references

_ARTICLE = re.compile(r"(?<![\wÀ-ÿ.])([LRD])\s?\.?\s?(\d{1,4}(?:-\d{1,4}){0,4})(?![\d])")


def _is_article(m: re.Match) -> bool:
    """"L.311-3", "R.4311-4", "D 312-156" are articles; "R1", "R 3", "E12" are finding labels."""
    return "-" in m.group(2) or len(m.group(2)) >= 3


def legal_refs(text: str, vocabulary: Vocabulary | None = None, default_code: str | None = None) -> list[str]:
    """Normalised references: "D.312-155-0 CASF", "R.4311-4 CSP", "arrêté du 7 septembre 1999"."""
    vocabulary = vocabulary or load_vocabulary()
    codes = [(phrase_pattern(name), code) for code, names in vocabulary.codes.items() for name in names]
    code_re = re.compile("|".join(f"(?P<c{i}>(?<![\\wÀ-ÿ]){p}(?![\\wÀ-ÿ]))" for i, (p, _) in enumerate(codes)))
    same = re.compile(alternation(vocabulary.same_code), re.IGNORECASE)
    out: list[str] = []
    previous = default_code
    # clauses: a code applies to the articles listed before it in the same clause
    for clause in re.split(r";|\)\s*(?=\()|\n\n", text):
        pending: list[str] = []
        events = []
        for m in _ARTICLE.finditer(clause):
            if not _is_article(m):
                continue  # "R 3": a remark, not an article
            events.append((m.start(), "ref", f"{m.group(1)}.{m.group(2)}"))
        for m in code_re.finditer(clause):
            code = next(codes[int(k[1:])][1] for k, v in m.groupdict().items() if v)
            events.append((m.start(), "code", code))
        for m in same.finditer(clause):
            events.append((m.start(), "same", ""))
        for _, what, value in sorted(events):
            if what == "ref":
                pending.append(value)
            elif pending:
                code = previous if what == "same" else value
                out.extend(f"{ref} {code}" if code else ref for ref in pending)
                previous = code
                pending = []
            elif what == "code":
                previous = value
        out.extend(f"{ref} {previous}" if previous else ref for ref in pending)
    texts = alternation(vocabulary.legal_texts)
    text_re = re.compile(r"(?<![\wÀ-ÿ])(" + texts + r")\s+(?:(?:du|en date du)\s+(\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4})"
                         r"|(n\s?°\s*\d{2,4}-\d{1,5}))", re.IGNORECASE)
    for m in text_re.finditer(text):
        name = " ".join(m.group(1).split())
        name = name[0].lower() + name[1:] if not name.isupper() else name
        words = name.split()
        if len(words) > 1 and words[1].isupper() is False and fold(words[1]) == words[1].lower():
            words = [words[0]] + [w.upper() if len(w) <= 4 and fold(w) in ("anc",) else w for w in words[1:]]
        name = " ".join(words)
        value = f"{name} du {' '.join(m.group(2).split())}" if m.group(2) else f"{name} {' '.join(m.group(3).split())}"
        out.append(value)
    seen: list[str] = []
    for ref in out:
        if ref not in seen:
            seen.append(ref)
    return seen


# ---------------------------------------------------------------- deadlines

def parse_deadline(text: str | None, visit_date: dt.date | None = None,
                   patterns: _Patterns | None = None) -> int | None:
    """Days for a deadline as written: "3 mois" -> 90, "immédiat" -> 0, a date -> days after the visit."""
    if not text:
        return None
    p = patterns or _patterns_for(load_vocabulary(), {}, True)
    date = p.date.search(text)
    if date:
        if visit_date is None:
            return None
        try:
            if date.group(1):
                day = dt.date(int(date.group(3)), int(date.group(2)), int(date.group(1)))
            else:
                day = dt.date(int(date.group(6)), p.vocabulary.months[fold(date.group(5))], int(date.group(4)))
        except ValueError:
            return None
        return (day - visit_date).days
    duration = p.duration.search(text)
    if duration:
        amount = duration.group(1)
        value = int(amount) if amount.isdigit() else p.vocabulary.number_words[fold(amount)]
        return value * p.vocabulary.units[fold(duration.group(2))]
    if p.immediate.search(text):
        return 0
    return None


# ---------------------------------------------------------------- reading

@dataclass
class _Found:
    """A finding before ids are given (the body and tables both produce them)."""

    kind: str
    number: int | None
    label: str
    text: str
    start: int
    end: int
    grade: str | None = None
    refs: list[str] = field(default_factory=list)
    origin: str = "body"  # body | table | prose
    numbering: str | None = None  # "3", or "2.1" for a sub-numbered label (``number`` is then None)

    def __post_init__(self) -> None:
        if self.numbering is None and self.number is not None:
            self.numbering = str(self.number)


@dataclass
class _FoundMeasure:
    kind: str
    number: int | None
    label: str
    text: str
    deadline_text: str | None
    start: int
    end: int
    finding_refs: list[tuple[str, str]] = field(default_factory=list)  # (kind, numbering: "3", "2.1")


def _patterns_for(vocabulary: Vocabulary, declared: dict[str, str], r_is_remark: bool) -> _Patterns:
    words = {fold(w): kind for kind, ws in vocabulary.finding_labels.items() for w in ws}
    words.update(declared)
    return _Patterns(vocabulary, words, r_is_remark)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _span_text(doc: Document, start: int, end: int) -> tuple[str, int, int]:
    """The collapsed wording of ``doc.text[start:end]`` without furniture lines, and its trimmed span."""
    parts = [line for line in doc.lines if line.end > start and line.start < end and not line.running]
    pieces = []
    for line in parts:
        a, b = max(start, line.start), min(end, line.end)
        pieces.append(doc.text[a:b])
    text = _clean(" ".join(pieces))
    raw = doc.text[start:end]
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw) - len(raw.rstrip())
    return text, start + lead, end - trail


def _is_boundary(line: Line, p: _Patterns) -> bool:
    if line.heading or line.title or line.table is not None or line.header_cell:
        return True
    if line.bullet:
        return True
    return bool(p.finding_match(line.text) or _measure_start(line.text, p))


def _measure_start(text: str, p: _Patterns, heading: bool = False) -> re.Match | None:
    m = p.measure_label.match(text)
    if m and m.group("word")[0].isupper() and (m.group("num") or m.group("sep").strip() or m.group("paren")):
        if _measure_kind(m.group("word"), p.vocabulary) or m.group("num"):
            return m
    m = p.measure_abbr.match(text)
    if m and heading and not m.group("word"):
        return None
    if m and (m.group("word") or m.group("paren") or m.group("sep").strip()):
        abbr = m.group("abbr")
        if m.group("word") is None and abbr in sum(p.vocabulary.finding_abbreviations.values(), []):
            if p.r_is_remark:
                return None
        return m
    return None


def _local_width(lines: list[Line], i: int) -> int:
    window = [len(x.text) for x in lines[max(0, i - 12): i + 12] if len(x.text) >= 20]
    if not window:
        return 80
    window.sort()
    return window[min(len(window) - 1, int(len(window) * 0.8))]  # the usual width of a full line here


_REF_END = re.compile(r"(?<![\wÀ-ÿ])(?:CASF|CSP|CSS|CRPA)\s*\)?\s*\.?\)?$")


def _ends_sentence(text: str) -> bool:
    """A line that ends a sentence: ".", "!", "?", or a closing bracket or quote right after one."""
    text = text.rstrip()
    if not text:
        return False
    if text[-1] in ".!?":
        return not (re.search(r"(?<![\wÀ-ÿ])(?:art|n°|M|Mme|Dr|cf|p|al|etc)\.$", text, re.IGNORECASE)
                    or re.search(r"(?<![\wÀ-ÿ])[A-Z]\.$", text))  # "de l'article L." / "313-26"
    return len(text) > 1 and text[-1] in ")»" and text[-2] in ".!?"


def _paragraph_end(body: list[Line], i: int, p: _Patterns, *, measure: bool = False) -> int:
    """Index of the last line of the paragraph starting at ``body[i]``."""
    j = i
    while j - i < _MAX_LINES:
        line = body[j]
        nxt = body[j + 1] if j + 1 < len(body) else None
        if nxt is None:
            return j
        if measure and p.deadline_keyword.match(nxt.text):
            j += 1
            continue
        if _is_boundary(nxt, p):
            return j
        ends = _ends_sentence(line.text) or bool(
            line.text.endswith(")") and re.search(r"[.!?]\s*\([^()]*\)\s*\.?$",
                                                  " ".join(b.text for b in body[i: j + 1])))
        if ends and (nxt.text[0].isupper() or nxt.text[0] in "«<"):
            return j  # a labelled paragraph ends with the sentence that ends its line
        if ((line.text[-1] == ";" or _ends_sentence(line.text)) and body[i].bullet
                and (nxt.text[0].isupper() or nxt.text[0] in "«<")):
            return j  # a list item ends with its sentence
        if ends or (line.text[-1] in _TERMINAL and _REF_END.search(line.text)):
            width = _local_width(body, j)
            if len(line.text) < 0.8 * width or _REF_END.search(line.text):
                return j
        if nxt.page != line.page and ends:
            return j
        j += 1
    return j


def _without_trailing_refs(text: str, end: int, p: _Patterns) -> tuple[str, int]:
    """"... des résidents. (article L.311-3 du CASF)": the sentence without the references set after it."""
    m = re.search(r"(?<=[.!?])\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*\.?$", text)
    if m and legal_refs(m.group(1), p.vocabulary):
        cut = len(text) - m.start()
        return text[: m.start()].rstrip(), end - cut
    return text, end


def _deadline_and_text(text: str, p: _Patterns) -> tuple[str, str | None]:
    """Measure wording without its deadline clause, and the deadline as written."""
    m = p.deadline_keyword.search(text)
    if not m:
        phrase = p.deadline_phrase.search(text)  # "... dans un délai de trois mois", "... d'ici le 30/06/2025"
        return text, (_clean(phrase.group("deadline")) if phrase else None)
    before = text[: m.start()]
    rest = text[m.end():]
    opened = m.group(0).lstrip().startswith(("(", "["))
    if opened:
        close = rest.find(")") if "(" in m.group(0) else rest.find("]")
        deadline = rest[:close] if close >= 0 else rest
        after = rest[close + 1:] if close >= 0 else ""
    else:
        stop = re.search(r"\.(?:\s|$)|;|\(", rest)
        deadline = rest[: stop.start()] if stop else rest
        after = rest[stop.end():] if stop else ""
    deadline = _clean(deadline).strip(" .;,")
    wording = _clean(before + " " + after).strip(" ;,")
    wording = re.sub(r"\s+([.;,])", r"\1", wording)
    if p.no_deadline.match(deadline) or not deadline:
        return wording, None
    return wording, deadline


def _finding_refs(text: str, p: _Patterns) -> list[tuple[str, str]]:
    """Finding references in a measure ("(E2)", "(écart n°3)", "E1, E3", "Observations n°2 et n°3", "écart 2.1"):
    (kind, numbering as written)."""
    refs: list[tuple[str, str]] = []
    words = sorted(p.finding_words, key=len, reverse=True)
    word = "(?:" + "|".join(phrase_pattern(w) + "s?" for w in words) + ")"
    full = re.compile(r"(?<![\wÀ-ÿ])(" + word + r")\s*((?:" + _NUM + r"\d{1,3}(?:\.\d{1,2}){0,2}(?![\d])(?:\s*(?:,|et|à|-)\s*)?)+)",
                      re.IGNORECASE)
    for m in full.finditer(text):
        key = fold(m.group(1))
        kind = p.finding_words.get(key) or p.finding_words.get(key.rstrip("s"))
        numbers = re.findall(r"\d{1,3}(?:\.\d{1,2}){0,2}", m.group(2))
        if " à " in m.group(2) and len(numbers) == 2 and all(n.isdigit() for n in numbers):
            numbers = [str(n) for n in range(int(numbers[0]), int(numbers[1]) + 1)]
        refs.extend((kind, n) for n in numbers)
    abbreviations = {a: k for k, ws in p.vocabulary.finding_abbreviations.items() for a in ws}
    for m in re.finditer(r"(?<![\wÀ-ÿ.])([A-Z])\s?\.?\s?(\d{1,3}(?:\.\d{1,2}){0,2})(?![\d-]|[.,]\d)", text):
        kind = abbreviations.get(m.group(1))
        if kind == "remark" and not p.r_is_remark:
            continue
        if kind:
            refs.append((kind, m.group(2)))
    return refs


def _read_labelled(doc: Document, p: _Patterns, skip: set[int]) -> tuple[list[_Found], list[_FoundMeasure]]:
    findings: list[_Found] = []
    measures: list[_FoundMeasure] = []
    body = [line for line in doc.body if line.table is None and not line.header_cell]
    list_kind: tuple[str, str] | None = None  # ("measure"|"finding", kind) announced by a heading
    lone_labels = 0
    for line in body:
        fm = p.finding_match(line.text)
        if fm and _numbering(fm[0]) is None and not fm[0].group("bullet"):
            lone_labels += 1  # graded ones too: "Remarque majeure :" beside "Remarque :" is the report's usage
    # findings stated in prose ("ce qui constitue un écart majeur"): the report does not number its findings
    lone_labels += len(_read_prose(doc, p, []))
    i = 0
    while i < len(body):
        line = body[i]
        if doc.in_annex(line.start) or line.index in skip:
            i += 1
            continue
        if line.heading or line.title:
            list_kind = _list_heading(line.text, p)
            if not _measure_start(line.text, p, line.heading) and not p.finding_match(line.text):
                i += 1
                continue
        fm = p.finding_match(line.text)
        mm = _measure_start(line.text, p, line.heading) if not fm else None
        if fm and _measure_kind_after(line.text[fm[0].end():], p):
            fm = None  # "R1 – Recommandation : ..." is a measure
            mm = _measure_start(line.text, p, line.heading)
        if list_kind and list_kind[0] == "measure":
            # under "Recommandations", "R1 (R.1) Former ..." is a recommendation whatever "R" means elsewhere
            abbr = p.measure_abbr.match(line.text)
            if abbr and abbr.group("abbr") in p.vocabulary.measure_abbreviations[list_kind[1]] and (
                    abbr.group("paren") or abbr.group("sep").strip() or abbr.group("word")):
                fm, mm = None, abbr
        if (fm and _numbering(fm[0]) is None and fm[3] is None and not fm[0].group("bullet") and lone_labels < 2
                and not (fm[0].groupdict().get("ref"))):
            fm = None  # a lone "Remarque : ..." is a note; unnumbered labels count when the report uses them
        if fm:
            m, kind, number, grade = fm
            j = _paragraph_end(body, i, p)
            start = line.start + m.end()
            text, s, e = _span_text(doc, start, body[j].end)
            if text:
                label = _clean(line.text[: m.end()]).lstrip("-–—•▪* ").rstrip(" :–—-.")
                stated_ref = m.groupdict().get("ref") or ""
                refs = legal_refs(stated_ref + " " + text if stated_ref else text, p.vocabulary)
                text, e = _without_trailing_refs(text, e, p)
                findings.append(_Found(kind, number, label, text, s, e, grade, refs, numbering=_numbering(m)))
            i = j + 1
            continue
        if mm or (list_kind and list_kind[0] == "measure" and line.bullet):
            j = _paragraph_end(body, i, p, measure=True)
            if mm:
                kind = _measure_kind(mm.group("word"), p.vocabulary) if mm.group("word") else None
                if kind is None and "abbr" in mm.groupdict() and mm.group("abbr"):
                    kind = next((k for k, ws in p.vocabulary.measure_abbreviations.items()
                                 if mm.group("abbr") in ws), None)
                if kind is None and list_kind and list_kind[0] == "measure":
                    kind = list_kind[1]
                number = int(mm.group("num")) if mm.group("num") else None
                label_end = mm.end()
                paren = mm.group("paren") or ""
            else:
                bullet = re.match(r"^(?:[-–—•▪●◦*]|(\d{1,3})[.)])\s+", line.text)
                kind = list_kind[1]
                number = int(bullet.group(1)) if bullet and bullet.group(1) else None
                label_end = bullet.end() if bullet else 0
                paren = ""
            if kind is None:
                rest = _clean(" ".join(b.text for b in body[i: j + 1]))
                k = p.kind_word.search(rest[:120])
                kind = _measure_kind(k.group(1), p.vocabulary) if k else None
            if kind is not None:
                start = line.start + label_end
                raw, s, e = _span_text(doc, start, body[j].end)
                label = _clean(line.text[:label_end]).rstrip(" :–—-")
                if paren and p.deadline_keyword.search(paren):
                    raw = paren + " " + raw
                    label = _clean(label.replace(paren, "")).rstrip(" :–—-")
                wording, deadline = _deadline_and_text(raw, p)
                refs = _finding_refs(paren, p) if paren else []
                trailing = re.search(r"\(([^()]{1,60})\)\s*\.?\s*$", wording)
                if trailing and _finding_refs(trailing.group(1), p):
                    refs += _finding_refs(trailing.group(1), p)
                    wording = wording[: trailing.start()].rstrip()
                inline = re.search(alternation(p.vocabulary.raw["measures"].get("link_words") or ["(?!)"])
                                   + r"\s*(?:l['’]|les?\s+|la\s+)?(.{0,40})", wording, re.IGNORECASE)
                if inline:
                    refs += _finding_refs(inline.group(1), p)
                status = re.compile(r"(?<![\wÀ-ÿ])" + alternation(p.vocabulary.status_words) + r"(?![\wÀ-ÿ])",
                                    re.IGNORECASE)
                if paren and status.search(paren):
                    pass  # "Prescription n°3 (maintenue)": an earlier measure, not a new one
                elif wording.strip(" :;,–—-"):
                    measures.append(_FoundMeasure(kind, number, label or "-", wording.strip(" :;,–—-"), deadline, s, e,
                                                  refs))
            i = j + 1
            continue
        if list_kind and list_kind[0] == "finding" and line.bullet:
            j = _paragraph_end(body, i, p)
            bullet = re.match(r"^(?:[-–—•▪●◦*]|(\d{1,3})[.)])\s+", line.text)
            text, s, e = _span_text(doc, line.start + (bullet.end() if bullet else 0), body[j].end)
            number = int(bullet.group(1)) if bullet and bullet.group(1) else None
            findings.append(_Found(list_kind[1], number, bullet.group(0).strip() if number else "", text, s, e,
                                   refs=legal_refs(text, p.vocabulary)))
            i = j + 1
            continue
        i += 1
    return findings, measures


def _measure_kind_after(rest: str, p: _Patterns) -> bool:
    m = re.match(r"^\s*(\w+)", rest)
    return bool(m and _measure_kind(m.group(1), p.vocabulary))


def _list_heading(text: str, p: _Patterns) -> tuple[str, str] | None:
    """A heading that only names a kind ("Recommandations", "Écarts constatés") announces a list of them."""
    core = re.sub(r"\([^)]*\)", "", text)
    core = re.sub(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,5}\.?)\s*[–—-]?\s*", "", core).strip(" :.")
    words = core.split()
    if not words or len(words) > 3:
        return None
    kind = _measure_kind(words[0], p.vocabulary)
    if kind:
        return ("measure", kind)
    head = fold(words[0]).rstrip("s")
    if head in p.finding_words and len(words) <= 2:
        return ("finding", p.finding_words[head])
    return None


# ---------------------------------------------------------------- tables

def _key_shape(body: list[Line], i: int, p: _Patterns) -> tuple[str, int, dict] | None:
    """The row key starting at ``body[i]`` (joining up to 3 short lines): (shape, lines used, details)."""
    for n in (1, 2, 3):
        if i + n > len(body):
            break
        chunk = body[i: i + n]
        if any(len(c.text) > 30 for c in chunk) or any(c.table != body[i].table for c in chunk):
            break
        text = " ".join(c.text for c in chunk)
        fm = p.finding_match(text, cell=True)
        if fm and fm[0].end() == len(text):
            m, kind, number, grade = fm
            numbering = _numbering(m)
            if not _measure_kind_after(body[i + n].text if i + n < len(body) else "", p) or numbering is None:
                shape = "finding" if numbering is not None else "level"
                return shape, n, {"kind": kind, "number": number, "grade": grade, "label": text,
                                  "numbering": numbering}
        mm = _measure_start(text, p)
        if mm is None:
            abbr = p.measure_abbr.match(text)  # "P2" alone in its cell: a row key of a coded table
            if (abbr and abbr.end() == len(text) and not abbr.group("bullet")
                    and not (abbr.group("abbr") in sum(p.vocabulary.finding_abbreviations.values(), [])
                             and p.r_is_remark)):
                mm = abbr
        if mm and mm.end() == len(text) and not mm.group("paren"):
            word = mm.groupdict().get("word")
            kind = _measure_kind(word, p.vocabulary) if word else None
            if kind is None and mm.groupdict().get("abbr"):
                kind = next((k for k, ws in p.vocabulary.measure_abbreviations.items() if mm.group("abbr") in ws), None)
            return "measure", n, {"kind": kind, "number": int(mm.group("num")) if mm.group("num") else None,
                                  "label": text}
        if n == 1 and re.fullmatch(r"\d{1,3}", text):
            return "integer", 1, {"number": int(text)}
        if n == 1 and len(text) <= 3 and p.no_deadline.match(text):
            return "blank", 1, {}  # "—" in the key column: a row that answers no numbered finding
    return None


def _cell_type(text: str, p: _Patterns) -> str:
    if is_placeholder_only(text):
        return "blank"
    if p.no_deadline.match(text):
        return "empty"
    if p.kind_cell.match(text):
        return "kind"
    if len(text) == 1 and text.isupper():
        return "letter"  # "E" / "R" (finding kind) or "I" / "P" / "R" (measure kind) in a type column
    if p.status.match(text):
        return "status"
    if p.grade_cell.match(text):
        return "grade"
    fm = p.finding_match(text, cell=True)
    if fm and fm[0].end() == len(text) and _numbering(fm[0]) is None:
        return "level"
    stripped = PLACEHOLDER.sub("", text)
    if (p.duration.fullmatch(stripped.strip()) or p.immediate.fullmatch(stripped.strip())
            or re.fullmatch(r"(?:(?:avant|au plus tard|d'ici) (?:le|au) )?\d{1,2}/\d{1,2}/\d{4}", stripped.strip())
            or (len(text) <= 40 and (p.date.search(text) or p.duration.search(text))
                and re.match(r"^(?:avant|au plus tard|d['’]ici|sous|dans|fin|dès|à|a)\b", fold(text)))):
        return "deadline"
    if _is_ref_cell(text, p):
        return "ref"
    refs = _finding_refs(text, p)
    if refs and len(re.sub(r"[\s,;et]+", "", re.sub(r"(?i)(?:" + "|".join(
            phrase_pattern(w) + "s?" for w in p.finding_words) + r")|n\s?°|\d|[A-Z]\.?", "", text))) <= 2:
        return "finding_ref"
    if re.fullmatch(r"[−+–-]?\s?\d[\d\s\u202f\u00a0]*(?:[,.]\d+)?\s*(?:%|€|ETP)?", text.strip()):
        return "number"
    return "text"


def _is_ref_cell(text: str, p: _Patterns) -> bool:
    """A cell of legal references only ("Art. L.331-8-1 et R.331-8", "CASF", "R.4311-4 et R.4311-5 CSP")."""
    if re.match(r"^art(?:icles?|\.)\s", text, re.IGNORECASE):
        return True
    articles = [m for m in _ARTICLE.finditer(text) if _is_article(m)]
    if not articles and not re.search(alternation(list(p.vocabulary.codes)), text):
        return False
    rest = _ARTICLE.sub(lambda m: " " if _is_article(m) else m.group(0), text)
    codes = [name for names in p.vocabulary.codes.values() for name in names] + list(p.vocabulary.codes)
    rest = re.sub(alternation(codes + ["et", "à", "du", "de la", "des", "art", "articles", "article", "suivants"]),
                  " ", rest, flags=re.IGNORECASE)
    return not re.sub(r"[\s,;.()°\d-]+", "", rest)


def _letter_cell(cell: tuple[str, str, Line], letters: set[str], p: _Patterns) -> tuple[str, str, Line]:
    """A one-letter type cell read with the table's own convention ("R" is a recommendation beside "I"/"P")."""
    letter = cell[1]
    v = p.vocabulary
    measure = {a: k for k, ws in v.measure_abbreviations.items() for a in ws}
    finding = {a: k for k, ws in v.finding_abbreviations.items() for a in ws}
    uses_measures = any(measure.get(x) in ("injonction", "prescription") for x in letters)
    if letter in measure and (letter not in finding or uses_measures):
        return ("kind", v.measure_kinds[measure[letter]][0], cell[2])
    if letter in finding:
        return ("level", v.finding_labels[finding[letter]][0].capitalize(), cell[2])
    return ("text", letter, cell[2])


def _continued_ref(previous: str, piece: str, p: _Patterns) -> str | None:
    """``previous`` + ``piece`` when ``piece`` carries on a reference cell cut by the layout, else None.

    The piece is made of reference material only: article numbers ("-155-0", "11-4"), words of code
    names ("sociale et des familles", "code du"), connectors; and the joined cell reads as references.
    """
    if len(piece) > 30 or len(previous) > 80:
        return None
    code_words = {w for names in p.vocabulary.codes.values() for name in names for w in re.findall(r"[\wÀ-ÿ]+", fold(name))}
    code_words |= {fold(c) for c in p.vocabulary.codes} | {"et", "du", "de", "des", "la", "l", "art", "article", "articles"}
    rest = [w for w in re.findall(r"[\wÀ-ÿ]+", fold(_ARTICLE.sub(" ", piece))) if not w.isdigit()]
    if any(w not in code_words for w in rest):
        return None
    glue = "" if previous[-1:].isdigit() and (piece[0] == "-" or piece[0].isdigit()) else " "
    joined = previous + glue + piece
    if not _is_ref_cell(joined, p) or not legal_refs(joined, p.vocabulary):
        return None
    return joined


def _wrapped_deadline(cells: list[Line], k: int, p: _Patterns) -> tuple[str, int] | None:
    """A narrow deadline cell cut over 2 or 3 lines ("sans" / "délai", "avant le" / "06/01/20" / "25")."""
    if len(cells[k].text) > 25 or cells[k].text[-1] in ".;:!?,":
        return None
    joined = cells[k].text
    for n in (1, 2):
        if k + n >= len(cells) or len(cells[k + n].text) > 25:
            return None
        piece = cells[k + n].text
        glue = "" if re.search(r"[\d/]$", joined) and piece[0].isdigit() or joined[-1].isdigit() and piece[0] == "/" \
            else " "
        joined += glue + piece
        if _cell_type(joined, p) == "deadline":
            return joined, n + 1
    return None


def _kind_cell_joined(lines: list[Line], k: int, p: _Patterns) -> tuple[str, int] | None:
    """A kind cell cut by the layout ("Recommandatio" / "n")."""
    if k + 1 < len(lines) and len(lines[k + 1].text) <= 3:
        joined = lines[k].text + lines[k + 1].text
        if p.kind_cell.match(joined):
            return joined, 2
    return None


def _read_tables(doc: Document, p: _Patterns) -> tuple[list[_Found], list[_FoundMeasure], list[_Found]]:
    """Findings and measures of table rows, and the findings measure rows name (used when nothing else does)."""
    findings: list[_Found] = []
    measures: list[_FoundMeasure] = []
    implied: list[_Found] = []
    v = p.vocabulary
    status_headers = {fold(w) for w in ("statut", "état", "etat", "suite donnée")}
    classifier = {fold(w) for w in v.classifier_header_words}
    deadline_headers = {fold(w) for w in v.deadline_keywords} | {fold(w) + "s" for w in v.deadline_keywords}
    kind_headers = {fold(w) for w in v.raw["sections"].get("kind_header_words") or []}
    finding_header = re.compile(alternation(sum(v.finding_labels.values(), []) + v.declarable), re.IGNORECASE)
    base = p
    measure_keyed = _Patterns(base.vocabulary, base.finding_words, False)
    for n, table in enumerate(doc.tables):
        lines = [line for line in doc.lines[table.start_line:table.end_line]
                 if line.table == n and not line.running]
        if not lines or doc.in_annex(lines[0].start):
            continue
        header_keys = [re.sub(r"\s+", " ", fold(h)).strip(" .:") for h in table.header]
        # a table with a deadline column and no column for the measure's kind or the findings it answers:
        # its letter keys ("R1") name measures, whatever "R" means in the text
        p = (measure_keyed if any(h in deadline_headers for h in header_keys)
             and not any(h in kind_headers or finding_header.match(h) for h in header_keys) else base)
        is_status = any(h in status_headers for h in header_keys)
        has_classifier = any(h in classifier for h in header_keys)
        first = _key_shape(lines, 0, p)
        if first is None:
            for line in lines:  # not a table of findings or measures: its lines are read as text
                line.table = None
            continue
        shape = first[0]
        for k, line in enumerate(lines[1:], 1):
            mm = _measure_start(line.text, p)
            if (mm and mm.group("word") and _measure_kind(mm.group("word"), p.vocabulary)
                    and len(line.text) - mm.end() >= 15 and _key_shape(lines, k, p) is None):
                # "Prescription n°1 (délai : 3 mois) : Déclarer ..." after the rows: the table is over, the
                # report's text resumes (a measure written with its label is never a cell)
                for rest in lines[k:]:
                    rest.table = None
                lines = lines[:k]
                break
        table_letters = {line.text for line in lines if len(line.text) == 1 and line.text.isupper()}
        rows: list[tuple[dict, list[Line], Line]] = []
        i = 0
        while i < len(lines):
            key = _key_shape(lines, i, p)
            if key and key[0] == "blank" and rows:
                # a dash is also an empty cell ("—" for no deadline): it starts a row only once the
                # current one has its columns, and not right after the row's type cell
                types = [_cell_type(c.text, p) for c in rows[-1][1]]
                kind_at = types.index("kind") if "kind" in types else None
                if ("text" not in types or kind_at is None
                        or (types[-1] == "kind" and not {"deadline", "empty"} & set(types[:kind_at]))):
                    key = None
            if key and (key[0] == shape or (shape == "finding" and key[0] == "finding")):
                rows.append((key[2], [], lines[i]))
                i += key[1]
                continue
            if rows:
                rows[-1][1].append(lines[i])
            i += 1
        for key, cells, key_line in rows:
            row_shape = shape
            typed: list[tuple[str, str, Line]] = []
            k = 0
            while k < len(cells):
                joined = _kind_cell_joined(cells, k, p)
                if joined:
                    typed.append(("kind", joined[0], cells[k]))
                    k += joined[1]
                    continue
                kind_of_cell = _cell_type(cells[k].text, p)
                wrapped = _wrapped_deadline(cells, k, p) if kind_of_cell == "text" else None
                if wrapped:
                    typed.append(("deadline", wrapped[0], cells[k]))
                    k += wrapped[1]  # a deadline cell wrapped by the layout ("avant le" / "06/01/20" / "25")
                    continue
                if (kind_of_cell == "text" and k + 1 < len(cells) and len(cells[k].text) <= 20
                        and _cell_type(cells[k].text + " " + cells[k + 1].text, p) == "finding_ref"):
                    typed.append(("finding_ref", cells[k].text + " " + cells[k + 1].text, cells[k]))
                    k += 2  # "Observations" / "n°2 et n°3"
                    continue
                continued = _continued_ref(typed[-1][1], cells[k].text, p) if typed else None
                if continued and (typed[-1][0] == "ref" or re.fullmatch(r"(?i)art(?:icles?|\.)", typed[-1][1])):
                    typed[-1] = ("ref", continued, typed[-1][2])
                    k += 1  # a reference cell wrapped by the layout ("art. D.312" / "-155-0" / "CASF")
                    continue
                if (kind_of_cell == "ref" and typed and typed[-1][0] == "text"
                        and re.search(r"[a-zà-ÿ’']$", typed[-1][1]) and not re.match(r"(?i)art", cells[k].text)):
                    kind_of_cell = "text"  # "... conforme à l'article" / "D.312-176-5 du CASF."
                typed.append((kind_of_cell, cells[k].text, cells[k]))
                k += 1
            # the row ends where prose resumes after its last typed cell (the table is over)
            seen_text = seen_terminal = False
            kept = []
            for t in typed:
                if t[0] == "text" and seen_terminal and seen_text and len(t[1]) > 45:
                    break
                if t[0] == "text":
                    seen_text = True
                if t[0] in ("deadline", "grade", "status", "empty", "ref") and seen_text:
                    seen_terminal = True
                kept.append(t)
            types = [t[0] for t in kept]
            if is_status or "status" in types:
                continue
            kept = [_letter_cell(t, table_letters, p) if t[0] == "letter" else t for t in kept]
            texts = [t for t in kept if t[0] == "text"]
            if has_classifier and len(texts) >= 2 and len(texts[0][1]) <= 40:
                texts = texts[1:]
            wording = _clean(" ".join(t[1] for t in texts))
            span = (texts[0][2].start, texts[-1][2].end) if texts else (key_line.start, key_line.end)
            kind_cells = [t[1] for t in kept if t[0] == "kind"]
            measure_kind = key.get("kind") if row_shape == "measure" else None
            if kind_cells:
                measure_kind = _measure_kind(kind_cells[0], v) or measure_kind
            if row_shape == "measure" or (kind_cells and row_shape in ("finding", "integer", "level", "blank")):
                if measure_kind is None:
                    continue
                deadline_cells = [t[1] for t in kept if t[0] == "deadline"]
                refs: list[tuple[str, str]] = []
                for t in kept:
                    if t[0] == "finding_ref":
                        refs += _finding_refs(t[1], p)
                if row_shape == "finding" and key.get("numbering"):
                    refs.append((key["kind"], key["numbering"]))
                number = key.get("number") if row_shape in ("measure", "integer") else None
                label = key.get("label", str(number or "")) if row_shape in ("measure", "integer") else ""
                wording, inline_deadline = _deadline_and_text(wording, p)
                deadline = _clean(deadline_cells[0]) if deadline_cells else inline_deadline
                measures.append(_FoundMeasure(measure_kind, number, label, wording, deadline, span[0], span[1], refs))
                levels = [t for t in kept if t[0] == "level"]
                if row_shape in ("finding", "level") or levels:
                    # the row also names the finding it answers: kept aside, used when nothing else lists findings
                    if row_shape in ("finding", "level"):
                        kind, fnumber, grade = key["kind"], key.get("number"), key.get("grade")
                    else:
                        fm = p.finding_match(levels[0][1], cell=True)
                        kind, fnumber, grade = fm[1], None, fm[3]
                    implied.append(_Found(kind, fnumber, key.get("label", "") if row_shape == "finding" else "",
                                          wording, span[0], span[1], grade, legal_refs(wording, v), origin="implied"))
                continue
            levels = [t for t in kept if t[0] == "level"]
            if row_shape not in ("finding", "level") and levels:
                # "1 | Écart | wording | reference": the row's number is the table's, not the finding's
                fm = p.finding_match(levels[0][1], cell=True)
                key = {"kind": fm[1], "number": None, "grade": fm[3], "label": ""}
                row_shape = "level"
            if row_shape in ("finding", "level"):
                if row_shape == "level" and (len(wording) < 15 or any(t[0] == "number" for t in kept)
                                         or wording[-1] not in _TERMINAL):
                    continue
                grade = key.get("grade")
                for t in kept:
                    if t[0] == "grade" and grade is None:
                        grade = v.grade_of(t[1], key["kind"])
                ref_text = " ".join(t[1] for t in kept if t[0] == "ref")
                refs = legal_refs(ref_text, v) + [r for r in legal_refs(wording, v) if r not in legal_refs(ref_text, v)]
                wording, end = _without_trailing_refs(wording, span[1], p)
                span = (span[0], end)
                findings.append(_Found(key["kind"], key["number"], key["label"] if row_shape == "finding" else "",
                                       wording, span[0], span[1], grade, refs, origin="table",
                                       numbering=key.get("numbering")))
    return findings, measures, implied


# ---------------------------------------------------------------- prose

def _prose_marker(p: _Patterns) -> re.Pattern:
    v = p.vocabulary
    return re.compile(
        r"(?<![\wÀ-ÿ])" + alternation(v.prose_verbs) + r"\s*(?:un|une|à un|à une)?\s*(?P<word>"
        + alternation(sum(v.finding_labels.values(), [])) + r")(?:\s+(?P<grade>" + p.grade + r"))?(?![\wÀ-ÿ])",
        re.IGNORECASE)


def _read_prose(doc: Document, p: _Patterns, taken: list[tuple[int, int]]) -> list[_Found]:
    v = p.vocabulary
    kinds = {fold(w): kind for kind, ws in v.finding_labels.items() for w in ws}
    marker = _prose_marker(p)
    definition = re.compile("|".join(
        r"(?<![\wÀ-ÿ])" + re.escape(w).replace("'", "['’]") + ("" if w.endswith("'") else r"(?![\wÀ-ÿ])")
        for w in v.raw["findings"].get("definition_words") or []) or "(?!)", re.IGNORECASE)  # exact accents
    anaphora = re.compile(r"(?:" + alternation(v.raw["findings"].get("anaphoric_openers") or []) + r")(?![\wÀ-ÿ'’])"
                          if v.raw["findings"].get("anaphoric_openers") else "(?!)", re.IGNORECASE)
    found: list[_Found] = []
    text = doc.text
    for m in marker.finditer(text):
        if doc.in_annex(m.start()) or any(a <= m.start() < b for a, b in taken):
            continue
        line = next((x for x in doc.lines if x.start <= m.start() < x.end + 1), None)
        if line is None or line.running or line.table is not None:
            continue
        start = _sentence_start(doc, m.start())
        if anaphora.match(text, start):  # "Ce manquement constitue un écart": the sentence before is the fact
            start = _previous_sentence_start(doc, start, taken)
        end = _sentence_end(doc, m.end())
        wording, s, e = _span_text(doc, start, end)
        if definition.search(wording):
            continue  # "Un écart désigne ...": the report's conventions, not a finding
        kind = kinds.get(fold(m.group("word")).rstrip("s")) or kinds.get(fold(m.group("word")))
        if kind is None:
            continue
        grade = v.grade_of(m.group("grade"), kind) if m.group("grade") else None
        found.append(_Found(kind, None, "", wording, s, e, grade, origin="prose"))
        taken.append((s, e))
    return found


_SENTENCE_BREAK = re.compile(r"[.!?»](?=\s+[A-ZÀ-Ý«<])|\n(?=[A-ZÀ-Ý])")


def _sentence_start(doc: Document, pos: int) -> int:
    text = doc.text
    lo = max(0, pos - 1200)
    best = lo
    line_starts = [line for line in doc.lines if lo <= line.start <= pos]
    for line in line_starts:
        if line.heading or line.title or line.running or line.table is not None:
            best = max(best, line.end)
    for m in re.finditer(r"(?<![A-Z]\.)(?<!\b[A-Z])(?<!\bart)(?<!\bn°)[.!?](?=\s+[«\"]?\s*[A-ZÀ-Ý<])", text[lo:pos]):
        candidate = lo + m.end()
        if candidate > best:
            best = candidate
    while best < pos and text[best].isspace():
        best += 1
    return best


def _previous_sentence_start(doc: Document, start: int, taken: list[tuple[int, int]]) -> int:
    """Where the sentence before the one at ``start`` begins: never before a finding already read, nor
    across a heading, a table or the top of the body (then ``start`` itself)."""
    end = start
    while end > 0 and doc.text[end - 1].isspace():
        end -= 1
    if end == 0 or doc.text[end - 1] not in ".!?":
        return start
    previous = _sentence_start(doc, end - 1)
    floor = max((e for _, e in taken if e <= start), default=0)
    return previous if floor <= previous < start else start


def _sentence_end(doc: Document, pos: int) -> int:
    text = doc.text
    # "l'article L. 313-26": a single capital before a dot is an article's letter or an initial, not an end
    m = re.compile(r"(?<!\b[A-Z])(?<!\bart)[.!?](?=\s|$)").search(text, pos)
    end = m.end() if m else len(text)
    return min(end, pos + 1200)


def _masked_labels(doc: Document, p: _Patterns, found: list[_Found]) -> list[_Found]:
    """A label the anonymiser replaced ("<PERSONNE_3>.4 – ..."): the one kind whose numbering lacks that number."""
    numbers: dict[str, set[int]] = {}
    for f in found:
        if f.number is not None:
            numbers.setdefault(f.kind, set()).add(f.number)
    out: list[_Found] = []
    body = [line for line in doc.body if line.table is None and not line.header_cell]
    masked = re.compile(r"^" + PLACEHOLDER.pattern + r"\s?\.?\s?" + _NUM + r"(\d{1,3})\s*[:–—-]\s+(?=[A-ZÀ-Ý])")
    for i, line in enumerate(body):
        m = masked.match(line.text)
        if not m or doc.in_annex(line.start):
            continue
        n = int(m.group(1))
        kinds = [k for k, ns in numbers.items() if n not in ns and max(ns) > n]
        if len(kinds) != 1:
            continue
        j = _paragraph_end(body, i, p)
        text, s, e = _span_text(doc, line.start + m.end(), body[j].end)
        out.append(_Found(kinds[0], n, "", text, s, e))
        numbers[kinds[0]].add(n)
    return out


# ---------------------------------------------------------------- merging

def _skip_lines(doc: Document, p: _Patterns) -> set[int]:
    """Lines of sections that review earlier measures (a follow-up report's status part)."""
    earlier = re.compile(alternation(p.vocabulary.earlier_section_words), re.IGNORECASE)
    skip: set[int] = set()
    inside = False
    for line in doc.lines:
        if line.heading:
            inside = bool(earlier.search(line.text))
        if inside:
            skip.add(line.index)
    return skip


def _stated_counts(doc: Document, p: _Patterns) -> tuple[int, int] | None:
    """The report's own count, from its last sentence stating one ("la mission a relevé 10 écarts et 7 remarques")."""
    v = p.vocabulary
    numbers = "|".join(sorted((re.escape(w) for w in v.number_words), key=len, reverse=True))
    count = r"(\d{1,3}|" + numbers + r"|aucun|aucune)"
    breach = alternation([w for w, k in p.finding_words.items() if k == "breach"])
    remark = alternation([w for w, k in p.finding_words.items() if k == "remark"])
    pattern = re.compile(count + r"\s+" + breach + r"(?:\(?s\)?)?(?![\wÀ-ÿ])(?:(?![.;]\s).){0,60}?(?<![\wÀ-ÿ])"
                         + count + r"\s+" + remark + r"(?:\(?s\)?)?(?![\wÀ-ÿ])", re.IGNORECASE | re.DOTALL)
    last = None
    for m in pattern.finditer(doc.text):
        if not doc.in_annex(m.start()):
            last = m

    def value(token: str) -> int:
        token = fold(token)
        return int(token) if token.isdigit() else (0 if token.startswith("aucun") else v.number_words[token])

    return (value(last.group(1)), value(last.group(2))) if last else None


def _finding_id(kind: str, numbering: int | str | None, order: int) -> str:
    """"E3", "R2", "E2.1" from the label's number; "Eu1", "Ru2" by order when unnumbered."""
    letter = "E" if kind == "breach" else "R"
    return f"{letter}{numbering}" if numbering is not None else f"{letter}u{order}"


def read_report(text: str, visit_date: dt.date | None = None, vocabulary: Vocabulary | None = None) -> ReportReading:
    """The findings and measures of one report (its anonymised text), with the follow-up flag and disagreements."""
    vocabulary = vocabulary or load_vocabulary()
    if not text or not text.strip():
        return ReportReading()
    base = _patterns_for(vocabulary, {}, True)
    abbreviations = "".join(a for ws in vocabulary.finding_abbreviations.values() for a in ws)
    glued = re.compile(r"(?<=\d)(?=[" + abbreviations + r"]\.?\d{1,3}\s[–—:-]\s[A-ZÀ-Ý])")
    def is_cell(line_text: str) -> bool:
        fm = base.finding_match(line_text, cell=True)
        mm = _measure_start(line_text, base)
        if mm and mm.groupdict().get("abbr") in ("I", "V", "X") and not mm.group("word"):
            mm = None  # "I.1 – Direction" is a numbered heading
        return bool(fm or mm or _cell_type(line_text, base) != "text")  # labels and cells are not titles

    doc = segment(text, vocabulary, glued=glued, label_cells=is_cell)
    declared = _declared_words(doc, vocabulary)
    # the convention for "R": a remark when the report numbers breaches E1.., a recommendation when it
    # numbers measures I1 / P1 and no breach with E
    has_e = any(base.finding_abbr.match(line.text) and base.finding_abbr.match(line.text).group("abbr") in
                vocabulary.finding_abbreviations["breach"] for line in doc.body)
    has_ip = any((m := base.measure_abbr.match(line.text)) and m.group("abbr") in
                 vocabulary.measure_abbreviations["injonction"] + vocabulary.measure_abbreviations["prescription"]
                 for line in doc.body)
    r_is_remark = has_e or not has_ip
    legend = _declared_letters(doc, vocabulary)
    r_letters = set(vocabulary.finding_abbreviations["remark"])
    if any(legend.get(a) == "measure" for a in r_letters) and not any(legend.get(a) == "finding" for a in r_letters):
        r_is_remark = has_e  # "codées I (injonction), P (prescription) et R (recommandation)": R is a measure
    elif any(legend.get(a) == "finding" for a in r_letters):
        r_is_remark = True
    p = _patterns_for(vocabulary, declared, r_is_remark)
    if not any(p.finding_match(line.text) for line in doc.body if line.table is None):
        defaults = {fold(w): k for w, k in vocabulary.undeclared_defaults.items() if fold(w) not in declared}
        if defaults:
            p = _patterns_for(vocabulary, {**declared, **defaults}, r_is_remark)
    skip = _skip_lines(doc, p)  # sections reviewing earlier measures, in any report
    table_findings, table_measures, implied_findings = _read_tables(doc, p)
    body_findings, body_measures = _read_labelled(doc, p, skip)
    table_findings = [f for f in table_findings if not any(
        line.index in skip for line in doc.lines if line.start <= f.start < line.end + 1)]
    table_measures = [m for m in table_measures if not any(
        line.index in skip for line in doc.lines if line.start <= m.start < line.end + 1)]
    taken = [(f.start, f.end) for f in body_findings + table_findings]
    taken += [(f.start, f.end) for f in implied_findings]
    taken += [(m.start, m.end) for m in body_measures + table_measures]
    prose = _read_prose(doc, p, taken)
    body_findings += _masked_labels(doc, p, body_findings + table_findings)
    if not (body_findings or table_findings or prose):
        table_findings = [f for f in implied_findings if not any(
            line.index in skip for line in doc.lines if line.start <= f.start < line.end + 1)]

    reading = ReportReading(follow_up=doc.follow_up)
    # body (labelled, then prose in text order); a table row repeats a body finding or adds one
    merged: list[_Found] = []
    index: dict[tuple[str, int], _Found] = {}
    for f in sorted(body_findings + prose, key=lambda f: f.start):
        twin = index.get((f.kind, f.numbering)) if f.numbering is not None else None
        if twin is not None and _overlap(twin.text, f.text) >= 0.6:
            continue  # the same finding written twice in the body
        merged.append(f)
        if f.numbering is not None:
            index[(f.kind, f.numbering)] = f
    body_keys = set(index)
    table_keys: set[tuple[str, str]] = set()
    for f in table_findings:
        if f.numbering is not None:
            table_keys.add((f.kind, f.numbering))
            twin = index.get((f.kind, f.numbering))
            if twin is not None:
                if twin.grade is None and f.grade:
                    twin.grade = f.grade
                if not twin.refs and f.refs:
                    twin.refs = f.refs
                continue
            index[(f.kind, f.numbering)] = f
        elif any(_overlap(f.text, g.text) >= 0.6 for g in merged if g.kind == f.kind):
            continue
        merged.append(f)
    if body_keys and table_keys and body_keys != table_keys:
        reading.disagreements.append({
            "what": "summary_table_vs_body",
            "only_in_body": sorted(_finding_id(k, n, 0) for k, n in body_keys - table_keys),
            "only_in_table": sorted(_finding_id(k, n, 0) for k, n in table_keys - body_keys),
        })
    merged.sort(key=lambda f: f.start)
    stated = _stated_counts(doc, p)
    if stated is not None:
        found = (sum(f.kind == "breach" for f in merged), sum(f.kind == "remark" for f in merged))
        if stated != found:
            reading.disagreements.append({"what": "stated_counts_vs_found", "stated": list(stated),
                                          "found": list(found)})
    order = {"breach": 0, "remark": 0}
    ids: set[str] = set()
    known: dict[tuple[str, str], str] = {}  # (kind, numbering) -> finding_id: what measures cite
    for f in merged:
        order[f.kind] += 1
        finding_id = _finding_id(f.kind, f.numbering, order[f.kind])
        while finding_id in ids:
            finding_id += "b"
        ids.add(finding_id)
        if f.numbering is not None:
            known.setdefault((f.kind, f.numbering), finding_id)
        refs = f.refs or legal_refs(f.text, vocabulary)
        reading.findings.append(Finding(
            finding_id=finding_id, kind=f.kind, number=f.number, label=f.label, text=f.text,
            legal_refs=tuple(refs), grade=f.grade, start=f.start, end=f.end, section=doc.section_at(f.start),
        ))
    # measures: the body's, then table rows that do not repeat them
    all_measures: list[_FoundMeasure] = []
    for m in sorted(body_measures, key=lambda m: m.start):
        all_measures.append(m)
    for m in table_measures:
        if any(x.kind == m.kind and ((x.number is not None and x.number == m.number)
                                     or _overlap(x.text, m.text) >= 0.6) for x in body_measures):
            continue
        all_measures.append(m)
    all_measures.sort(key=lambda m: m.start)
    measure_order = {k: 0 for k in ("injonction", "prescription", "recommandation")}
    measure_ids: set[str] = set()
    for m in all_measures:
        measure_order[m.kind] += 1
        letter = {"injonction": "I", "prescription": "P", "recommandation": "R"}[m.kind]
        measure_id = f"{letter}{m.number if m.number is not None else measure_order[m.kind]}"
        while measure_id in measure_ids:
            measure_id += "b"
        measure_ids.add(measure_id)
        finding_ids = tuple(dict.fromkeys(known[r] for r in m.finding_refs if r in known))
        reading.measures.append(Measure(
            measure_id=measure_id, kind=m.kind, number=m.number, label=m.label, text=m.text,
            deadline_text=m.deadline_text, deadline_days=parse_deadline(m.deadline_text, visit_date, p),
            finding_ids=finding_ids, start=m.start, end=m.end,
        ))
    return reading


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]{5,}", fold(text))}  # content words: short ones are shared by all


def _overlap(a: str, b: str) -> float:
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


__all__ = ["read_report", "legal_refs", "parse_deadline"]
