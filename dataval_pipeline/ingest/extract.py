"""Read one report file into a ``raw_reports`` row; never raise for a bad file, always raise for a bug.

Every failure of the file becomes ``status='rejected'`` with a reason a person understands, because one
unreadable file must not stop the other reports of a run; an error raised by our own code (not inside the
PDF library on this file's bytes) is a bug and fails the step. Reasons and warnings never quote the file's
content (it may hold personal data).

Bounds: a page keeps at most ``DATAVAL_MAX_PAGE_CHARS`` characters and a report ``DATAVAL_MAX_REPORT_CHARS``
(a few kilobytes of PDF can expand to millions of characters, each of which would be anonymised and sent to
the LLM); a cut is recorded on the row. A text layer that is not text (glyph names such as ``/g50/g65``,
``(cid:12)`` codes, dingbats, private-use symbols) counts as missing: OCR reads the page images, or the file
is rejected with that reason. Pages that fail to extract are counted and named on the row.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import traceback
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from dataval_pipeline.identifiers import report_id_for
from dataval_pipeline.ingest.normalise import normalise_page, strip_running_lines

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings can quote document content

PAGE_SEPARATOR = "\f"
MIN_TEXT_CHARS = 20  # below this on every page, the PDF has no usable text layer
DEFAULT_MAX_PAGE_CHARS = 20_000  # a dense A4 page of small print holds about 6,000
DEFAULT_MAX_REPORT_CHARS = 2_000_000  # about 500 dense pages
MAX_WARNINGS = 20  # warnings kept on a row (the count of failed pages stays exact)
# Modules whose exceptions on a file's bytes mean a bad file, not a bug of ours.
FILE_LIBRARIES = ("pypdf", "PIL", "cryptography", "zlib", "struct", "codecs", "encodings", "_io")
_GLYPH_TOKEN = re.compile(r"/(?:[A-Za-z]{1,3}\d{1,5}|uni[0-9A-Fa-f]{4,6}|[a-z]+\.\w+)|\(cid:\d+\)|\\x[0-9a-f]{2}")

_MAGIC = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"\xd0\xcf\x11\xe0", "a legacy office document"),
    (b"{\\rtf", "an RTF document"),
    (b"<html", "an HTML page"),
    (b"<!doctype", "an HTML page"),
]


class Rejected(Exception):
    """A file that cannot become text; the message is the recorded reason."""


@dataclass(frozen=True)
class Limits:
    page_chars: int = DEFAULT_MAX_PAGE_CHARS
    report_chars: int = DEFAULT_MAX_REPORT_CHARS

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(int(os.environ.get("DATAVAL_MAX_PAGE_CHARS", DEFAULT_MAX_PAGE_CHARS)),
                   int(os.environ.get("DATAVAL_MAX_REPORT_CHARS", DEFAULT_MAX_REPORT_CHARS)))


@dataclass(frozen=True)
class Extraction:
    text: str
    page_count: int
    method: str  # text_layer | ocr
    failed_pages: int = 0
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)


def raised_by_file_library(error: BaseException) -> bool:
    """True when ``error`` was raised while a PDF/image library was working on the file's bytes (a bad file),
    False when our own code raised it (a bug: it must fail the step, not become a rejected row)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [i for i, f in enumerate(frames) if f"{os.sep}dataval_pipeline{os.sep}" in f.filename]
    after = frames[ours[-1] + 1:] if ours else frames
    return any(any(f"{os.sep}{lib}{os.sep}" in f.filename or f.filename.endswith(f"{os.sep}{lib}.py")
                   for lib in FILE_LIBRARIES) for f in after)


def readable_share(text: str) -> float:
    """Share of a page's visible characters that are letters or digits of running text (not glyph names,
    ``(cid:N)`` codes, dingbats or private-use symbols)."""
    visible = [c for c in _GLYPH_TOKEN.sub("\x00" * 3, text) if not c.isspace()]
    if not visible:
        return 0.0
    good = 0
    for char in visible:
        if char == "\x00":
            continue
        category = unicodedata.category(char)
        if category[0] in "LN" and ord(char) < 0x2000 or category[0] == "P" and ord(char) < 0x2100:
            good += 1
    return good / len(visible)


def is_unreadable_layer(text: str) -> bool:
    """A page whose text layer is not text: mostly glyph names, codes or symbols."""
    return len(text.strip()) >= MIN_TEXT_CHARS and readable_share(text) < 0.6


