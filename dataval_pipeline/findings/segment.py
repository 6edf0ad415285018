"""The layout of a report's text: lines, pages, page furniture, headings, sections, tables, lists, annexes.

Text comes from a PDF's text layer, so a table arrives one cell per line (a long cell wrapped over
several lines), pages are separated by form feeds, and page headers and footers repeat. The reader
(``findings.read``) reads findings and measures from these segments rather than from raw text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from dataval_pipeline.findings.vocabulary import Vocabulary, alternation, fold, load_vocabulary

PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?\d{1,4}\s*(?:/|sur)\s*\d{1,4}$|^page\s*\d{1,4}$|^[–—-]\s*\d{1,4}\s*[–—-]$|^\d{1,3}$",
    re.IGNORECASE)
_TRAILING_PAGE_NUMBER = re.compile(r"(?<=\S)\s*(?:page\s*\d{1,4}\s*(?:/|sur)\s*\d{1,4})\s*$", re.IGNORECASE)
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?)|(?:[IVX]{1,5}(?:\.\d{1,2}){0,3}\.?))\s*[–—-]?\s+[A-ZÀ-Ý«\"]")
_TERMINAL = ".;:!?)»"
_BULLET = re.compile(r"^(?:[-–—•▪●◦*]|\d{1,3}[.)]|[a-z][.)])\s+")


@dataclass
class Line:
    index: int
    text: str  # the line without surrounding whitespace (page furniture cut off)
    start: int  # offset of ``text`` in the document
    end: int
    page: int  # 0-based
    running: bool = False  # page header or footer
    heading: bool = False  # a strong heading (numbered, capitals, keyword)
    title: bool = False  # a weak heading (a short title-like line)
    bullet: bool = False
    table: int | None = None  # index in Document.tables
    header_cell: bool = False


@dataclass
class Table:
    header: list[str]  # header cells as written
    start_line: int  # first line after the header
    end_line: int  # one past the last line
    pages: set[int] = field(default_factory=set)

    def has_header(self, vocabulary: Vocabulary, words: list[str]) -> bool:
        wanted = {fold(w) for w in words}
        return any(_cell_key(h) in wanted for h in self.header)


@dataclass
class Document:
    text: str
    lines: list[Line]  # every non-empty line, furniture included (flagged ``running``)
    tables: list[Table]
    page_count: int
    annex_start: int  # offset where the first annex begins (len(text) when none)
    follow_up: bool
    _section_starts: list[int] = field(default_factory=list)
    _section_titles: list[str] = field(default_factory=list)
    annex_ranges: list[tuple[int, int]] = field(default_factory=list)  # annexes not read (people met, documents)

    @property
    def body(self) -> list[Line]:
        return [line for line in self.lines if not line.running]

    def section_at(self, offset: int) -> str:
        """The heading of the section ``offset`` sits in ("" before the first heading)."""
        i = bisect_right(self._section_starts, offset) - 1
        return self._section_titles[i] if i >= 0 else ""

    def in_annex(self, offset: int) -> bool:
        return any(a <= offset < b for a, b in self.annex_ranges)


def _cell_key(text: str) -> str:
    text = re.sub(r"\([^)]*\)", "", fold(text))
    return re.sub(r"\s+", " ", text).strip(" .:")


def is_placeholder_only(text: str) -> bool:
    return bool(text) and not PLACEHOLDER.sub("", text).strip(" .,;:-–()°")


_CELL_SEPARATOR = re.compile(r"\t+|\s*\|\s*| {3,}")
_RULE_ROW = re.compile(r"^[\s|:+=-]+$")


def _cells(raw: str) -> list[tuple[int, str]]:
    """The cells of one line: the line itself, or its cells when separated by tabs, "|" or 3+ spaces.

    A PDF's text layer gives one cell per line already; text from other extractors (or a .txt) keeps a
    row on one line, so its cells become lines too and every table reads the same way.
    """
    stripped = raw.strip()
    if not stripped or _RULE_ROW.match(stripped) and "-" in stripped:
        return []
    pipes = stripped.count("|")
    if pipes < 2 and "\t" not in stripped and not re.search(r"\S {3,}\S", stripped):
        return [(raw.index(stripped), stripped)]
    out = []
    for m in re.finditer(r"[^|\t]+?(?=\t|\s*\||\s{3,}|$)" if pipes >= 2 or "\t" in stripped
                         else r"\S(?:.*?\S)?(?= {3,}|\s*$)", raw):
        cell = m.group(0).strip()
        if cell:
            out.append((m.start() + (len(m.group(0)) - len(m.group(0).lstrip())), cell))
    return out


def _split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    offset = 0
    for page, page_text in enumerate(text.split("\f")):
        position = 0
        for raw in page_text.split("\n"):
            base = offset + position
            for cell_start, cell in _cells(raw):
                lines.append(Line(len(lines), cell, base + cell_start, base + cell_start + len(cell), page))
            position += len(raw) + 1
        offset += len(page_text) + 1
    return lines


def _furniture_key(text: str) -> str:
    """A line with its page number blanked, so "Page 2/6 – Rapport" repeats on every page."""
    return re.sub(r"(?:page\s*)?\d{1,4}\s*(?:/|sur)\s*\d{1,4}|page\s*\d{1,4}", "#", fold(text))


def _cut_furniture(lines: list[Line], page_count: int, keep: set[str] = frozenset()) -> None:
    """Flag page numbers and lines repeated at the top or bottom of pages; cut a page number glued to a line.

    ``keep``: cells never flagged (a table's column headers repeat at the top of the pages it spans).
    """
    edges: Counter[str] = Counter()
    by_page: dict[int, list[Line]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    for page_lines in by_page.values():
        for line in {id(x): x for x in page_lines[:3] + page_lines[-3:]}.values():
            edges[_furniture_key(line.text)] += 1
    repeated = {key for key, n in edges.items() if n >= 2 and n >= page_count / 2 and len(key) > 3}
    for page_lines in by_page.values():
        edge_ids = {id(x) for x in page_lines[:3] + page_lines[-3:]}
        for line in page_lines:
            if _PAGE_NUMBER.match(line.text) and (id(line) in edge_ids and page_count > 1):
                line.running = True
            elif (id(line) in edge_ids and _furniture_key(line.text) in repeated and page_count > 1
                  and _cell_key(line.text) not in keep):
                line.running = True
            else:
                glued = _TRAILING_PAGE_NUMBER.search(line.text)
                if glued and id(line) in edge_ids:
                    line.text = line.text[: glued.start()].rstrip()
                    line.end = line.start + len(line.text)


def _is_caps(text: str) -> bool:
    letters = [c for c in PLACEHOLDER.sub("", text) if c.isalpha()]
    return len(letters) >= 10 and sum(c.isupper() for c in letters) >= 0.8 * len(letters) and " " in text.strip()


def _mark_headings(lines: list[Line], vocabulary: Vocabulary, cells) -> None:
    keywords = re.compile(
        r"^(?:\d{1,2}[.)]?\s*|[IVX]{1,5}[.)]?\s*[–—-]?\s*)?" + alternation(
            vocabulary.annex_words + vocabulary.summary_words + ["conclusion", "introduction", "synthèse"])
        + r"\b", re.IGNORECASE)
    body = [line for line in lines if not line.running]
    for i, line in enumerate(body):
        text = line.text
        if len(text) > 110 or text[-1] in ".;,":
            continue
        if cells(text):
            continue
        numbered = _NUMBERED_HEADING.match(text)
        if (numbered and len(text) <= 100 and not re.match(r"^\d+[.,]\d+\s", text)
                and not re.search(r"[.;!?]\s", text[numbered.end() - 1:])):
            line.heading = True
        elif _is_caps(text):
            line.heading = True
        elif keywords.match(text) and len(text) <= 90:
            line.heading = True
        else:
            prev = body[i - 1] if i else None
            nxt = body[i + 1] if i + 1 < len(body) else None
            if (len(text) <= 70 and text[0].isupper() and text[-1] not in _TERMINAL
                    and (prev is None or prev.text[-1] in _TERMINAL or prev.heading or prev.page != line.page)
                    and nxt is not None and (nxt.text[0].isupper() or nxt.text[0].isdigit()) and len(nxt.text) >= 40
                    and not _BULLET.match(text)):
                line.title = True


def _mark_tables(lines: list[Line], vocabulary: Vocabulary) -> list[Table]:
    header_words = {fold(w) for w in vocabulary.table_header_words}
    body = [line for line in lines if not line.running]

    def header_cell(line: Line) -> bool:
        if len(line.text) > 40:
            return False
        key = _cell_key(line.text)
        if key in header_words or is_placeholder_only(line.text):
            return True
        if re.fullmatch(r"[A-Z](?:\s?/\s?[A-Z]){1,3}", line.text):
            return True  # a type column's heading that lists its codes ("E/R", "I/P/R")
        words = key.split()
        if 1 < len(words) <= 4 and not re.search(r"\d", key) and words[0] in header_words:
            return True  # "Libellé de la mesure", "Date de la visite"
        # a header cell partly replaced by a placeholder ("<PERSONNE_3> de la mesure")
        return bool(PLACEHOLDER.search(line.text)) and any(
            w in header_words for w in _cell_key(PLACEHOLDER.sub(" ", line.text)).split())

    spans: list[tuple[int, int]] = []  # header lines [i, j) in ``body``
    i = 0
    while i < len(body):
        j = i
        seen: set[str] = set()
        while j < len(body) and body[j].page == body[i].page:
            if header_cell(body[j]) and _cell_key(body[j].text) not in seen:
                seen.add(_cell_key(body[j].text))  # a header names each column once: a repeat starts the first row
                j += 1
            elif (j > i and j + 1 < len(body) and len(body[j].text) <= 12 and len(body[j + 1].text) <= 6
                  and _cell_key(body[j].text + body[j + 1].text) in header_words
                  and _cell_key(body[j].text + body[j + 1].text) not in seen):
                seen.add(_cell_key(body[j].text + body[j + 1].text))  # a header cell cut by the layout ("Référen" / "ce")
                j += 2
            else:
                break
        while j - i > 2 and (body[i].heading or body[i].title):
            i += 1  # the section's heading above the table ("Mesures correctives") is not a column
        real = [b for b in body[i:j] if not is_placeholder_only(b.text)]
        if j - i >= 2 and len(real) >= 2:
            spans.append((i, j))
            for b in body[i:j]:
                b.header_cell = True
            i = j
        else:
            i += 1
    tables: list[Table] = []
    for n, (i, j) in enumerate(spans):
        limit = spans[n + 1][0] if n + 1 < len(spans) else len(body)
        k = j
        while k < limit and not body[k].heading and not body[k].title:
            k += 1
        tables.append(Table([b.text for b in body[i:j]], body[j].index if j < len(body) else len(lines),
                            body[k].index if k < len(body) else len(lines), {body[i].page}))
    merged: list[Table] = []
    for table in tables:
        previous = merged[-1] if merged else None
        if (previous is not None and [_cell_key(h) for h in previous.header] == [_cell_key(h) for h in table.header]
                and all(line.header_cell or line.running for line in lines[previous.end_line:table.start_line])):
            previous.end_line = table.end_line
        else:
            merged.append(table)
    for n, table in enumerate(merged):
        for line in lines[table.start_line:table.end_line]:
            if not line.running and not line.header_cell:
                line.table = n
                table.pages.add(line.page)
    return merged


def _split_glued(lines: list[Line], glued: re.Pattern) -> list[Line]:
    """A label glued to the previous table cell by the extraction ("5,35E3 – Le tableau") starts its own line."""
    out: list[Line] = []
    for line in lines:
        m = glued.search(line.text)
        if m and m.start() > 0:
            cut = m.start()
            out.append(Line(0, line.text[:cut].rstrip(), line.start, line.start + len(line.text[:cut].rstrip()),
                            line.page))
            out.append(Line(0, line.text[cut:], line.start + cut, line.end, line.page))
        else:
            out.append(line)
    for i, line in enumerate(out):
        line.index = i
    return out


def segment(text: str, vocabulary: Vocabulary | None = None, *, label_cells=None,
            glued: re.Pattern | None = None) -> Document:
    """Lines with their page, furniture, headings, tables and bullets; sections; annexes; follow-up."""
    vocabulary = vocabulary or load_vocabulary()
    lines = _split_lines(text)
    if glued is not None:
        lines = _split_glued(lines, glued)
    page_count = text.count("\f") + 1
    _cut_furniture(lines, page_count, {fold(w) for w in vocabulary.table_header_words})
    cells = label_cells or (lambda text: False)
    _mark_headings(lines, vocabulary, cells)
    tables = _mark_tables(lines, vocabulary)
    for line in lines:
        line.bullet = bool(_BULLET.match(line.text))
        if (line.table is not None or line.header_cell) and line.title:
            line.title = False
    starts, titles = [], []
    annex = re.compile(r"^(?:\d{1,2}[.)]?\s*|[IVX]{1,5}[.)]?\s*[–—-]?\s*)?" + alternation(vocabulary.annex_words)
                       + r"\b", re.IGNORECASE)
    # an annex that holds findings or measures ("Annexe 2 – Tableau des mesures") is read like the body
    kept = re.compile(alternation(vocabulary.raw["sections"].get("annex_read_words") or []), re.IGNORECASE)
    annex_starts: list[tuple[int, bool]] = []
    for line in lines:
        if line.running or not (line.heading or line.title):
            continue
        starts.append(line.start)
        titles.append(line.text)
        if annex.match(line.text) and line.heading and line.start > len(text) * 0.3:
            annex_starts.append((line.start, not kept.search(line.text)))
    ranges = [(start, annex_starts[n + 1][0] if n + 1 < len(annex_starts) else len(text))
              for n, (start, skipped) in enumerate(annex_starts) if skipped]
    annex_start = annex_starts[0][0] if annex_starts else len(text)
    title_block = " ".join(line.text for line in lines[:40] if not line.running)
    follow_up = bool(re.search(alternation(vocabulary.follow_up_title_words), title_block[:1500]))
    return Document(text, lines, tables, page_count, annex_start, follow_up, starts, titles, ranges)
