"""The layout of a report's text: lines, table cells, and the cells of people's tables.

Nothing the anonymiser replaces may cross a line or a cell: the findings reader
and the analysts read tables row by row. Cells come from ``|`` or tab separated
text, or from runs of three spaces; PDFs extracted by text layer often give a
table one cell per line under a stacked header (``NOM`` / ``Prénom`` /
``Fonction`` on three lines), which ``people_cells`` reads too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dataval_pipeline.anonymise import lexicon
from dataval_pipeline.anonymise.lexicon import fold

CELL_BREAK = re.compile(r"[|\t\n\f\r\v]| {3,}")
LINE = re.compile(r"[^\n\f]*")
ROW_SEPARATOR = re.compile(r"[|\t]| {3,}")
RULE_ROW = re.compile(r"^[\s|:+=-]*$")  # |---|---| under a Markdown header
HEADING = re.compile(rf"^(?:annexe|\d+(?:\.\d+)*[.)]?\s+[A-ZÀ-Ý]|[IVX]+[.)]\s)", re.IGNORECASE)
DATE_IN_CELL = re.compile(r"\d{1,2}[ ]?[/.-][ ]?\d{1,2}[ ]?[/.-][ ]?\d{2,4}|\d{1,2}(?:er)?\s+[^\W\d]+\s+\d{4}|(?:18|19|20)\d{2}")
CAPS_CELL = re.compile(r"^(?:[A-ZÀ-Ý]{1,3}['’ ])?[A-ZÀ-Ý][A-ZÀ-Ý'’-]+(?: [A-ZÀ-Ý][A-ZÀ-Ý'’-]+)?$")
NAME_CELL = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '’.,-])*$")
COLUMN_HEADERS = lexicon.PERSON_COLUMNS | lexicon.ROLE_COLUMNS | lexicon.BIRTH_COLUMNS | lexicon.OTHER_COLUMNS


@dataclass(frozen=True)
class Cell:
    """A people's-table cell to remove: ``kind`` PERSONNE or DATE_NAISSANCE; cells of one row share ``row``."""

    kind: str
    start: int
    end: int
    row: int


def pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut at every line and cell break, each piece stripped of spaces and separators."""
    out = []
    position = start
    for match in CELL_BREAK.finditer(text, start, end):
        out.append((position, match.start()))
        position = match.end()
    out.append((position, end))
    stripped = []
    for a, b in out:
        while a < b and text[a] in " \t,;:":
            a += 1
        while b > a and text[b - 1] in " \t,;:":
            b -= 1
        if b > a:
            stripped.append((a, b))
    return stripped


def lines(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every line (form feeds end lines too)."""
    position = 0
    for match in re.finditer(r"[\n\f]", text):
        yield position, match.start()
        position = match.end()
    yield position, len(text)


def _header_key(cell: str) -> str:
    return " ".join(fold(cell).strip(" :*#.").replace("(e)", "(e)").split())


def _column_kind(cell: str) -> str | None:
    key = _header_key(cell)
    if key in lexicon.BIRTH_COLUMNS:
        return "DATE_NAISSANCE"
    if key in lexicon.PERSON_COLUMNS:
        return "PERSONNE"
    if key in COLUMN_HEADERS:
        return "other"
    return None


PARTICLES = {"de", "du", "des", "d'", "d’", "le", "la", "van", "von", "den", "der", "ben", "bin", "el", "da", "dos",
             "di", "del", "della", "et"}


def is_name_cell(cell: str) -> bool:
    cell = cell.strip()
    if not cell or len(cell) > 60 or len(cell.split()) > 6 or not NAME_CELL.match(cell):
        return False
    words = re.findall(r"[^\W\d_][\w'’-]*", cell)
    if any(w[:1].isupper() for w in words) and any(w[:1].islower() and fold(w) not in PARTICLES for w in words):
        return False  # "Motif de l'examen": a label, not a name (names are all lower case or all capitalised)
    return not cell.endswith((":", ".")) or bool(re.search(r"\b\w\.$", cell))  # "Mme T." ends with a dot


