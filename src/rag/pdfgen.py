"""Make small text PDFs with pypdf alone (for the ingest benchmark and the tests; no reportlab needed).

Each page gets a content stream that draws its lines in Helvetica, so the PDF has a real text
layer that :mod:`pypdf` extracts again. Pages with the same text share one stream, which keeps
a 1,000-page test file small.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

_PAGE_W, _PAGE_H = 612, 792
_LINE_CHARS = 90


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str) -> list[str]:
    lines = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > _LINE_CHARS:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines[:55]  # what fits on a letter page at 12 pt leading


def text_pdf(pages: list[str], *, password: str | None = None) -> bytes:
    """PDF bytes with one page per string (empty string: a blank page, as a scan would be)."""
    writer = PdfWriter()
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    })
    font_ref = writer._add_object(font)
    streams: dict[str, object] = {}
    for text in pages:
        page = writer.add_blank_page(_PAGE_W, _PAGE_H)
        if not text.strip():
            continue
        if text not in streams:
            ops = ["BT", "/F1 10 Tf", "12 TL", f"50 {_PAGE_H - 60} Td"]
            ops += [f"({_escape(line)}) Tj T*" for line in _wrap(text)]
            ops.append("ET")
            stream = DecodedStreamObject()
            stream.set_data("\n".join(ops).encode("latin-1", "replace"))
            streams[text] = writer._add_object(stream)
        page[NameObject("/Contents")] = streams[text]
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref}),
        })
    if password:
        writer.encrypt(user_password=password, owner_password=password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
