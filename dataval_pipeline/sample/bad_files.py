"""Files that a real inbox receives and that ingestion must reject (or rescue) with a clear reason."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

SCANNED_TEXT = [
    "RAPPORT D'INSPECTION",
    "EHPAD Les Hirondelles",
    "N° FINESS : 750012346",
    "Inspection sur site du 12 mars 2025",
    "Ecart 1 : le registre de securite",
    "incendie n'est pas tenu a jour.",
]


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated(pdf: bytes) -> bytes:
    return pdf[: int(len(pdf) * 0.6)]


def image_only_pdf() -> bytes:
    """A 'scanned' page: the text exists only as pixels (needs OCR)."""
    image = Image.new("L", (1654, 2339), color=255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for line_number, line in enumerate(SCANNED_TEXT):
        draw.text((150, 200 + line_number * 80), line, fill=0, font=font)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def bad_files(good_pdf: bytes) -> dict[str, tuple[bytes, str, str]]:
    """file name -> (bytes, expected status, expected reason fragment)."""
    return {
        "rapport_tronque.pdf": (truncated(good_pdf), "rejected", "truncated"),
        "rapport_chiffre.pdf": (encrypted(good_pdf, "motdepasse"), "rejected", "encrypted"),
        "rapport_chiffre_sans_mot_de_passe.pdf": (encrypted(good_pdf, ""), "ok", ""),
        "notes de réunion.pdf": ("Compte rendu de réunion du 3 mars\nPoints abordés : planning.\n".encode(), "rejected", "not a PDF"),
        "vide.pdf": (b"", "rejected", "empty file"),
        "rapport_scanne.pdf": (image_only_pdf(), "rejected", "no text layer"),
    }
