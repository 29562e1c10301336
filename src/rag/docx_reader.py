"""Text of a DOCX read in a streaming way, within a byte budget and a time budget.

A DOCX is a zip, and a zip's directory can lie: a 1.5 MB file can declare 1,000 bytes for a part
that inflates to 1 GB. :mod:`zipfile` cannot be used to find out: ``ZipFile.read`` inflates the
whole member before cutting it to the declared size (about 2 GB of memory for that file), and
``ZipFile.open`` stops at the declared size and reports a checksum error. So the parts we read
are inflated here with :mod:`zlib` from the raw bytes, a bounded slice at a time, counting what
comes out and refusing the file as soon as it passes the budget or exceeds its declared size.

The XML is then parsed as it inflates by :mod:`pyexpat` with callbacks (no tree is built, so
memory stays flat whatever the paragraph count). A DTD or an entity declaration is refused, as
defusedxml does (Word never writes either); defusedxml's own SAX driver was tried and dropped
because its Python layers tripled the parse time of a 50,000-paragraph file. Parsing stops at the
character cap and at the deadline.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from src.rag.documents import MAX_DOCX_UNZIPPED, MAX_ZIP_RATIO, Deadline, IngestError

#: Small files get this much room whatever the ratio (a 20 KB DOCX legitimately holds 300 KB of XML).
MIN_BUDGET = 2 * 1024 * 1024
#: Bytes of zip directory we let :mod:`zipfile` parse: a Word file's is a few KB; a 20 MB upload
#: listing 200,000 empty parts took zipfile a minute and 110 MB to open.
MAX_DIRECTORY_BYTES = 512 * 1024
#: Element nesting deeper than this is not a Word document (Word nests a few dozen levels at most).
MAX_DEPTH = 256

_DOCUMENT, _STYLES = "word/document.xml", "word/styles.xml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "  # expat joins namespace and name with " "
_FALLBACK = "http://schemas.openxmlformats.org/markup-compatibility/2006 Fallback"
_P, _R, _T, _TR, _TC, _STYLE, _VAL = (_W + local for local in ("p", "r", "t", "tr", "tc", "pStyle", "val"))
_BREAKS = {_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n"}
#: Word saves a password-protected DOCX (and a .doc) as an OLE compound file, not a zip.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # signature ... name length, extra length (30 bytes)
_IN_STEP, _OUT_STEP = 64 * 1024, 256 * 1024
_HEADING_NAME = re.compile(r"^heading\s*(\d)$")


class _Stop(Exception):
    """Raised from the parser callbacks once the character cap is reached."""


class _Unsafe(Exception):
    """Raised from the parser callbacks on a DTD or an entity declaration."""


class _TooDeep(Exception):
    """Raised from the parser callbacks when elements nest deeper than :data:`MAX_DEPTH`."""


class Budget:
    """Inflated bytes left for this file, shared by every part read from it."""

    def __init__(self, name: str, archive_bytes: int) -> None:
        self.name = name
        self.total = min(MAX_DOCX_UNZIPPED, max(MAX_ZIP_RATIO * archive_bytes, MIN_BUDGET))
        self.left = self.total

    def refuse(self, why: str) -> IngestError:
        return IngestError(f"{self.name} {why}; it looks like a zip bomb and was refused.", reason="zip_bomb")


def _directory_bytes(data: bytes) -> int:
    """Size of the zip's central directory, from its end record (-1 for ZIP64; 0 when there is no end record)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))  # the record, then a comment of up to 64 KB
    if end < 0 or end + 22 > len(data):
        return 0
    if end >= 20 and data[end - 20:end - 16] == b"PK\x06\x07":  # a ZIP64 locator: Word never needs one
        return -1
    return struct.unpack_from("<I", data, end + 12)[0]


def _open(data: bytes, name: str) -> zipfile.ZipFile:
    if data.startswith(_OLE):
        raise IngestError(f"{name} is password-protected, or is an old Word 97-2003 file renamed. Remove the "
                          "password, or save it as .docx, and upload it again.", reason="encrypted")
    directory = _directory_bytes(data)
    if directory < 0 or directory > MAX_DIRECTORY_BYTES:
        raise IngestError(f"{name} lists far more parts than a Word document has; it looks like a zip bomb and "
                          "was refused.", reason="zip_bomb")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError.caused_by(exc, f"{name} is not a valid DOCX file (it is not a zip archive).",
                                    "not_docx") from exc
    if _DOCUMENT not in names:
        raise IngestError(f"{name} is a zip archive but not a Word document.", reason="not_docx")
    return archive


