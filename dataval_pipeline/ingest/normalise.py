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
_SPACES = re.compile(r"[ \t]+")
# A hyphen at a line end between letters: the word continues on the next line.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_page(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(LIGATURES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _HYPHEN_BREAK.sub("-", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def collapse_whitespace(text: str) -> str:
    """One space for any run of whitespace: how gold surfaces and quotes are compared."""
    return " ".join(text.split())
