"""Make small text PDFs with pypdf alone (for the ingest benchmark and the tests; no reportlab needed).

Each page gets a content stream that draws its lines in Helvetica, so the PDF has a real text
layer that :mod:`pypdf` extracts again. Pages with the same text share one stream, which keeps
a 1,000-page test file small. :func:`flate_bomb_pdf` makes the hostile kind: pages whose content
stream inflates to a gigabyte.
"""

from __future__ import annotations

import io
import zlib

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, EncodedStreamObject, NameObject

from src.rag.chunking import word_windows

_PAGE_W, _PAGE_H = 612, 792
_LINE_CHARS = 90


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str) -> list[str]:
    lines = []
    for paragraph in text.splitlines() or [""]:  # a blank paragraph stays a blank line
        lines += word_windows(paragraph, _LINE_CHARS) or [""]
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


def _full_flush(data: bytes) -> bytes:
    """Raw deflate of ``data`` ending in a full flush: copies of it concatenate into one valid stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def flate_bomb_pdf(pages: int = 3, inflated: int = 256 * 2**20) -> bytes:
    """A PDF whose pages share one /FlateDecode content stream of ``inflated`` bytes (about 2 MB on disk).

    Built from one compressed block repeated, so a gigabyte costs no time to make.
    """
    head, block, tail = b"BT /F1 10 Tf 50 700 Td ", b"(AAAA) Tj " * 100_000, b" ET"
    count = inflated // len(block)
    adler = zlib.adler32(head)
    for _ in range(count):
        adler = zlib.adler32(block, adler)
    body = _full_flush(head) + _full_flush(block) * count + _full_flush(tail) + b"\x03\x00"  # 03 00: last block
    stream = EncodedStreamObject()
    stream._data = b"\x78\xda" + body + zlib.adler32(tail, adler).to_bytes(4, "big")  # set_data would re-encode
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer = PdfWriter()
    ref = writer._add_object(stream)
    for _ in range(pages):
        writer.add_blank_page(_PAGE_W, _PAGE_H)[NameObject("/Contents")] = ref
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
