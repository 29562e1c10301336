"""Turn files into plain-text documents: the default corpus and user uploads (PDF, TXT, MD, DOCX, SRT, VTT).

Every way a file can be bad ends in :class:`IngestError` with a sentence a visitor can read, and
a short ``reason`` code (see :data:`REASONS`): encrypted or image-only PDFs, zip bombs posing as
DOCX, empty, binary or misnamed files. Nothing here raises anything else for bad bytes, so a
failed upload never takes the session's other documents with it. Every read runs against a
deadline (:data:`MAX_INGEST_SECONDS`); text cut short by a cap or the deadline is kept with a note
that says so, never silently.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: Largest upload we read at all.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Pages read from one PDF; the rest are skipped, and the document says so.
MAX_PDF_PAGES = 200
#: The parts of a DOCX that are read may inflate to this many bytes in total, and to at most
#: ``MAX_ZIP_RATIO`` times the file's size (counted while inflating: the zip's own sizes may lie).
MAX_DOCX_UNZIPPED = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
#: Characters kept from one document (about 100 pages of prose).
MAX_DOC_CHARS = 400_000
#: Wall-clock budget of reading one file; what was read by then is kept, with a note.
MAX_INGEST_SECONDS = 10.0
#: Wall-clock budget of one batch of uploads; files left when it runs out are reported, not read.
MAX_BATCH_SECONDS = 30.0
#: Characters one session may index in all (2.5 documents at the cap): every uploaded chunk is embedded on the
#: server's shared CPU, so one visitor's pile of uploads must not slow the chat for everyone else.
MAX_SESSION_CHARS = 1_000_000
SUPPORTED = (".pdf", ".txt", ".md", ".markdown", ".docx", ".srt", ".vtt")
#: The ``reason`` codes an :class:`IngestError` carries, for a page that groups refusals.
REASONS = ("unsupported", "empty", "too_big", "binary", "wrong_type", "encrypted", "no_text", "not_pdf",
           "not_docx", "damaged", "zip_bomb", "pdf_bomb", "unsafe_xml", "too_slow", "unreadable")


class IngestError(ValueError):
    """A file we could not read, with the reason in plain words (``str(exc)``) and as a code (``exc.reason``)."""

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason

    @classmethod
    def caused_by(cls, exc: BaseException, message: str, reason: str) -> IngestError:
        """The error a visitor sees for a parser's ``exc``, whose raw text goes to the log instead."""
        log.info("%s [%s]: %r", message, reason, exc)
        return cls(message, reason)


