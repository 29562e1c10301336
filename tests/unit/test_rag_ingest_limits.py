"""Hostile uploads of issue 16: zip bombs whose headers lie, huge DOCX, unsafe XML, slow files.

Every file is built here (no binary blobs). A bomb is a deflate segment repeated: a 1 GB part
costs 1.5 MB and no time to build.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import docx
import pytest

from src.rag import documents, docx_reader
from src.rag.documents import MAX_DOC_CHARS, REASONS, IngestError, load_bytes
from src.rag.pdfgen import flate_bomb_pdf, text_pdf

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>'.encode()
TAIL = b"</w:body></w:document>"
GB = 1_000_000_000


def _base_parts() -> dict[str, bytes]:
    """The parts of an empty document saved by python-docx (real styles.xml with Heading names)."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _docx(document_xml: bytes, **replace: bytes) -> bytes:
    parts = {**_base_parts(), "word/document.xml": document_xml, **replace}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _paragraphs(texts, style: str = "") -> bytes:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return "".join(f"<w:p>{props}<w:r><w:t>{t}</w:t></w:r></w:p>" for t in texts).encode()


def _segment(data: bytes) -> bytes:
    """Raw deflate of ``data`` ending in a full flush: copies of it can be concatenated into one stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _bomb(inflated: int = GB, declared: int | None = 1000) -> bytes:
    """A DOCX whose document.xml is ``inflated`` bytes of ``<w:p/>`` but declares ``declared`` (None: the truth)."""
    block = b"<w:p/>" * (1 << 17)
    count = inflated // len(block)
    raw = _segment(HEAD) + _segment(block) * count + _segment(TAIL) + b"\x03\x00"  # 03 00: empty final block
    crc = zlib.crc32(HEAD)
    for _ in range(count if declared is None else 0):
        crc = zlib.crc32(block, crc)
    size = len(HEAD) + count * len(block) + len(TAIL)
    crc = zlib.crc32(TAIL, crc)
    data = bytearray(_docx(b"placeholder"))
    # swap the placeholder member for the raw stream, then patch its method, CRC and sizes in both headers
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info.filename, archive.read(info))
        out.writestr(zipfile.ZipInfo("word/document.xml"), raw, compress_type=zipfile.ZIP_STORED)
    data = bytearray(buffer.getvalue())
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml").header_offset
    central = data.rfind(b"PK\x01\x02")  # the last central entry is document.xml, written last
    for at, method_at, crc_at in ((local, 8, 14), (central, 10, 16)):
        struct.pack_into("<H", data, at + method_at, zipfile.ZIP_DEFLATED)
        struct.pack_into("<III", data, at + crc_at, crc, len(raw), size if declared is None else declared)
    return bytes(data)


def _refusal(name: str, data: bytes, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as caught:
        load_bytes(name, data, **kwargs)
    assert caught.value.reason in REASONS
    return caught.value


def _peak_mb(function) -> float:
    tracemalloc.start()
    try:
        function()
    except IngestError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


# --- zip bombs (issue 16 #1) --------------------------------------------------------------------


def test_the_builder_makes_a_real_bomb_that_lies():
    data = _bomb()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    assert len(data) < 2_000_000 and info.file_size == 1000
    stream = zlib.decompressobj(-15)
    assert len(stream.decompress(data[info.header_offset + 30 + 17:][:200_000], 10_000_000)) == 10_000_000


def test_a_bomb_that_declares_1000_bytes_is_refused_with_little_memory():
    data = _bomb()
    error = _refusal("bomb.docx", data)
    assert error.reason == "zip_bomb" and "zip bomb" in str(error) and "bomb.docx" in str(error)
    # the old check inflated all of it: about 2 GB; a streaming read holds a few buffers
    assert _peak_mb(lambda: load_bytes("bomb.docx", data)) < 32


def test_a_bomb_that_declares_its_true_size_is_refused_before_inflating():
    data = _bomb(declared=None, inflated=200_000_000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size > 100_000_000
    error = _refusal("honest.docx", data)
    assert error.reason == "zip_bomb" and "would expand to 200 MB" in str(error)
    assert _peak_mb(lambda: load_bytes("honest.docx", data)) < 8


def test_the_ratio_limit_refuses_a_small_file_that_expands_a_thousandfold():
    data = _bomb(declared=None, inflated=20_000_000)  # under 50 MB, but 20 KB of zip for 20 MB of XML
    assert _refusal("ratio.docx", data).reason == "zip_bomb"


def test_a_tampered_checksum_is_refused_as_damaged():
    good = _docx(HEAD + _paragraphs(["Otters hold hands."]) + TAIL)
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo("word/document.xml")
    data = bytearray(good)
    struct.pack_into("<I", data, info.header_offset + 14, info.CRC ^ 1)
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    while data[central + 46:central + 46 + 17] != b"word/document.xml":
        central = data.rfind(b"PK\x01\x02", 0, central)
    struct.pack_into("<I", data, central + 16, info.CRC ^ 1)
    assert _refusal("tampered.docx", bytes(data)).reason == "damaged"


def test_a_part_that_is_not_deflate_data_is_refused_as_damaged():
    data = bytearray(_docx(HEAD + _paragraphs(["x" * 50]) + TAIL))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start:start + 8] = b"\xff" * 8
    assert _refusal("garbled.docx", bytes(data)).reason == "damaged"


# --- unsafe or broken XML ---------------------------------------------------------------------


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
                  b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]>' + HEAD[HEAD.index(b"<w:document"):]
                  + b"<w:p><w:r><w:t>&c;</w:t></w:r></w:p>" + TAIL)


@pytest.mark.parametrize(("xml", "reason"), [
    (BILLION_LAUGHS, "unsafe_xml"),
    (HEAD + b"<w:p><w:r><w:t>unclosed" + TAIL, "damaged"),
    (HEAD + b"<w:tbl>" * 300 + b"</w:tbl>" * 300 + TAIL, "damaged"),  # nesting deeper than any Word file
])
def test_unsafe_or_malformed_xml_is_refused(xml, reason):
    assert _refusal("odd.docx", _docx(xml)).reason == reason


# --- big documents (issue 16 #2) --------------------------------------------------------------


def test_fifty_thousand_paragraphs_are_all_read():
    data = _docx(HEAD + _paragraphs(range(50_000)) + TAIL)
    doc = load_bytes("many.docx", data)
    lines = doc.text.split("\n\n")
    assert lines[:3] == ["0", "1", "2"] and lines[-1] == "49999" and len(lines) == 50_000
    assert doc.notes == []


def test_reading_stops_at_the_character_cap_and_says_so():
    words = (f"Paragraph {i} tells of lighthouses and the keepers who tended them." for i in range(40_000))
    data = _docx(HEAD + _paragraphs(words) + TAIL)  # about 2.7 M characters
    peak = {}

    def read():
        peak["doc"] = load_bytes("long.docx", data)

    assert _peak_mb(read) < 64
    doc = peak["doc"]
    assert len(doc.text) == MAX_DOC_CHARS and doc.notes == [f"Only the first {MAX_DOC_CHARS:,} characters were kept."]
    assert doc.text.startswith("Paragraph 0 tells")


class _FakeClock:
    """A monotonic clock that moves one second each time it is read, once ``running``."""

    def __init__(self, running: bool = True) -> None:
        self.now, self.running = 0.0, running

    def monotonic(self) -> float:
        self.now += self.running
        return self.now


def test_a_docx_still_parsing_at_the_deadline_keeps_what_was_read_and_says_so(monkeypatch):
    data = _docx(HEAD + _paragraphs(f"Line {i} about tides." for i in range(60_000)) + TAIL)
    clock = _FakeClock(running=False)
    start = docx_reader._Text.start

    def start_and_tick(self, name, attrs):
        clock.running = clock.running or len(self.lines) >= 1000  # time runs out once 1,000 paragraphs are read
        start(self, name, attrs)

    monkeypatch.setattr(documents, "time", clock)
    monkeypatch.setattr(docx_reader._Text, "start", start_and_tick)
    doc = load_bytes("slow.docx", data, seconds=0.5)
    assert doc.notes == ["Reading stopped after 0 s; only the text before that point was kept."]
    assert doc.text.startswith("Line 0 about tides.\n\nLine 1 about") and "Line 999 about" in doc.text
    assert "Line 59999" not in doc.text


def test_a_file_with_no_time_at_all_is_refused_as_too_slow(monkeypatch):
    monkeypatch.setattr(documents, "time", _FakeClock())
    assert _refusal("slow.docx", _docx(HEAD + _paragraphs(["hi"]) + TAIL), seconds=0.5).reason == "too_slow"
    assert _refusal("slow.pdf", text_pdf(["hello"]), seconds=0.5).reason == "too_slow"


def test_a_pdf_at_the_deadline_keeps_its_first_pages_and_says_which_were_skipped(monkeypatch):
    monkeypatch.setattr(documents, "time", _FakeClock())
    doc = load_bytes("slow.pdf", text_pdf([f"Page {i} on herons." for i in range(1, 6)]), seconds=2.5)
    assert "## Page 1" in doc.text and "## Page 3" not in doc.text
    assert doc.notes == ["Reading stopped after 2 s: pages 3 to 5 were skipped."]


# --- structure kept cheaply -------------------------------------------------------------------


def test_headings_come_from_style_names_even_when_style_ids_are_localised():
    parts = _base_parts()
    styles = parts["word/styles.xml"].replace(b'w:styleId="Heading2"', b'w:styleId="berschrift2"')
    body = _paragraphs(["Tides"], "Title") + _paragraphs(["Neap tides"], "berschrift2") + _paragraphs(["Low water."])
    doc = load_bytes("de.docx", _docx(HEAD + body + TAIL, **{"word/styles.xml": styles}))
    assert doc.text == "# Tides\n\n### Neap tides\n\nLow water."


def test_tables_stay_in_document_order_and_text_box_fallbacks_are_not_doubled():
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    box = (f'<w:p><w:r><mc:AlternateContent {mc}><mc:Choice Requires="wps"><w:p><w:r><w:t>In a box</w:t></w:r>'
           '</w:p></mc:Choice><mc:Fallback><w:p><w:r><w:t>In a box</w:t></w:r></w:p></mc:Fallback>'
           '</mc:AlternateContent></w:r></w:p>').encode()
    table = (b"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>region</w:t></w:r></w:p></w:tc>"
             b"<w:tc><w:p><w:r><w:t>north</w:t></w:r></w:p></w:tc></w:tr></w:tbl>")
    body = _paragraphs(["Before."]) + table + box + _paragraphs(["After."])
    doc = load_bytes("mixed.docx", _docx(HEAD + body + TAIL))
    assert doc.text == "Before.\n\nregion | north\n\nIn a box\n\nAfter."


# --- every refusal is clear -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "reason", "phrase"), [
    ("report.docx", text_pdf(["a pdf"]), "wrong_type", "rename it to .pdf"),
    ("report.pdf", _docx(HEAD + _paragraphs(["a word file"]) + TAIL), "wrong_type", "rename it to .docx"),
    ("notes.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "wrong_type", "holds a PDF"),
    ("secret.pdf", text_pdf(["hidden"], password="pw"), "encrypted", "password"),
    ("secret.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "encrypted", "password-protected"),
    ("scan.pdf", text_pdf(["", ""]), "no_text", "OCR"),
    ("empty.md", b"", "empty", "empty"),
    ("big.txt", b"a" * (documents.MAX_UPLOAD_BYTES + 1), "too_big", "the limit is 20 MB"),
    ("page.html", b"<p>hi</p>", "unsupported", "supported"),
])
def test_each_refusal_names_the_file_and_the_reason(name, data, reason, phrase):
    error = _refusal(name, data)
    assert error.reason == reason and phrase in str(error) and name in str(error)
    assert "Traceback" not in str(error) and "Error:" not in str(error)


def test_a_batch_that_runs_out_of_time_reports_the_files_it_did_not_read(monkeypatch):
    monkeypatch.setattr(documents, "MAX_BATCH_SECONDS", -1.0)
    collection, messages = documents.add_uploads({"kept": None}, [("a.txt", b"Alpha."), ("b.txt", b"Beta.")])
    assert set(collection) == {"kept"}
    assert [level for level, _ in messages] == ["error", "error"]
    assert all("was not read" in text and name in text for (_, text), name in zip(messages, "ab", strict=True))


# --- PDF decompression bombs ------------------------------------------------------------------


def test_a_pdf_whose_pages_inflate_past_the_limit_is_refused_as_a_bomb():
    data = flate_bomb_pdf(pages=50)
    assert len(data) < 1_000_000
    error = _refusal("bomb.pdf", data)
    assert error.reason == "pdf_bomb" and "decompression bomb" in str(error)
    assert _peak_mb(lambda: load_bytes("bomb.pdf", data)) < 80  # pypdf's own limit alone allows 75 MB a page


def test_one_bomb_page_is_skipped_with_a_note_and_the_text_pages_are_kept():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(text_pdf(["Cormorants dive for fish."]))))
    writer.append(PdfReader(io.BytesIO(flate_bomb_pdf(pages=1))))
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = load_bytes("mixed.pdf", buffer.getvalue())
    assert "Cormorants dive" in doc.text
    assert doc.notes == [f"Page 2 expands past the {documents.MAX_PDF_STREAM_BYTES // 2**20} MB reading limit "
                         "and was skipped."]


def test_an_unexpected_parser_failure_is_reported_without_raw_exception_text(monkeypatch):
    def broken(name, data, **_):
        raise RuntimeError("internal detail /srv/app/secret.py line 3")

    monkeypatch.setattr(documents, "load_bytes", broken)
    collection, messages = documents.add_uploads({}, [("odd.txt", b"text")])
    assert collection == {} and messages == [
        ("error", "odd.txt could not be read because of an unexpected problem (it was logged).")]


def test_a_zip_listing_thousands_of_parts_is_refused_before_zipfile_reads_its_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", HEAD + _paragraphs(["hi"]) + TAIL)
        for i in range(8_000):
            archive.writestr(f"word/media/{'x' * 40}{i}.bin", b"")
    error = _refusal("crowded.docx", buffer.getvalue())
    assert error.reason == "zip_bomb" and "far more parts" in str(error)
    data = bytearray(_docx(HEAD + _paragraphs(["hi"]) + TAIL))
    struct.pack_into("<I", data, data.rfind(b"PK\x05\x06") + 12, 50_000_000)  # a directory size that lies
    assert _refusal("lying.docx", bytes(data)).reason == "zip_bomb"
