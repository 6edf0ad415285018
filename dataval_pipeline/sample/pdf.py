"""Lay out a composed report as a justified, paginated PDF (reportlab), byte-for-byte reproducible."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

rl_config.invariant = 1  # no timestamps or random ids: same input, same bytes, same report_id

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13, alignment=TA_JUSTIFY, spaceAfter=6)
HEADING = ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=10, spaceAfter=6)
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20, alignment=TA_CENTER, spaceAfter=14)
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8, leading=10)


WIDTH = A4[0] - 4.4 * cm


def column_widths(rows: list[list[object]]) -> list[float]:
    """Short columns (numbers, kinds, deadlines) as wide as their longest cell, the others share the rest."""
    longest = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    short = {i: min(3.2, max(1.3, 0.2 * n + 0.4)) * cm for i, n in enumerate(longest) if n <= 16}
    wide = [i for i in range(len(longest)) if i not in short]
    if not wide:
        return [WIDTH / len(longest)] * len(longest)
    rest = WIDTH - sum(short.values())
    weight = {i: min(longest[i], 200) for i in wide}
    return [short[i] if i in short else rest * weight[i] / sum(weight.values()) for i in range(len(longest))]


def render_pdf(blocks: list[tuple[str, object]], header: str, author: str = "ARS") -> bytes:
    buffer = io.BytesIO()

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, A4[1] - 1.2 * cm, header)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
        title=header, author=author, invariant=1,
    )
    story = []
    for kind, content in blocks:
        if kind == "title":
            story.append(Paragraph(escape(str(content)).replace("\n", "<br/>"), TITLE))
            story.append(Spacer(1, 0.4 * cm))
        elif kind == "h1":
            story.append(Paragraph(escape(str(content)), HEADING))
        elif kind == "p":
            story.append(Paragraph(escape(str(content)), BODY))
        elif kind == "table":
            rows = [[Paragraph(escape(str(cell)), CELL) for cell in row] for row in content]  # type: ignore[union-attr]
            table = Table(rows, colWidths=column_widths(content), repeatRows=1)  # type: ignore[arg-type]
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            story.append(table)
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
