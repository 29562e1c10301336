"""Uploaded documents: bombs, huge DOCX, broken PDFs, and an outcome for every file (issue 16 #1, #2, #6)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from src.rag import documents
from tests.badinput.checks import assert_clear, attempt, page_texts
from tests.badinput.corpus import BOMB_INFLATED_BYTES, document_cases

#: Per file: a hang guard, and a memory ceiling far under the bomb's inflated size.
SECONDS = 10
PEAK_MB = 120


@pytest.mark.parametrize("case", document_cases(), ids=str)
def test_each_file_is_read_or_refused_clearly_within_budget(case):
    doc, error, usage = attempt(lambda: documents.load_bytes(case.name, case.payload), documents.IngestError,
                                memory=True)
    assert usage.within(SECONDS), f"issue 16 #2: {case.name}: {usage}"
    assert usage.peak_mb < PEAK_MB, f"issue 16 #1: {case.name} peaked at {usage.peak_mb:.0f} MB"
    if case.extra.get("ok"):
        assert error is None, f"{case.name} should be readable: {error}"
        assert doc.text.strip() and len(doc.text) <= documents.MAX_DOC_CHARS
    else:
        assert error is not None, f"{case.name} was accepted"
        assert_clear(error, case.expect)


def test_the_bomb_really_inflates_past_the_limit():
    # Guards the corpus itself: the bomb must lie about its size and be far bigger than the limit.
    import io
    import zipfile

    bomb = next(c for c in document_cases() if c.name == "bomb.docx").payload
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml")
    assert info.file_size == 1000 and BOMB_INFLATED_BYTES > 4 * documents.MAX_DOCX_UNZIPPED


def test_ten_files_at_once_each_get_an_outcome():
    files = [(c.name, c.payload) for c in document_cases()]
    collection, messages = documents.add_uploads({}, files)
    assert len(messages) == len(files), "issue 16 #6: every file gets exactly one outcome"
    for (name, _), (_level, text) in zip(files, messages, strict=True):
        assert name in text, f"the outcome does not name its file: {text}"
        assert_clear(text)
    readable = {c.name for c in document_cases() if c.extra.get("ok")}
    assert {s.removeprefix("upload/") for s in collection} == readable


def _uploads_page(files: list[tuple[str, bytes]]) -> None:
    from src.ui import rag_widgets
    from tests.badinput.checks import fake_uploads

    with fake_uploads(files):
        rag_widgets.uploads()


def test_the_documents_chapter_shows_every_outcome():
    files = [(c.name, c.payload) for c in document_cases()]
    at = AppTest.from_function(_uploads_page, args=(files,), default_timeout=120).run()
    assert not at.exception, at.exception
    shown = page_texts(at)
    missing = [name for name, _ in files if name not in shown]
    assert not missing, f"issue 16 #6: no visible outcome for {missing}"
