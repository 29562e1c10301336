"""The page's precomputed insights: only listed files are decoded, and a missing file never breaks the page."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from src.vision import insights
from src.vision.data import ImageSet
from src.vision.examples import decode_listed


def test_decode_listed_reads_only_listed_files_inside_the_folder(tmp_path):
    (tmp_path / "data" / "cat").mkdir(parents=True)
    Image.new("RGB", (32, 32), (200, 10, 10)).save(tmp_path / "data" / "cat" / "0.png")
    Image.new("RGB", (32, 32), (10, 10, 200)).save(tmp_path / "outside.png")
    rows = [{"name": "validation: cat #1", "file": "cat/0.png", "label": "cat"},
            {"name": "gone", "file": "cat/missing.png"},
            {"name": "escape", "file": "../outside.png"}]
    examples = decode_listed(tmp_path / "data", rows)
    assert [e.name for e in examples] == ["validation: cat #1"]
    assert examples[0].label == "cat" and examples[0].image.shape == (32, 32, 3)
    assert examples[0].image[0, 0, 0] > 150


def test_missing_or_broken_insights_read_as_empty_sections(tmp_path):
    assert insights.read(tmp_path) == {"examples": [], "mistakes": [], "sweeps": {}, "screens": {}}
    (tmp_path / insights.INSIGHTS_FILE).write_text("{not json")
    assert insights.read(tmp_path)["mistakes"] == []
    # an artifact written before stored screens existed still reads, with none
    (tmp_path / insights.INSIGHTS_FILE).write_text('{"examples": [], "mistakes": [], "sweeps": {}}')
    assert insights.read(tmp_path)["screens"] == {}


def test_mistakes_are_the_most_confident_wrong_answers():
    val = ImageSet(torch.zeros(4, 3, 32, 32, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]), ["a", "b"], "x", [],
                   ["a/0.jpg", "b/1.jpg", "a/2.jpg", "b/3.jpg"])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])  # 1 and 2 are wrong
    rows = insights.mistake_rows(val, probs)
    assert [r["file"] for r in rows] == ["b/1.jpg", "a/2.jpg"]
    assert rows[0] == {"file": "b/1.jpg", "true": "b", "predicted": "a", "confidence": 0.8}
    assert [r["file"] for r in insights.example_rows(val, per_class=1)] == ["a/0.jpg", "b/1.jpg"]
