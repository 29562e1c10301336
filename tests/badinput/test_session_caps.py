"""Caps that keep one visitor from slowing the others (issue 16, "many visitors at once")."""

from __future__ import annotations

from src.rag import documents


def big_text(words: int) -> bytes:
    return (" ".join(f"word{i % 997}" for i in range(words)) + "\n").encode()


def test_a_session_cannot_index_more_than_its_character_cap():
    """Every upload is embedded on the shared CPU: past the session cap a file is refused, the others kept."""
    near_cap = big_text(documents.MAX_DOC_CHARS // 8)  # each file is cut at MAX_DOC_CHARS
    files = [(f"part{i}.txt", near_cap) for i in range(4)]
    collection, messages = documents.add_uploads({}, files)
    held = sum(len(d.text) for d in collection.values())
    assert held <= documents.MAX_SESSION_CHARS
    assert len(messages) == len(files)  # one outcome per file, nothing silent
    refused = [text for level, text in messages if level == "error"]
    assert refused and all("one session may index" in text for text in refused)
    assert len(collection) + len(refused) == len(files)
    # replacing a document by one of the same name does not count it twice
    again, messages = documents.add_uploads(collection, [("part0.txt", b"short replacement text\n")])
    assert messages[0][0] == "ok" and len(again["upload/part0.txt"].text) < 100