def describe_non_pdf(data: bytes) -> str:
    head = data[:16].lstrip().lower()
    for magic, name in _MAGIC:
        if head.startswith(magic.lower()):
            return f"not a PDF (starts like {name})"
    try:
        data[:512].decode("utf-8")
        return "not a PDF (starts with plain text)"
    except UnicodeDecodeError:
        return "not a PDF (starts with unknown binary data)"


def _open(data: bytes) -> PdfReader:
    if not data:
        raise Rejected("empty file (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise Rejected(describe_non_pdf(data))
    if b"%%EOF" not in data[-2048:]:
        raise Rejected("truncated PDF (no end-of-file marker: the file was cut during copy or upload)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except PdfReadError as error:
        raise Rejected(f"damaged PDF that cannot be opened ({type(error).__name__})") from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception:  # noqa: BLE001 - an unsupported algorithm is as closed as a password
            opened = 0
        if not opened:
            raise Rejected("encrypted PDF (a password is required to open it)")
    return reader


def _text_layer(reader: PdfReader, limits: Limits, warnings: list[str]) -> tuple[list[str], int, int, int]:
    """Normalised text per page; pages that failed, pages whose layer is unreadable, pages cut at the bound."""
    pages, failed, unreadable, cut = [], 0, 0, 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            raw, aborted = _page_text(page, 2 * limits.page_chars)
            text = normalise_page(raw)
        except Exception as error:  # noqa: BLE001 - one broken page must not lose the others (bugs re-raised)
            if not raised_by_file_library(error):
                raise
            pages.append("")
            failed += 1
            _warn(warnings, f"page {number}: could not be extracted ({type(error).__name__})")
            continue
        if is_unreadable_layer(text):
            unreadable += 1
            _warn(warnings, f"page {number}: text layer unreadable (glyph names or symbols, not letters)")
            text = ""
        if aborted or len(text) > limits.page_chars:
            cut += 1
            _warn(warnings, f"page {number}: cut at {limits.page_chars:,} characters (DATAVAL_MAX_PAGE_CHARS)")
            text = text[: limits.page_chars]
        pages.append(text)
    return pages, failed, unreadable, cut


class _PageTooLong(Exception):
    pass


def _page_text(page, max_chars: int) -> tuple[str, bool]:
    """The page's text, extraction stopped once ``max_chars`` are out: the library's own cost grows with
    the text (a 6 KB page of 1 million characters takes 14 s to extract whole, 1 s to stop early)."""
    pieces: list[str] = []
    count = 0

    def visit(text, *_):
        nonlocal count
        pieces.append(text)
        count += len(text)
        if count > max_chars:
            raise _PageTooLong

    try:
        return page.extract_text(visitor_text=visit) or "", False
    except _PageTooLong:
        return "".join(pieces), True


def _warn(warnings: list[str], message: str) -> None:
    if len(warnings) < MAX_WARNINGS:
        warnings.append(message)
    elif len(warnings) == MAX_WARNINGS:
        warnings.append("more warnings not listed")


@functools.cache
def ocr_available() -> bool:
    """Tesseract with the French pack (asked once per process, not once per scanned file)."""
    if not shutil.which("tesseract"):
        return False
    try:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "fra" in langs.split()


def _ocr(reader: PdfReader, limits: Limits, warnings: list[str]) -> list[str]:
    """Tesseract (French) on the images of each page; pages without images stay empty."""
    pages = []
    with tempfile.TemporaryDirectory(prefix="dataval-ocr-") as tmp:
        for page_number, page in enumerate(reader.pages):
            texts = []
            try:
                images = list(page.images)
            except Exception as error:  # noqa: BLE001 - a damaged image list loses this page only
                if not raised_by_file_library(error):
                    raise
                _warn(warnings, f"page {page_number + 1}: images could not be read for OCR ({type(error).__name__})")
                images = []
            for image_number, image in enumerate(images):
                path = Path(tmp) / f"p{page_number}-{image_number}.png"
                try:
                    image.image.save(path)
                    result = subprocess.run(["tesseract", str(path), "stdout", "-l", "fra"], capture_output=True,
                                            text=True, timeout=300)
                except subprocess.TimeoutExpired:
                    _warn(warnings, f"page {page_number + 1}: OCR timed out")
                    continue
                except Exception as error:  # noqa: BLE001
                    if not raised_by_file_library(error):
                        raise
                    _warn(warnings, f"page {page_number + 1}: image could not be decoded ({type(error).__name__})")
                    continue
                texts.append(result.stdout)
            text = normalise_page("\n".join(texts))
            if len(text) > limits.page_chars:
                _warn(warnings, f"page {page_number + 1}: cut at {limits.page_chars:,} characters "
                                "(DATAVAL_MAX_PAGE_CHARS)")
                text = text[: limits.page_chars]
            pages.append(text)
    return pages


def _bounded(pages: list[str], limits: Limits, warnings: list[str]) -> tuple[str, bool]:
    text = PAGE_SEPARATOR.join(pages)
    if len(text) <= limits.report_chars:
        return text, False
    _warn(warnings, f"report cut at {limits.report_chars:,} characters (DATAVAL_MAX_REPORT_CHARS); "
                    f"{len(text):,} were extracted")
    return text[: limits.report_chars], True


def extract_text(data: bytes, *, use_ocr: bool | None = None, limits: Limits | None = None) -> Extraction:
    """Text of a PDF, pages joined by form feeds; raises ``Rejected`` with the reason."""
    limits = limits or Limits.from_env()
    reader = _open(data)
    try:
        page_count = len(reader.pages)
    except Exception as error:  # noqa: BLE001 - a broken page tree
        if not raised_by_file_library(error):
            raise
        raise Rejected(f"damaged PDF: its page tree cannot be read ({type(error).__name__})") from None
    if page_count == 0:
        raise Rejected("PDF without any page")
    warnings: list[str] = []
    pages, failed, unreadable, cut = _text_layer(reader, limits, warnings)
    if failed == page_count:
        raise Rejected(f"damaged PDF: no page could be read ({page_count} pages)")
    if all(len(p) < MIN_TEXT_CHARS for p in pages):
        missing = ("text layer unreadable (glyph names or symbols instead of letters)" if unreadable
                   else "no text layer on any page")
        if use_ocr is None:
            use_ocr = ocr_available()
        if not use_ocr:
            raise Rejected(f"{missing}, and OCR is not installed" if unreadable
                           else f"{missing} (scanned or image-only PDF, and OCR is not installed)")
        pages = _ocr(reader, limits, warnings)
        if all(len(p) < MIN_TEXT_CHARS for p in pages):
            raise Rejected(f"{missing}, and OCR found no text either")
        text, truncated = _bounded(pages, limits, warnings)
        return Extraction(text, page_count, "ocr", failed, truncated or cut > 0, warnings)
    text, truncated = _bounded(strip_running_lines(pages), limits, warnings)
    return Extraction(text, page_count, "text_layer", failed, truncated or cut > 0, warnings)


def raw_report_row(data: bytes, source_file: str, *, use_ocr: bool | None = None,
                   limits: Limits | None = None) -> dict:
    """The ``raw_reports`` row of one file (contract ``raw_reports``); raises only for a bug of ours."""
    row = {
        "report_id": report_id_for(data),
        "source_file": source_file,
        "source_label": None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "page_count": 0,
        "text": None,
        "char_count": 0,
        "extraction": None,
        "failed_pages": 0,
        "truncated": False,
        "extraction_warnings": [],
        "status": "rejected",
        "reject_reason": None,
        "ingested_at": dt.datetime.now(dt.timezone.utc),
    }
    try:
        extraction = extract_text(data, use_ocr=use_ocr, limits=limits)
    except Rejected as reason:
        row["reject_reason"] = str(reason)
        row["page_count"] = _page_count_or_zero(data)  # still helps a person judge a rejected file
        return row
    except Exception as error:  # noqa: BLE001 - the library failing on these bytes is a bad file...
        if not raised_by_file_library(error):
            raise  # ...our own code failing is a bug: the step fails, the file is not blamed
        row["reject_reason"] = f"unreadable PDF ({type(error).__name__})"
        return row
    row.update(
        page_count=extraction.page_count, text=extraction.text, char_count=len(extraction.text),
        extraction=extraction.method, status="ok", failed_pages=extraction.failed_pages,
        truncated=extraction.truncated, extraction_warnings=list(extraction.warnings),
    )
    return row


def _page_count_or_zero(data: bytes) -> int:
    if data[:5] != b"%PDF-":
        return 0
    try:
        return len(PdfReader(io.BytesIO(data), strict=False).pages)
    except Exception:  # noqa: BLE001 - a best-effort figure for a file already rejected
        return 0