def _split_row(line: str) -> list[tuple[int, int]]:
    """Cell spans (relative to the line) of a separated row, or [] for a line that is not a row."""
    if not ROW_SEPARATOR.search(line):
        return []
    spans, position = [], 0
    for match in ROW_SEPARATOR.finditer(line):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(line)))
    if line.lstrip().startswith("|"):
        spans = spans[1:]
    if line.rstrip().endswith("|"):
        spans = spans[:-1]
    return spans if len(spans) >= 2 else []


def _cell_detections(text: str, kind: str, start: int, end: int, row: int) -> list[Cell]:
    value = text[start:end]
    stripped = value.strip(" \t*")
    if not stripped or not re.search(r"[^\W_]", stripped):
        return []
    offset = start + value.index(stripped)
    if kind == "DATE_NAISSANCE":
        return [Cell(kind, offset + m.start(), offset + m.end(), row) for m in DATE_IN_CELL.finditer(stripped)]
    if not is_name_cell(stripped):
        head = re.split(r"\s*(?:,|\(|\s[–—-]\s)", stripped, maxsplit=1)[0]  # "Kader, ASH", "Lina (IDE)"
        if head == stripped or not is_name_cell(head):
            return []
        stripped = head
    if all(fold(w) in lexicon.NOT_NAMES for w in re.findall(r"[^\W\d_]+", stripped)):
        return []
    return [Cell(kind, offset, offset + len(stripped), row)]


def _separated_tables(text: str, spans: list[tuple[int, int]]) -> list[Cell]:
    cells: list[Cell] = []
    columns: dict[int, str] | None = None
    for number, (start, end) in enumerate(spans):
        line = text[start:end]
        row = _split_row(line)
        if not row:
            if not RULE_ROW.match(line) or not line.strip():
                columns = None
            continue
        kinds = [_column_kind(line[a:b]) for a, b in row]
        if any(k in ("PERSONNE", "DATE_NAISSANCE") for k in kinds) and sum(k is not None for k in kinds) >= 2:
            columns = {i: k for i, k in enumerate(kinds) if k in ("PERSONNE", "DATE_NAISSANCE")}
            continue
        if columns is None or RULE_ROW.match(line):
            continue
        for index, kind in columns.items():
            if index < len(row):
                a, b = row[index]
                cells += _cell_detections(text, kind, start + a, start + b, -1 - number)
    return cells


def _headerless_rows(text: str, spans: list[tuple[int, int]]) -> list[Cell]:
    """A separated row with no header ("| MOREAU | Sylvie | IDEC |"): a known first name in one cell and an
    all-caps name in the cell beside it are one person's surname and first name."""
    cells: list[Cell] = []
    for number, (start, end) in enumerate(spans):
        line = text[start:end]
        row = _split_row(line) if ("|" in line or "\t" in line) else []
        values = [line[a:b].strip() for a, b in row]
        for index, value in enumerate(values):
            if fold(value) not in lexicon.FIRST_NAMES or not value[:1].isupper():
                continue
            for other in (index - 1, index + 1):
                if 0 <= other < len(values) and CAPS_CELL.match(values[other]) \
                        and not all(fold(w) in lexicon.NOT_NAMES for w in values[other].split()):
                    for i in (other, index):
                        cells += _cell_detections(text, "PERSONNE", start + row[i][0], start + row[i][1],
                                                  number + (2 << 40))
                    break
    return cells


