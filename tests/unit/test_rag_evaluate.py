"""The evaluation CLI on a folder built here: uploads ingested like the page's, figures per method, cut keys."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from src.rag.chunking import Chunk
from src.rag.documents import Document
from src.rag.evaluate import QA, as_uploads, boundary_check, is_hit, main, upload_folder

DOC = "# Lighthouses\n\nThe keeper of the quokka lighthouse lit the lamp at dusk with whale oil every evening."


def _chunk(source: str, text: str) -> Chunk:
    return Chunk(f"{source}#0", source, source, "", text)


def test_boundary_check_finds_cut_keys_and_broken_rows():
    docs = [Document(source="a.md", title="a", text="alpha beta gamma delta")]
    chunks = [_chunk("a.md", "alpha beta"), _chunk("a.md", "gamma delta")]
    qa = [QA("q1", "a.md", "beta gamma"), QA("q2", "a.md", "alpha beta"), QA("q3", "a.md", "omega"),
          QA("q4", "b.md", "alpha")]
    cut, unusable = boundary_check(docs, chunks, qa)
    assert [c["question"] for c in cut] == ["q1"]
    assert [(u["question"], u["reason"]) for u in unusable] == [("q3", "key not in source"), ("q4", "source missing")]


def test_hits_ignore_case_spacing_and_transcript_timestamps():
    chunk = _chunk("upload/t.txt", "[00:01:02] the keeper lit\n[00:01:05] the lamp at dusk")
    assert is_hit(chunk, QA("q", "upload/t.txt", "Lit the  lamp"))
    assert not is_hit(chunk, QA("q", "upload/other.txt", "lit the lamp"))


def test_upload_folder_uses_the_upload_path_and_reports_bad_files(tmp_path):
    (tmp_path / "good.md").write_text(DOC)
    (tmp_path / "bad.exe").write_bytes(b"MZ\x00\x00")
    docs, errors = upload_folder(tmp_path)
    assert [d.source for d in docs] == ["upload/good.md"]
    assert len(errors) == 1 and "bad.exe" in errors[0]
    assert as_uploads([QA("q", "good.md", "k", ("x.md",))])[0] == QA("q", "upload/good.md", "k", ("upload/x.md",))


def test_cli_evaluates_a_folder_as_uploads(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lighthouse.md").write_text(DOC)
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"question": "What fuel did the quokka lighthouse keeper burn?",
                              "source": "lighthouse.md", "key": "whale oil"}) + "\n")
    result = CliRunner().invoke(main_app(), ["--docs", str(folder), "--qa", str(qa), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{"):])
    assert {s["mode"] for s in figures["scores"]} == {"bm25", "dense", "hybrid"}
    assert all(s["n"] == 1 and s["hit1"] == 1.0 for s in figures["scores"])
    assert figures["key_cut_at_chunk_boundary"]["count"] == 0 and figures["ingest_errors"] == []


def test_cli_refuses_docs_without_a_qa_file(tmp_path):
    result = CliRunner().invoke(main_app(), ["--docs", str(tmp_path)])
    assert result.exit_code != 0 and "--qa" in result.output


def main_app():
    import typer

    app = typer.Typer()
    app.command()(main)
    return app
