"""Timestamped transcripts (issue 12): folded so timestamps do not drown the words, times kept per chunk."""

from __future__ import annotations

import itertools
import re

import pytest

from src.rag.chunking import ChunkSettings, chunk_document
from src.rag.documents import load_bytes
from src.rag.transcripts import fold_transcript, is_transcript

_STAMP = re.compile(r"\d{1,2}:\d{2}")


def _speech(n: int) -> list[str]:
    """n caption lines of unpunctuated lower-case speech, each line unique."""
    return [f"and then line {i} talks about the harbour {i} the boats and the weather" for i in range(n)]


def test_bracketed_timestamps_and_speakers_are_folded():
    text = ("[00:00:01] alice: we moved the nets\n[00:00:04] alice: before the storm\n"
            "[00:00:09] Bob Smith: the storm came early\n[00:00:12] alice: yes it did\n")
    folded = fold_transcript(text)
    assert folded is not None and folded.cues == 4
    assert folded.text == ("alice: we moved the nets\nbefore the storm\n\n"
                           "Bob Smith: the storm came early\n\nalice: yes it did")
    assert [stamp for _, stamp in folded.timeline] == ["00:00:01", "00:00:04", "00:00:09", "00:00:12"]
    for (offset, _), line in zip(folded.timeline, ["alice: we", "before", "Bob Smith", "alice: yes"], strict=True):
        assert folded.text[offset:].startswith(line)


def test_separators_after_a_time_go_but_a_leading_dash_of_the_words_stays():
    folded = fold_transcript("00:00:01 - run it\n00:00:02 | then\n[00:00:03] --upgrade the package\n")
    assert folded.text == "run it\nthen\n--upgrade the package"


SRT = ("1\n00:00:01,000 --> 00:00:03,500\n<i>the tide turns</i> at noon\n\n"
       "2\n00:00:03,600 --> 00:00:06,000\nthe keepers light\nthe lamp\n\n"
       "3\n01:02:03,000 --> 01:02:05,000\n42 boats came home\n")
VTT = ("WEBVTT\nKind: captions\nLanguage: en\n\nNOTE written by hand\nfor the test\n\n"
       "intro\n00:01.000 --> 00:04.000 align:start position:0%\n"
       "<v Dana>welcome to the <00:02.000><c>harbour</c>\n\n"
       "00:04.000 --> 00:06.000\nwelcome to the harbour\n\n"
       "00:06.000 --> 00:08.000\n<v Eli>thanks for having me\n")


@pytest.mark.parametrize(("captions", "text", "stamps"), [
    # SRT: cue numbers, timings and tags dropped
    (SRT, "the tide turns at noon\nthe keepers light\nthe lamp\n42 boats came home",
     ["00:00:01", "00:00:03", "01:02:03"]),
    # WebVTT: header, notes, cue ids, inline times and the rolling repeat dropped; voices named
    (VTT, "Dana: welcome to the harbour\n\nEli: thanks for having me", ["00:00:01", "00:00:06"]),
], ids=["srt", "webvtt"])
def test_caption_files_fold_to_their_words_with_one_time_per_cue(captions, text, stamps):
    folded = fold_transcript(captions, force=True)
    assert folded.text == text
    assert [stamp for _, stamp in folded.timeline] == stamps


def test_webvtt_header_notes_and_rolling_repeats_are_gone_and_said():
    folded = fold_transcript(VTT, force=True)
    assert "written by hand" not in folded.text and "intro" not in folded.text and "captions" not in folded.text
    assert folded.repeats == 1 and "1 lines that repeated the line before were dropped" in folded.note


def test_different_speakers_saying_the_same_words_are_all_kept():
    lines = [f"[00:00:{i:02d}] s{i % 3}: word word word" for i in range(30)]
    folded = fold_transcript("\n".join(lines))
    assert folded.repeats == 0 and folded.text.count("word word word") == 30


@pytest.mark.parametrize("text", [
    "# Schedule\n\nThe ferry leaves at 10:30 and returns at 14:00.\n\nTickets cost 5 euros.\n",
    "10:30 arrival\nThe rest of this note is prose.\nIt has many lines.\nNone of them are timed.\nReally.\n",
    "09:00 Registration and coffee\n09:30 Keynote on tides\n10:30 Break\n11:00 Panel on harbours\n",  # an agenda
])
def test_prose_that_mentions_times_is_not_a_transcript(text):
    assert not is_transcript(text.splitlines())
    assert fold_transcript(text) is None


def test_an_uploaded_transcript_is_read_as_one_and_says_so():
    lines = [f"[00:{i // 60:02d}:{i % 60:02d}] {line}" for i, line in enumerate(_speech(40))]
    doc = load_bytes("call.txt", "\n".join(lines).encode())
    assert doc.kind == "transcript" and doc.notes == ["Read as a transcript: timestamps were taken out of 40 lines."]
    assert not _STAMP.search(doc.text) and len(doc.timeline) == 40


def test_an_srt_upload_is_folded_even_with_few_cues():
    doc = load_bytes("clip.srt", b"1\n00:00:01,000 --> 00:00:02,000\nhello there\n")
    assert doc.text == "hello there" and doc.kind == "transcript"


def test_transcript_chunks_are_bounded_overlap_and_know_where_they_start():
    lines = [f"[{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}] {line}" for i, line in enumerate(_speech(200))]
    doc = load_bytes("long.txt", "\n".join(lines).encode())
    chunks = chunk_document(doc, ChunkSettings(500, 100))
    assert len(chunks) > 10 and all(len(c.text) <= 500 for c in chunks)
    assert not any(_STAMP.search(c.text) for c in chunks), "no timestamp left in the indexed text"
    for left, right in itertools.pairwise(chunks):
        assert right.text.splitlines()[0] in left.text.splitlines(), "neighbours share a whole caption line"
    first_lines = [int(c.text.split()[3]) for c in chunks]  # "and then line N ..." -> N, which started at N s
    assert [c.start for c in chunks] == [f"00:{n // 60:02d}:{n % 60:02d}" for n in first_lines]
    assert chunks[0].start == "00:00:00" and first_lines == sorted(first_lines)
