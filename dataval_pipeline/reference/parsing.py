"""What every reference reader shares: rejected lines, decoding, FINESS numbers and numbers as written.

A reference file is written by hand or by another system: a bad line is set
aside with its line number and a reason a person can act on, and the other
lines are still read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import polars as pl

from dataval_pipeline.identifiers import FINESS_PATTERN, is_valid_finess

MAX_CONTENT_CHARS = 300


@dataclass(frozen=True)
class Reject:
    source: str
    line: int
    reason: str
    content: str

    def row(self) -> dict:
        return {"source": self.source, "line": self.line, "reason": self.reason, "content": self.content}


@dataclass
class Parsed:
    """Rows read, lines rejected, and counts of lines deliberately not kept (other categories…)."""

    frame: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class LineError(ValueError):
    """A line that cannot be read; the message is the reject reason."""


def reject(source: str, line: int, reason: str, content: str) -> Reject:
    return Reject(source, line, reason, content[:MAX_CONTENT_CHARS])


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); older national extracts are Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def normalise_finess(value: str, what: str = "FINESS") -> str:
    """9 characters, leading zero restored (spreadsheets drop it), 2A/2B kept, check digit verified."""
    compact = value.strip().strip('"').replace(" ", "").upper()
    if compact.isdigit() and 7 <= len(compact) < 9:
        compact = compact.zfill(9)
    if not FINESS_PATTERN.match(compact):
        raise LineError(f"{what} {value.strip()!r} is not 9 characters like 010000024 or 2A0000001")
    if not is_valid_finess(compact):
        raise LineError(f"{what} {compact} fails its check digit")
    return compact


def parse_number(value: str, column: str) -> float | None:
    """A figure as spreadsheets write it: empty is unknown; French decimal comma and spaced thousands read."""
    text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise LineError(f"{column}: {value.strip()!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise LineError(f"{column}: {value.strip()!r} is not a finite number")
    return number


def fold(text: str) -> str:
    """Lower case without accents, underscores or hyphens: for matching labels written by hand."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.lower().replace("_", " ").replace("-", " ").split())
