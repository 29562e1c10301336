"""What every reader of an uploaded text file shares: decoding it, with one message when that fails."""

from __future__ import annotations


def decode_text(data: bytes, error: type[Exception]) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped), or ``error`` with a message a visitor can act on.

    ``error`` is the reader's own exception type (a churn ``SchemaError``, a sentiment ``InputError``),
    so each page keeps catching what it already catches.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"The file is not UTF-8 text (byte {exc.start} cannot be decoded; is it a spreadsheet or a "
                    "binary file?). Save it as CSV (UTF-8) and try again.") from exc
