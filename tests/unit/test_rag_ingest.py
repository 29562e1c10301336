"""Ingestion of every file type from files made here, and every bad file the issue lists."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from src.rag.documents import MAX_PDF_PAGES, Deadline, IngestError, add_uploads, load_bytes
from src.rag.pdfgen import text_pdf


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("Quarterly notes", level=1)
    document.add_paragraph("The pelican budget grew in spring.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "region", "north"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_txt_and_md_with_their_encodings():
    assert load_bytes("a.txt", "Café prices rose.".encode("cp1252")).text == "Café prices rose."
    doc = load_bytes("b.md", "\ufeff# Title\n\nBody text.".encode())
    assert doc.text.startswith("# Title") and doc.kind == "md"


def test_pdf_text_layer_is_read_page_by_page():
    doc = load_bytes("r.pdf", text_pdf(["Alpha page about otters.", "", "Gamma page about (parentheses)."]))
    assert "otters" in doc.text and "(parentheses)" in doc.text
    assert "## Page 1" in doc.text and "## Page 3" in doc.text and "## Page 2" not in doc.text


def test_docx_headings_paragraphs_and_tables():
    doc = load_bytes("notes.docx", _docx_bytes())
    assert "## Quarterly notes" in doc.text
    assert "pelican budget" in doc.text and "region | north" in doc.text


def test_encrypted_pdf_is_refused_with_a_reason():
    with pytest.raises(IngestError, match="password"):
        load_bytes("secret.pdf", text_pdf(["hidden"], password="hunter2"))


def test_scanned_pdf_without_text_says_no_ocr():
    with pytest.raises(IngestError, match="OCR"):
        load_bytes("scan.pdf", text_pdf(["", "", ""]))


def test_a_thousand_page_pdf_is_capped_and_says_so():
    doc = load_bytes("huge.pdf", text_pdf([f"Page {i} talks about lighthouses." for i in range(1000)]))
    assert f"first {MAX_PDF_PAGES} of 1000 pages" in doc.notes[0]
    assert f"## Page {MAX_PDF_PAGES}\n" in doc.text and f"## Page {MAX_PDF_PAGES + 1}\n" not in doc.text


def test_docx_zip_bomb_is_refused_before_inflating():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"0" * 20_000_000)  # deflates about 1000x
    with pytest.raises(IngestError, match="zip bomb"):
        load_bytes("bomb.docx", buffer.getvalue())


@pytest.mark.parametrize("data", [b"\x00\x01garbage" * 100, b"PK\x03\x04 not really a zip"])
def test_garbage_docx_is_refused(data):
    with pytest.raises(IngestError, match="not a valid DOCX"):
        load_bytes("junk.docx", data)


def test_zip_that_is_not_a_word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(IngestError, match="not a Word document"):
        load_bytes("other.docx", buffer.getvalue())


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"   \n\n  ", "no text"),
    ("image.txt", bytes(range(256)) * 40, "binary"),
    ("fake.pdf", b"%PDF-1.4 this is not a pdf", "not a readable PDF"),
    ("tool.exe", b"MZ", "only"),
])
def test_bad_files_get_a_clear_reason(name, data, reason):
    with pytest.raises(IngestError, match=reason):
        load_bytes(name, data)


def test_a_failed_upload_keeps_the_other_documents():
    collection, _ = add_uploads({}, [("good.txt", b"Ferrets like tunnels.")])
    collection, messages = add_uploads(collection, [("bad.pdf", b"%PDF garbage"), ("also.md", b"# More\n\nText.")])
    assert set(collection) == {"upload/good.txt", "upload/also.md"}
    assert [level for level, _ in messages] == ["error", "ok"]


def test_a_parser_error_reaches_the_log_not_the_visitor(caplog):
    raw = ValueError("Stream has ended unexpectedly at /Root 0x7f3a")
    with caplog.at_level("INFO", logger="src.rag.documents"):
        err = IngestError.caused_by(raw, "x.pdf is not a readable PDF.", "not_pdf")
    assert str(err) == "x.pdf is not a readable PDF." and err.reason == "not_pdf"
    assert "0x7f3a" in caplog.text and "0x7f3a" not in str(err)


def test_an_expired_deadline_names_the_file_and_its_budget():
    err = Deadline(3).too_slow("big.docx")
    assert err.reason == "too_slow" and str(err) == "big.docx took more than 3 s to read and was not added."