def _raw(data: bytes, info: zipfile.ZipInfo, name: str) -> memoryview:
    """The member's compressed bytes, found through its local header (bounded by the file itself)."""
    start = info.header_offset
    try:
        signature, *_, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, start)
    except struct.error:
        signature = b""
    if signature != b"PK\x03\x04":
        raise IngestError(f"{name} is a damaged DOCX file (a part is missing).", reason="damaged")
    body = start + _LOCAL_HEADER.size + name_len + extra_len
    return memoryview(data)[body:body + info.compress_size]


def inflate(data: bytes, info: zipfile.ZipInfo, budget: Budget, deadline: Deadline,
            *, spend: bool = True) -> Iterator[bytes]:
    """The member's bytes, at most ``_OUT_STEP`` at a time, never more than the budget or the declared size.

    ``spend`` is False for a second pass over a member already measured (its bytes were counted once).
    The checksum is verified at the end, so a member that inflates but was tampered with is refused too.
    """
    name = budget.name
    if info.flag_bits & 0x1:
        raise IngestError(f"{name} is password-protected. Remove the password and upload it again.",
                          reason="encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise IngestError(f"{name} uses a compression method Word does not use, so it was not read.",
                          reason="damaged")
    if spend and info.file_size > budget.left:
        raise budget.refuse(f"would expand to {info.file_size / 1e6:,.0f} MB")
    raw = _raw(data, info, name)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, crc, pos, pending = 0, 0, 0, b""
    while True:
        if not pending and (pos >= len(raw) or (inflater is not None and inflater.eof)):
            break
        if inflater is None:
            out, pos = bytes(raw[pos:pos + _OUT_STEP]), pos + _OUT_STEP
        else:
            if not pending:
                pending, pos = raw[pos:pos + _IN_STEP], pos + _IN_STEP
            try:
                out = inflater.decompress(pending, _OUT_STEP)  # max_length: never a big burst in memory
            except zlib.error as exc:
                raise IngestError.caused_by(exc, f"{name} is a damaged DOCX file (a part does not unzip).",
                                            "damaged") from exc
            pending = inflater.unconsumed_tail
        if not out:
            continue
        produced += len(out)
        # the declared size was checked against the budget above, so this check is the byte budget
        if produced > info.file_size:
            raise budget.refuse(f"holds more data than it declares ({info.file_size:,} bytes for {info.filename})")
        if deadline.expired():
            raise deadline.too_slow(name)
        crc = zlib.crc32(out, crc)
        yield out
    if produced != info.file_size or crc != info.CRC:
        raise IngestError(f"{name} is a damaged DOCX file (a checksum does not match).", reason="damaged")
    if spend:
        budget.left -= produced


# --- XML -------------------------------------------------------------------------------------


def _level_of(style: str) -> int:
    """Markdown heading level of a style name or id: Title -> 1, Heading N -> N + 1 (capped at 6), else 0."""
    style = style.strip().lower()
    if style == "title":
        return 1
    match = _HEADING_NAME.match(style)
    return min(int(match.group(1)) + 1, 6) if match else 0


class _Styles:
    """styleId -> heading level, from the style names in styles.xml (names are stable; ids are localised)."""

    def __init__(self) -> None:
        self.levels: dict[str, int] = {}
        self._id = ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _W + "style":
            self._id = attrs.get(_W + "styleId", "")
        elif name == _W + "name" and self._id:
            level = _level_of(attrs.get(_VAL, ""))
            if level:
                self.levels[self._id] = level

    def end(self, name: str) -> None:
        """Nothing to do at the end of an element."""

    def text(self, content: str) -> None:
        """Styles hold no text we need."""