def _shape(cell: str) -> str:
    letters = [c for c in cell if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return "upper"
    return "capitalised" if cell[:1].isupper() else "lower"


def _stacked_tables(text: str, spans: list[tuple[int, int]]) -> list[Cell]:
    """Tables extracted one cell per line: a run of header lines, then rows of as many lines."""
    cells: list[Cell] = []
    index = 0
    while index < len(spans):
        header: list[str | None] = []
        while index + len(header) < len(spans):
            start, end = spans[index + len(header)]
            kind = _column_kind(text[start:end]) if text[start:end].strip() else None
            if kind is None:
                break
            header.append(kind)
        if len(header) < 2 or not any(k in ("PERSONNE", "DATE_NAISSANCE") for k in header):
            index += max(1, len(header))
            continue
        index += len(header)
        shapes: dict[int, str] = {}
        column, misses, row_id = 0, 0, index
        while index < len(spans):
            start, end = spans[index]
            line = text[start:end].strip()
            if not line or HEADING.match(line) or _column_kind(line) is not None:
                break
            kind = header[column]
            if column == 0:
                row_id = index
            if kind == "PERSONNE":
                if not (is_name_cell(line) and shapes.get(column, _shape(line)) == _shape(line)):
                    previous = header[column - 1] if column > 0 else (header[-1] if shapes else None)
                    if previous is not None and previous != "PERSONNE":
                        index += 1  # the previous cell wrapped onto this line
                        continue
                    misses += 1
                    if misses > 2:
                        break
                else:
                    shapes.setdefault(column, _shape(line))
                    cells += _cell_detections(text, kind, start, end, row_id)
            elif kind == "DATE_NAISSANCE":
                cells += _cell_detections(text, kind, start, end, row_id)
            index += 1
            column = (column + 1) % len(header)
    return cells


LIST_HEADING = re.compile(rf"{lexicon.alternation(lexicon.PEOPLE_LIST_HEADINGS)}[ \t]*:?[ \t]*$", re.IGNORECASE)
LIST_ITEM = re.compile(r"^[ \t]*(?P<bullet>[-–—•*·▪◦]|\d+[.)])?[ \t]*(?P<name>[^,(:;\n]+?)[ \t]*"
                       r"(?P<separator>,|\(|[ \t][–—-][ \t]|:|;|$)[ \t]*(?:l['’]|la[ \t]+|le[ \t]+)?(?P<next>[^\W\d_][\w'’-]*)?")
LIST_TITLE = re.compile(rf"^{lexicon.alternation(lexicon.TITLES, flexible_space=False)}(?![\w])")


def _listed_people(text: str, spans: list[tuple[int, int]]) -> list[Cell]:
    """The name part of each line of a list of people under its heading ("Personnes rencontrées :").

    A line is an item when it has a bullet, starts with a title, or names a role after its separator
    ("Kelyan Moreau, cuisinier"); the list ends at the first line that is not one (PDF text has no blank
    lines to end it)."""
    cells: list[Cell] = []
    inside = False
    for number, (start, end) in enumerate(spans):
        line = text[start:end]
        if LIST_HEADING.search(line) and len(line.split()) <= 8:
            inside = True
            continue
        if not inside:
            continue
        item = LIST_ITEM.match(line)
        name = item.group("name").strip() if item else ""
        words = re.findall(r"[^\W\d_][\w'’.-]*", name)
        titled = bool(LIST_TITLE.match(name))
        role = bool(item and item.group("next") and fold(item.group("next")) in lexicon.ROLES)
        # names in a list are written with capitals; "la directrice", "l'équipe de nuit" are not names
        capitals = bool(words) and all(w[:1].isupper() or fold(w) in PARTICLES for w in words)
        if not item or not capitals or not (item.group("bullet") or titled or role) \
                or not (titled or 2 <= len(words) <= 5):
            inside = False
            continue
        a, b = item.span("name")
        cells += _cell_detections(text, "PERSONNE", start + a, start + b, number + (1 << 40))
    return cells


def people_cells(text: str) -> list[Cell]:
    """The cells of people's columns (names, birth dates) in every table of ``text``, and the names of
    lists of people."""
    spans = list(lines(text))
    return (_separated_tables(text, spans) + _stacked_tables(text, spans) + _headerless_rows(text, spans)
            + _listed_people(text, spans))
