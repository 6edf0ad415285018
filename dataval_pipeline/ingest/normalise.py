"""Undo PDF text-extraction artefacts without changing words.

Justified text comes out with runs of spaces, typesetting uses ligatures and
non-breaking spaces, and words may be split at line ends. Line breaks are kept
(the anonymiser must see names split across lines as they are).
"""

from __future__ import annotations

import re
import unicodedata

LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u00ad": "",
})
_LIGATURE_CHARS = re.compile("[" + "".join(chr(c) for c in LIGATURES) + "]")
_SPACE_RUNS = re.compile(r"[ \t]{2,}|\t")  # what is not already a single space
_OTHER_SPACE = re.compile(r"[^\S \n]")
_LINE_EDGES = re.compile(r"^[^\S\n]+|[^\S\n]+$", re.MULTILINE)
# A hyphen at a line end between letters: the word continues on the next line.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_page(text: str) -> str:
    """Runs of spaces and tabs become one space, lines lose their edge whitespace, hyphenated line
    breaks join, blank-line runs shrink to one. Each step runs only when a cheap test says it has
    work: regular expressions over every character of every page were most of ingestion's own cost."""
    text = unicodedata.normalize("NFC", text)
    if _LIGATURE_CHARS.search(text):
        text = text.translate(LIGATURES)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text:
        text = _SPACE_RUNS.sub(" ", text)
    if _OTHER_SPACE.search(text):  # rare whitespace (vertical tab, em space…): the general rule
        text = _LINE_EDGES.sub("", text)
    else:  # only single spaces and newlines left: at most one space on each side of a newline
        text = text.replace(" \n", "\n").replace("\n ", "\n")
    if "-\n" in text:
        text = _HYPHEN_BREAK.sub("-", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def collapse_whitespace(text: str) -> str:
    """One space for any run of whitespace: how gold surfaces and quotes are compared."""
    return " ".join(text.split())


_DIGITS = re.compile(r"\d+")


def strip_running_lines(pages: list[str], edge_lines: int = 2) -> list[str]:
    """Remove running headers and footers: lines at the top or bottom of pages that repeat on most
    pages (numbers ignored, so "Page 3" and "Page 4" are the same line). Without this, a name cut by
    a page break would have a header in its middle."""
    if len(pages) < 2:
        return pages
    split = [page.split("\n") for page in pages]
    counts: dict[str, int] = {}
    for lines in split:
        edges = {_DIGITS.sub("#", line) for line in lines[:edge_lines] + lines[-edge_lines:] if line.strip()}
        for key in edges:
            counts[key] = counts.get(key, 0) + 1
    running = {key for key, count in counts.items() if count >= max(2, (len(pages) + 1) // 2)}
    cleaned = []
    for lines in split:
        head = 0
        while head < min(edge_lines, len(lines)) and _DIGITS.sub("#", lines[head]) in running:
            head += 1
        tail = len(lines)
        while tail > head and len(lines) - tail < edge_lines and _DIGITS.sub("#", lines[tail - 1]) in running:
            tail -= 1
        cleaned.append("\n".join(lines[head:tail]).strip())
    return cleaned
