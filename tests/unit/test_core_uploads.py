"""One decoder for uploaded text files: the BOM goes, undecodable bytes become the reader's own error."""

from __future__ import annotations

import pytest

from src.core.uploads import decode_text


class ReaderError(ValueError):
    pass


def test_utf8_with_or_without_a_bom_decodes_to_the_same_text():
    assert decode_text("naïve,1\n".encode(), ReaderError) == "naïve,1\n"
    assert decode_text("\ufeffnaïve,1\n".encode(), ReaderError) == "naïve,1\n"


def test_undecodable_bytes_raise_the_readers_error_with_the_byte_position():
    with pytest.raises(ReaderError, match=r"not UTF-8 text \(byte 8 cannot be decoded"):
        decode_text("text\nCafé".encode("latin-1"), ReaderError)
