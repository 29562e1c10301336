"""Turn files into plain-text documents: the default corpus and user uploads (PDF, TXT, MD, DOCX).

Every way a file can be bad ends in :class:`IngestError` with a sentence a visitor can read:
encrypted or image-only PDFs, zip bombs posing as DOCX, empty or binary files. Nothing here
raises anything else for bad bytes, so a failed upload never takes the session's other documents
with it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: Largest upload we read at all.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Pages read from one PDF; the rest are skipped, and the document says so.
MAX_PDF_PAGES = 200
#: A DOCX (a zip) may not expand beyond this, nor by more than ``MAX_ZIP_RATIO`` times its size.
MAX_DOCX_UNZIPPED = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
#: Characters kept from one document (about 100 pages of prose).
MAX_DOC_CHARS = 400_000
SUPPORTED = (".pdf", ".txt", ".md", ".markdown", ".docx")


class IngestError(ValueError):
    """A file we could not read, with the reason in plain words."""


@dataclass
class Document:
    """One source's text, ready for chunking."""

    source: str  # a stable name: a repo-relative path, or the uploaded file name
    title: str
    text: str
    kind: str = "md"  # md | txt | pdf | docx | profile
    #: What the visitor should know about the ingest (pages capped, text truncated...).
    notes: list[str] = field(default_factory=list)

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
        raise IngestError(f"{name} looks like a binary file, not text, so it was not added.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails; cp1252 covers almost every real case first


# --- PDF -------------------------------------------------------------------------------------


def _read_pdf(data: bytes, name: str) -> tuple[str, list[str]]:
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
                raise IngestError(f"{name} is password-protected. Remove the password and upload it again.")
        total = len(reader.pages)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(f"{name} is not a readable PDF ({type(exc).__name__}).") from exc
    notes = []
    if total > MAX_PDF_PAGES:
        notes.append(f"Only the first {MAX_PDF_PAGES} of {total} pages were read.")
    pages = []
    for number in range(min(total, MAX_PDF_PAGES)):
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception:  # one broken page must not lose the others
            notes.append(f"Page {number + 1} could not be read and was skipped.")
            continue
        if text.strip():
            pages.append(f"## Page {number + 1}\n\n{text.strip()}")
    if not pages:
        raise IngestError(
            f"{name} has no text layer (it is probably a scan). This demo does not run OCR, "
            "so there is nothing to search in it."
        )
    return "\n\n".join(pages), notes


# --- DOCX ------------------------------------------------------------------------------------


def _check_zip(data: bytes, name: str) -> None:
    """Refuse garbage and zip bombs by reading the zip directory only, before anything inflates."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise IngestError(f"{name} is not a valid DOCX file (it is not a zip archive).") from exc
    with archive:
        infos = archive.infolist()
        unzipped = sum(info.file_size for info in infos)
        if unzipped > MAX_DOCX_UNZIPPED or unzipped > MAX_ZIP_RATIO * max(len(data), 1):
            raise IngestError(
                f"{name} would expand to {unzipped / 1e6:,.0f} MB; it looks like a zip bomb and was refused."
            )
        if "word/document.xml" not in {info.filename for info in infos}:
            raise IngestError(f"{name} is a zip archive but not a Word document.")


def _read_docx(data: bytes, name: str) -> str:
    _check_zip(data, name)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx surfaces lxml, KeyError and zip errors for broken parts
        raise IngestError(f"{name} is not a readable Word document ({type(exc).__name__}).") from exc
    lines = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        if style.startswith("heading"):
            level = "".join(ch for ch in style if ch.isdigit()) or "1"
            text = "#" * min(int(level) + 1, 6) + " " + text
        lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n\n".join(lines)


# --- entry points ----------------------------------------------------------------------------


def _finish(source: str, title: str, text: str, kind: str, notes: list[str]) -> Document:
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if not text.strip():
        raise IngestError(f"{source} contains no text.")
    if len(text) > MAX_DOC_CHARS:
        notes.append(f"Only the first {MAX_DOC_CHARS:,} characters were kept.")
        text = text[:MAX_DOC_CHARS]
    return Document(source=source, title=title, text=text, kind=kind, notes=notes)


def load_bytes(name: str, data: bytes) -> Document:
    """A document from an uploaded file's name and bytes; raises :class:`IngestError` when unusable."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"{name}: only {', '.join(SUPPORTED)} files are supported.")
    if not data:
        raise IngestError(f"{name} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise IngestError(f"{name} is {len(data) / 1e6:,.0f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    title = Path(name).stem
    if suffix == ".pdf":
        text, notes = _read_pdf(data, name)
        return _finish(name, title, text, "pdf", notes)
    if suffix == ".docx":
        return _finish(name, title, _read_docx(data, name), "docx", [])
    kind = "txt" if suffix == ".txt" else "md"
    return _finish(name, title, _decode_text(data, name), kind, [])


def load_path(path: Path, source: str | None = None) -> Document:
    """A document from a file on disk, named ``source`` (default: the file name)."""
    doc = load_bytes(path.name, path.read_bytes())
    doc.source = source or path.name
    return doc


def add_uploads(collection: dict[str, Document], files: list[tuple[str, bytes]],
                ) -> tuple[dict[str, Document], list[tuple[str, str]]]:
    """A new collection with every readable file added as ``upload/<name>``, plus one (level, message) per file.

    The documents already in ``collection`` are always kept: a bad file only adds an error message.
    """
    updated = dict(collection)
    messages: list[tuple[str, str]] = []
    for name, data in files:
        try:
            doc = load_bytes(name, data)
        except IngestError as exc:
            messages.append(("error", str(exc)))
            continue
        except Exception as exc:  # a parser bug on one file must not cost the others
            messages.append(("error", f"{name} could not be read ({type(exc).__name__})."))
            continue
        doc.source = f"upload/{name}"
        updated[doc.source] = doc
        messages.append(("ok", " ".join([f"Added {name}.", *doc.notes])))
    return updated, messages
