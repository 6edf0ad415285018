"""Extraction on real PDFs built here: bounded text (a few KB must not become a million characters),
unreadable text layers treated like missing ones, per-page failures recorded on the row, and the line
between a bad file (a rejected row) and a bug of ours (the step fails)."""

import io
import re

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from dataval_pipeline.ingest import extract
from dataval_pipeline.ingest.extract import Limits, raw_report_row

SENTENCE = "Le registre des plaintes est tenu par la direction et relu chaque mois par le cadre de santé."


def _pdf(draw_pages, pages: int = 1, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=int(compress))
    for page in range(pages):
        draw_pages(pdf, page)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _lines(pdf, page, font="Helvetica", text=None, lines=30):
    pdf.setFont(font, 10)
    for line in range(lines):
        pdf.drawString(40, 800 - line * 14, text(line) if text else f"Page {page + 1}, ligne {line}. {SENTENCE}")


def text_bomb(pages: int = 1) -> bytes:
    """Pages whose compressed content streams expand to about a million characters each."""
    def draw(pdf, _):
        pdf.setFont("Helvetica", 1)
        text = pdf.beginText(10, 830)
        for _ in range(20_000):
            text.textLine(SENTENCE)
        pdf.drawText(text)
    return _pdf(draw, pages=pages)


def test_a_text_bomb_is_cut_at_the_page_bound_and_the_cut_is_recorded():
    data = text_bomb()
    assert len(data) < 20_000
    row = raw_report_row(data, "bombe.pdf", use_ocr=False)
    assert row["status"] == "ok" and row["truncated"] is True
    assert row["char_count"] == extract.DEFAULT_MAX_PAGE_CHARS
    assert any("DATAVAL_MAX_PAGE_CHARS" in w for w in row["extraction_warnings"])


def test_the_bounds_come_from_the_environment_and_the_report_bound_is_recorded(monkeypatch):
    monkeypatch.setenv("DATAVAL_MAX_PAGE_CHARS", "15000")
    monkeypatch.setenv("DATAVAL_MAX_REPORT_CHARS", "40000")
    assert Limits.from_env() == Limits(15_000, 40_000)
    row = raw_report_row(text_bomb(pages=3), "bombe.pdf", use_ocr=False)
    assert row["truncated"] is True and row["char_count"] == 40_000
    assert sum("cut at 15,000 characters" in w for w in row["extraction_warnings"]) == 3
    assert any("report cut at 40,000 characters" in w for w in row["extraction_warnings"])


def test_an_ordinary_report_is_not_cut():
    row = raw_report_row(_pdf(_lines, pages=3), "rapport.pdf", use_ocr=False)
    assert row["status"] == "ok" and row["truncated"] is False and row["extraction_warnings"] == []
    assert row["failed_pages"] == 0


@pytest.mark.parametrize("layer", ["glyph names", "dingbats"])
def test_an_unreadable_text_layer_is_a_missing_one(layer):
    if layer == "glyph names":  # what a font without a Unicode map gives: /g50/g65/g72…
        data = _pdf(lambda pdf, page: _lines(pdf, page, text=lambda i: "".join(f"/g{(i * 7 + j) % 90 + 10}"
                                                                             for j in range(30))))
    else:
        data = _pdf(lambda pdf, page: _lines(pdf, page, font="ZapfDingbats", text=lambda i: "abcdefghijklmnop" * 3))
    row = raw_report_row(data, "illisible.pdf", use_ocr=False)
    assert row["status"] == "rejected" and row["text"] is None
    assert "text layer unreadable" in row["reject_reason"] and "OCR is not installed" in row["reject_reason"]
    if extract.ocr_available():  # with OCR: tried, and said (no image to read here)
        row = raw_report_row(data, "illisible.pdf", use_ocr=True)
        assert "text layer unreadable" in row["reject_reason"] and "OCR found no text" in row["reject_reason"]


def test_a_page_mixing_text_and_a_few_glyph_names_stays_text():
    data = _pdf(lambda pdf, page: _lines(pdf, page, text=lambda i: f"{SENTENCE} /g{i}" if i % 5 else SENTENCE))
    assert raw_report_row(data, "rapport.pdf", use_ocr=False)["status"] == "ok"


def _with_broken_page(page_index: int, pages: int = 3) -> bytes:
    """A real PDF whose content stream of one page is damaged (its bytes overwritten in place)."""
    data = bytearray(_pdf(_lines, pages=pages))
    streams = [m.end() for m in re.finditer(rb"stream\r?\n", data)]
    start = streams[2 * page_index]  # reportlab writes each page's content stream before its font stream
    data[start:start + 60] = b"\xff" * 60
    return bytes(data)


def test_a_page_that_fails_is_recorded_on_the_row_and_the_others_are_kept():
    row = raw_report_row(_with_broken_page(1), "rapport.pdf", use_ocr=False)
    assert row["status"] == "ok" and row["failed_pages"] == 1
    assert row["extraction_warnings"][0].startswith("page 2: could not be extracted")
    assert "Page 1, ligne" in row["text"] and "Page 3, ligne" in row["text"] and "Page 2, ligne" not in row["text"]


def test_a_bug_of_ours_fails_instead_of_rejecting_the_file(monkeypatch):
    def broken_normalise(text):
        return text.undefined_method()  # an AttributeError raised by our code, not by the PDF library

    monkeypatch.setattr(extract, "normalise_page", broken_normalise)
    with pytest.raises(AttributeError):
        raw_report_row(_pdf(_lines), "rapport.pdf", use_ocr=False)


def test_the_library_failing_on_the_bytes_is_a_rejected_row():
    row = raw_report_row(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
                         "cassé.pdf", use_ocr=False)
    assert row["status"] == "rejected" and row["reject_reason"]