class Deadline:
    """A wall-clock budget started at creation; readers check it between pages or chunks."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self._end

    def too_slow(self, name: str) -> IngestError:
        """The refusal of a file that used up the budget before any of its text was read."""
        return IngestError(f"{name} took more than {self.seconds:.0f} s to read and was not added.", reason="too_slow")


@dataclass
class Document:
    """One source's text, ready for chunking."""

    source: str  # a stable name: a repo-relative path, or the uploaded file name
    title: str
    text: str
    kind: str = "md"  # md | txt | pdf | docx | transcript | profile | card
    #: What the visitor should know about the ingest (pages capped, text truncated...).
    notes: list[str] = field(default_factory=list)
    #: Transcripts only: (character offset in ``text``, "hh:mm:ss") where each caption line starts.
    timeline: list[tuple[int, str]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """Hash of the text, which keys the on-disk index cache."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# --- text-like files -------------------------------------------------------------------------


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control characters, in the first 8 KB: not text whatever the extension says."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return control > 0.05 * max(len(head), 1)


def _decode_text(data: bytes, name: str) -> str:
    if _looks_binary(data):
        raise IngestError(f"{name} looks like a binary file, not text, so it was not added.", reason="binary")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails; cp1252 covers almost every real case first


#: File signatures that tell a misnamed file (a PDF called .docx, a Word file called .pdf).
_MAGIC = ((b"%PDF-", ".pdf", "a PDF"), (b"PK\x03\x04", ".docx", "a zip archive (a Word file?)"))


def _check_type(name: str, suffix: str, data: bytes) -> None:
    """Refuse a file whose bytes are plainly another supported type than its extension says."""
    for magic, real, what in _MAGIC:
        if data.startswith(magic) and suffix != real:
            raise IngestError(f"{name} is named {suffix} but holds {what}; rename it to {real} and upload it again.",
                              reason="wrong_type")


# --- PDF -------------------------------------------------------------------------------------


def _open_pdf(data: bytes, name: str):  # -> pypdf.PdfReader (imported lazily: pypdf is slow to import)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Some PDFs are "encrypted" with an empty password only to set permissions.
            try:
                unlocked = reader.decrypt("")
            except Exception:  # pypdf raises several types here (missing crypto backend, bad key)
                unlocked = 0
            if not unlocked:
                raise IngestError(f"{name} is password-protected. Remove the password and upload it again.",
                                  reason="encrypted")
        len(reader.pages)  # reading the page tree is where many broken files fail
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError) as exc:
        raise IngestError.caused_by(exc, f"{name} is not a readable PDF (it is damaged, or not a PDF at all).",
                                    "not_pdf") from exc
    return reader


#: What one PDF stream may inflate to. A text page's content stream is tens of KB; pypdf's own default
#: (75 MB per stream) would let each page of a bomb cost 75 MB, 200 pages in a row.
MAX_PDF_STREAM_BYTES = 16 * 1024 * 1024


def _page_text(page, name: str, number: int) -> str | None:
    """The page's text ("" for a page without any), or None when its content passes the inflate limit.

    pypdf's ``extract_text`` returns "" for a stream that hits the limit, the same as for a scan, so an
    empty page is asked again for its raw content to tell the two apart.
    """
    from pypdf.errors import LimitReachedError

    text = page.extract_text() or ""
    if text.strip():
        return text
    try:
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
    except LimitReachedError:
        log.info("page %d of %s passes the PDF inflate limit", number, name)
        return None
    except Exception:  # any other trouble with an empty page changes nothing: it had no text
        log.debug("content of empty page %d of %s unreadable", number, name, exc_info=True)
    return ""


def _read_pdf(data: bytes, name: str, deadline: Deadline) -> tuple[str, list[str]]:
    from pypdf import apply_configuration

    limits = {key: MAX_PDF_STREAM_BYTES for key in (
        "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
        "array_based_stream_maximum_output_length", "brotli_maximum_output_length")}
    with apply_configuration(**limits, stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES):
        return _read_pdf_pages(data, name, deadline)


def _read_pdf_pages(data: bytes, name: str, deadline: Deadline) -> tuple[str, list[str]]:
    reader = _open_pdf(data, name)
    total = len(reader.pages)
    notes = []
    if total > MAX_PDF_PAGES:
        notes.append(f"Only the first {MAX_PDF_PAGES} of {total} pages were read.")
    pages, chars, bombs = [], 0, 0
    for number in range(min(total, MAX_PDF_PAGES)):
        if deadline.expired():
            if not pages:
                raise deadline.too_slow(name)
            notes.append(f"Reading stopped after {deadline.seconds:.0f} s: pages {number + 1} to "
                         f"{min(total, MAX_PDF_PAGES)} were skipped.")
            break
        if chars > MAX_DOC_CHARS:
            break  # _finish cuts at the cap and says so; later pages would be cut anyway
        if bombs >= 3 and not pages:
            break  # three bomb pages and no text: refuse now rather than inflate 200 of them
        try:
            text = _page_text(reader.pages[number], name, number + 1)
        except Exception:  # one broken page must not lose the others
            log.info("page %d of %s failed", number + 1, name, exc_info=True)
            notes.append(f"Page {number + 1} could not be read and was skipped.")
            continue
        if text is None:
            bombs += 1
            notes.append(f"Page {number + 1} expands past the {MAX_PDF_STREAM_BYTES // 2**20} MB reading limit "
                         "and was skipped.")
        elif text.strip():
            pages.append(f"## Page {number + 1}\n\n{text.strip()}")
            chars += len(pages[-1])
    if not pages and bombs:
        raise IngestError(f"{name} has pages that expand past the {MAX_PDF_STREAM_BYTES // 2**20} MB reading limit; "
                          "it looks like a decompression bomb and was refused.", reason="pdf_bomb")
    if not pages:
        raise IngestError(
            f"{name} has no text layer (it is probably a scan). This demo does not run OCR, "
            "so there is nothing to search in it.", reason="no_text")
    return "\n\n".join(pages), notes


# --- entry points ----------------------------------------------------------------------------


def _finish(source: str, title: str, text: str, kind: str, notes: list[str]) -> Document:
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if not text.strip():
        raise IngestError(f"{source} contains no text.", reason="empty")
    if len(text) > MAX_DOC_CHARS:
        notes.append(f"Only the first {MAX_DOC_CHARS:,} characters were kept.")
        text = text[:MAX_DOC_CHARS]
    return Document(source=source, title=title, text=text, kind=kind, notes=notes)


def _read_text(name: str, data: bytes, suffix: str) -> Document:
    """TXT, MD, SRT, VTT: decoded, and folded when it is a timestamped transcript."""
    from src.rag.transcripts import fold_transcript

    text = _decode_text(data, name).replace("\r\n", "\n")
    # Timestamps can be half of a transcript, so twice the cap is read before folding; _finish cuts the rest.
    cut = len(text) > 2 * MAX_DOC_CHARS
    text = text[:2 * MAX_DOC_CHARS]
    folded = fold_transcript(text, force=suffix in (".srt", ".vtt"))
    kind = "transcript" if folded else "md" if suffix in (".md", ".markdown") else "txt"
    notes = [folded.note] if folded else []
    if folded:
        text = folded.text
    if cut and len(text) <= MAX_DOC_CHARS:  # otherwise _finish cuts it again and says so
        notes.append(f"Only the first {2 * MAX_DOC_CHARS:,} characters of the file were read.")
    doc = _finish(name, Path(name).stem, text, kind, notes)
    doc.timeline = [(at, stamp) for at, stamp in folded.timeline if at < len(doc.text)] if folded else []
    return doc


def load_bytes(name: str, data: bytes, *, seconds: float | None = None) -> Document:
    """A document from an uploaded file's name and bytes; raises :class:`IngestError` when unusable.

    ``seconds`` is the reading budget (default :data:`MAX_INGEST_SECONDS`).
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"{name}: only {', '.join(SUPPORTED)} files are supported.", reason="unsupported")
    if not data:
        raise IngestError(f"{name} is empty.", reason="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise IngestError(f"{name} is {len(data) / 1e6:,.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.",
                          reason="too_big")
    _check_type(name, suffix, data)
    deadline = Deadline(MAX_INGEST_SECONDS if seconds is None else seconds)
    title = Path(name).stem
    if suffix == ".pdf":
        text, notes = _read_pdf(data, name, deadline)
        return _finish(name, title, text, "pdf", notes)
    if suffix == ".docx":
        from src.rag.docx_reader import read_docx

        text, notes = read_docx(data, name, deadline, MAX_DOC_CHARS)
        return _finish(name, title, text, "docx", notes)
    return _read_text(name, data, suffix)


def load_path(path: Path, source: str | None = None) -> Document:
    """A document from a file on disk, named ``source`` (default: the file name)."""
    doc = load_bytes(path.name, path.read_bytes())
    doc.source = source or path.name
    return doc


def add_uploads(collection: dict[str, Document], files: list[tuple[str, bytes]],
                ) -> tuple[dict[str, Document], list[tuple[str, str]]]:
    """A new collection with every readable file added as ``upload/<name>``, plus one (level, message) per file.

    Exactly one message per file, in order: level ``"ok"`` (with any notes on what was cut) or ``"error"``.
    The documents already in ``collection`` are always kept: a bad file only adds an error message.
    The batch as a whole has :data:`MAX_BATCH_SECONDS`; files left when it runs out are reported unread.
    """
    updated = dict(collection)
    messages: list[tuple[str, str]] = []
    batch = Deadline(MAX_BATCH_SECONDS)
    for name, data in files:
        if batch.expired():
            messages.append(("error", f"{name} was not read: this batch of uploads already took "
                                      f"{MAX_BATCH_SECONDS:.0f} s. Upload it again on its own."))
            continue
        try:
            doc = load_bytes(name, data)
        except IngestError as exc:
            messages.append(("error", str(exc)))
            continue
        except Exception:  # a parser bug on one file must not cost the others
            log.warning("upload %s failed", name, exc_info=True)
            messages.append(("error", f"{name} could not be read because of an unexpected problem (it was logged)."))
            continue
        doc.source = f"upload/{name}"
        held = sum(len(getattr(d, "text", "")) for source, d in updated.items() if source != doc.source)
        if held + len(doc.text) > MAX_SESSION_CHARS:
            messages.append(("error", f"{name} was not added: with it your documents would hold "
                                      f"{held + len(doc.text):,} characters, and one session may index "
                                      f"{MAX_SESSION_CHARS:,}. Remove a document first."))
            continue
        updated[doc.source] = doc
        messages.append(("ok", " ".join([f"Added {name}.", *doc.notes])))
    return updated, messages
