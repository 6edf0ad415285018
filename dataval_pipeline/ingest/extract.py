"""Read one report file into a ``raw_reports`` row; never raise for a bad file.

Every failure becomes ``status='rejected'`` with a reason a person understands,
because one unreadable file must not stop the other reports of a run. Reasons
never quote the file's content (it may hold personal data).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from dataval_pipeline.identifiers import report_id_for
from dataval_pipeline.ingest.normalise import normalise_page, strip_running_lines

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings can quote document content

PAGE_SEPARATOR = "\f"
MIN_TEXT_CHARS = 20  # below this on every page, the PDF has no usable text layer

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
class Extraction:
    text: str
    page_count: int
    method: str  # text_layer | ocr


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


def _text_layer(reader: PdfReader) -> tuple[list[str], int]:
    pages, failed = [], 0
    for page in reader.pages:
        try:
            pages.append(normalise_page(page.extract_text() or ""))
        except Exception:  # noqa: BLE001 - one broken page must not lose the others
            pages.append("")
            failed += 1
    return pages, failed


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


def _ocr(reader: PdfReader) -> list[str]:
    """Tesseract (French) on the images of each page; pages without images stay empty."""
    pages = []
    with tempfile.TemporaryDirectory(prefix="dataval-ocr-") as tmp:
        for page_number, page in enumerate(reader.pages):
            texts = []
            for image_number, image in enumerate(page.images):
                path = Path(tmp) / f"p{page_number}-{image_number}.png"
                image.image.save(path)
                result = subprocess.run(
                    ["tesseract", str(path), "stdout", "-l", "fra"], capture_output=True, text=True, timeout=300
                )
                texts.append(result.stdout)
            pages.append(normalise_page("\n".join(texts)))
    return pages


def extract_text(data: bytes, *, use_ocr: bool | None = None) -> Extraction:
    """Text of a PDF, pages joined by form feeds; raises ``Rejected`` with the reason."""
    reader = _open(data)
    try:
        page_count = len(reader.pages)
    except Exception as error:  # noqa: BLE001 - a broken page tree
        raise Rejected(f"damaged PDF: its page tree cannot be read ({type(error).__name__})") from None
    if page_count == 0:
        raise Rejected("PDF without any page")
    pages, failed = _text_layer(reader)
    if failed == page_count:
        raise Rejected(f"damaged PDF: no page could be read ({page_count} pages)")
    if all(len(p) < MIN_TEXT_CHARS for p in pages):
        if use_ocr is None:
            use_ocr = ocr_available()
        if not use_ocr:
            raise Rejected("no text layer on any page (scanned or image-only PDF, and OCR is not installed)")
        pages = _ocr(reader)
        if all(len(p) < MIN_TEXT_CHARS for p in pages):
            raise Rejected("no text layer on any page, and OCR found no text either")
        return Extraction(PAGE_SEPARATOR.join(pages), page_count, "ocr")
    return Extraction(PAGE_SEPARATOR.join(strip_running_lines(pages)), page_count, "text_layer")


def raw_report_row(data: bytes, source_file: str, *, use_ocr: bool | None = None) -> dict:
    """The ``raw_reports`` row of one file (contract ``raw_reports``)."""
    row = {
        "report_id": report_id_for(data),
        "source_file": source_file,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "page_count": 0,
        "text": None,
        "char_count": 0,
        "extraction": None,
        "status": "rejected",
        "reject_reason": None,
        "ingested_at": dt.datetime.now(dt.timezone.utc),
    }
    try:
        extraction = extract_text(data, use_ocr=use_ocr)
    except Rejected as reason:
        row["reject_reason"] = str(reason)
        try:  # page count still helps a person judge a rejected file
            row["page_count"] = len(PdfReader(io.BytesIO(data), strict=False).pages) if data[:5] == b"%PDF-" else 0
        except Exception:  # noqa: BLE001
            pass
        return row
    except Exception as error:  # noqa: BLE001 - an unforeseen library failure is still a recorded rejection
        row["reject_reason"] = f"unreadable PDF ({type(error).__name__})"
        return row
    row.update(
        page_count=extraction.page_count, text=extraction.text, char_count=len(extraction.text),
        extraction=extraction.method, status="ok",
    )
    return row