class _Text:
    """Paragraphs (headings as markdown) and table rows (``a | b``) in document order, up to ``max_chars``.

    Only the open path is held: paragraph text is appended piece by piece and every finished
    element is forgotten, so a million empty paragraphs cost time (bounded by the deadline),
    not memory.
    """

    def __init__(self, levels: dict[str, int], max_chars: int) -> None:
        self.lines: list[str] = []
        self.chars = 0
        self._levels, self._max = levels, max_chars
        self._paragraphs: list[list[str]] = []  # text pieces of each open paragraph (text boxes nest)
        self._style: list[int] = []  # heading level of each open paragraph
        self._cells: list[list[str]] = []
        self._rows: list[list[str]] = []
        self._depth = self._skip = self._text = self._runs = 0

    def open_text(self) -> list[str]:
        """The text of the paragraph still open when parsing stopped ("" when none was)."""
        return self._paragraphs[0] if self._paragraphs else []

    def _add(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self._max:
            raise _Stop

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        self._add("\n\n")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooDeep
        if self._skip or name == _FALLBACK:  # the fallback repeats the text of its mc:Choice
            self._skip += 1
        elif name == _T:
            self._text += 1
        elif name == _R:
            self._runs += 1
        elif name == _P:
            self._paragraphs.append([])
            self._style.append(0)
        elif name == _STYLE and self._style:
            style = attrs.get(_VAL, "")
            self._style[-1] = self._levels.get(style) or _level_of(style)
        elif name in _BREAKS and self._runs and self._paragraphs:
            self._paragraphs[-1].append(_BREAKS[name])
        elif name == _TR:
            self._rows.append([])
        elif name == _TC:
            self._cells.append([])

    def text(self, content: str) -> None:
        if self._text and not self._skip and self._paragraphs:
            self._paragraphs[-1].append(content)
            self._add(content)

    def end(self, name: str) -> None:
        self._depth -= 1
        if self._skip:
            self._skip -= 1
        elif name == _T:
            self._text -= 1
        elif name == _R:
            self._runs -= 1
        elif name == _P and self._paragraphs:
            text, level = "".join(self._paragraphs.pop()).strip(), self._style.pop()
            if text and self._cells:
                self._cells[-1].append(text)
            elif text:
                self._emit(f"{'#' * level} {text}" if level else text)
        elif name == _TC and self._cells:
            cell = " ".join(self._cells.pop())
            if self._rows:
                self._rows[-1].append(cell)
                self._add(" | ")
        elif name == _TR and self._rows:
            row = self._rows.pop()
            if any(row):
                self._emit(" | ".join(row))


def _refuse(*_args: object) -> None:
    raise _Unsafe


def _parse(chunks: Iterator[bytes], handler: _Styles | _Text, name: str) -> bool:
    """Feed the chunks to expat; True when the handler stopped it at the character cap."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True  # one text callback per run of characters, not one per buffer boundary
    parser.StartElementHandler, parser.EndElementHandler = handler.start, handler.end
    parser.CharacterDataHandler = handler.text
    # what defusedxml's forbid_dtd/forbid_entities do: no DTD, so no entity can be declared or expanded
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = parser.UnparsedEntityDeclHandler = _refuse
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop:
        return True
    except _Unsafe as exc:
        raise IngestError(f"{name} contains XML declarations that Word never writes (a DTD or entities); "
                          "it was refused as unsafe.", reason="unsafe_xml") from exc
    except (_TooDeep, expat.ExpatError) as exc:
        raise IngestError.caused_by(exc, f"{name} is not a readable Word document (its text part is malformed).",
                                    "damaged") from exc
    return False


def read_docx(data: bytes, name: str, deadline: Deadline, max_chars: int) -> tuple[str, list[str]]:
    """The document's text with headings as markdown, and notes on anything cut short.

    Every part is first inflated without being kept, to measure it against the budget: a bomb is
    refused in a fraction of a second instead of being parsed for minutes. Legitimate parts are
    small, so inflating them twice costs milliseconds.
    """
    budget = Budget(name, len(data))
    with _open(data, name) as archive:
        parts = [archive.getinfo(part) for part in (_STYLES, _DOCUMENT) if part in archive.namelist()]
        for info in parts:
            for _ in inflate(data, info, budget, deadline):
                pass
        styles = _Styles()
        if parts[0].filename == _STYLES:
            _parse(inflate(data, parts[0], budget, deadline, spend=False), styles, name)
        text = _Text(styles.levels, max_chars)
        notes: list[str] = []
        try:
            capped = _parse(inflate(data, parts[-1], budget, deadline, spend=False), text, name)
        except IngestError as exc:
            if exc.reason != "too_slow" or not text.lines:
                raise
            notes.append(f"Reading stopped after {deadline.seconds:.0f} s; only the text before that point "
                         "was kept.")
            capped = False
    if capped:  # stopped mid-paragraph: keep its start too, and say where the text ends
        text.lines.append("".join(text.open_text()))
        notes.append(f"Only the first {max_chars:,} characters were kept.")
        return "\n\n".join(text.lines)[:max_chars], notes
    return "\n\n".join(text.lines), notes
