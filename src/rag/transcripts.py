"""Fold timestamped transcripts (SRT, WebVTT, ``[00:01:23] speaker: ...`` lines) into readable text.

A timestamp on every line drowns the words: BM25 and the embedder see ``00``, ``01`` and ``23``
as often as the topic, and a 90-character line loses a fifth of its room to them. Folding keeps
one line per cue with the timestamp removed, says a speaker's name once per turn (not on each
of their lines), starts a paragraph at each change of speaker, drops cue numbers, WebVTT
headers, notes and styling tags, and drops a line that repeats the one before (auto-captions
roll each line twice). The start time of each cue is kept in :attr:`Folded.timeline`, so a chunk
can say where in the recording it begins.

Hand-written because the maintained caption parsers (webvtt-py, pysrt) read one format each and
neither handles the plain ``[hh:mm:ss] text`` lines that speech-to-text tools print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: A line is a cue timing line (SRT / WebVTT): ``00:01:23,456 --> 00:01:25,000`` plus optional settings.
_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*{_TIME}\b.*$")
#: A line that starts with a timestamp: ``[00:01:23]``, ``(01:23)``, ``00:01:23.4 -``, ``1:23:45``.
_PREFIX = re.compile(rf"^\s*[\[(]?({_TIME})[\])]?\s*(?:[-–—|:](?=\s)\s*)?(?=\S|$)")  # "- " goes, "--upgrade" stays
#: What makes a line count as timestamped when deciding whether a file is a transcript: a bracketed time
#: or one with seconds. A bare "09:00 Registration" is how agendas look, and their times must stay.
_STAMPED = re.compile(r"^\s*(?:[\[(]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]|\d{1,2}:\d{2}:\d{2})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-z][^>]*>|<\d{1,2}:\d{2}[^>]*>", re.IGNORECASE)
#: ``Alice: words``, ``SPEAKER_01: words``, ``Dr. Jane Doe: words``: one to three name-like words.
_SPEAKER = re.compile(r"^((?:[\w.'-]+ ){0,2}[\w.'-]+):\s+(\S.*)$")
_VTT_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")
#: Share of non-empty lines with a timestamp that makes a plain text file a transcript.
PREFIX_SHARE = 0.5
TIMING_SHARE = 0.2
MIN_CUES = 3


@dataclass
class Folded:
    """A transcript's text without timestamps, and where each cue starts."""

    text: str
    cues: int
    #: Caption lines dropped because they repeat the line before (same speaker, same words).
    repeats: int = 0
    #: (character offset in ``text``, "hh:mm:ss") for the start of every cue line.
    timeline: list[tuple[int, str]] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the visitor is told about the folding."""
        note = f"Read as a transcript: timestamps were taken out of {self.cues:,} lines"
        dropped = f"; {self.repeats:,} lines that repeated the line before were dropped" if self.repeats else ""
        return f"{note}{dropped}."


def _label(stamp: str) -> str:
    """``1:23,456`` -> ``00:01:23``: one format for every source."""
    clock = [int(part) for part in re.split(r"[.,]", stamp)[0].split(":")]
    hours, minutes, seconds = ([0] * (3 - len(clock)) + clock)[-3:]
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def is_transcript(lines: list[str]) -> bool:
    """Enough timing lines (SRT/VTT) or timestamp-prefixed lines to be a transcript, not prose."""
    filled = [line for line in lines if line.strip()]
    timing = sum(1 for line in filled if _TIMING.match(line))
    prefixed = sum(1 for line in filled if _STAMPED.match(line) and not _TIMING.match(line))
    return (timing >= MIN_CUES and timing >= TIMING_SHARE * len(filled)) or \
        (prefixed >= MIN_CUES and prefixed >= PREFIX_SHARE * len(filled))


def _cues(lines: list[str]) -> list[tuple[str, str, str]]:
    """(start label or "", speaker or "", text) per caption line, with every kind of markup removed."""
    cues: list[tuple[str, str, str]] = []
    pending, skipping = "", False
    for number, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            skipping = False
            continue
        if skipping or line.split(" ", 1)[0] in _VTT_BLOCKS:
            skipping = True  # the header's metadata lines ("Kind: captions") and NOTE blocks run to a blank line
            continue
        timing = _TIMING.match(line)
        if timing:
            pending = _label(timing.group(1))
            continue
        if not pending and number + 1 < len(lines) and _TIMING.match(lines[number + 1]):
            continue  # an SRT cue number or a WebVTT cue id, just above its timing line
        prefix = _PREFIX.match(line)
        if prefix:
            pending, line = pending or _label(prefix.group(1)), line[prefix.end():]
        voice = _VOICE.search(line)
        speaker = voice.group(1).strip() if voice else ""
        line = " ".join(_TAG.sub(" ", line).split())
        named = _SPEAKER.match(line)
        if named and not speaker:
            speaker, line = named.group(1), named.group(2)
        if line:
            cues.append((pending, speaker, line))
        pending = ""
    return cues


def fold_transcript(text: str, *, force: bool = False) -> Folded | None:
    """The folded transcript, or None when ``text`` is not one (``force``: an .srt/.vtt file, fold anyway)."""
    lines = text.splitlines()
    if not (force or is_transcript(lines)):
        return None
    out: list[str] = []
    timeline: list[tuple[int, str]] = []
    offset, speaker, previous, folded, repeats = 0, None, ("", ""), 0, 0
    for start, who, line in _cues(lines):
        folded += bool(start)
        who = who or speaker or ""  # a line without a name is still said by the speaker of the turn
        if (who, line) == previous:
            repeats += 1
            continue
        previous = (who, line)
        separator = "\n" if out else ""
        if who and who != speaker:
            separator = "\n\n" if out else ""
            line = f"{who}: {line}"
            speaker = who
        offset += len(separator)
        if start:
            timeline.append((offset, start))
        out.append(separator + line)
        offset += len(line)
    return Folded("".join(out), folded, repeats, timeline) if out else None
