"""The registry: checksums, atomic installs, the mirror layout, and the offline message."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from src.core import datasets
from src.core.datasets import ChecksumError, DataFile, DataMissingError, Dataset


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """Register a one-file dataset served from a file:// URL the test controls."""
    source = tmp_path / "server" / "tiny.csv"
    source.parent.mkdir()
    source.write_bytes(b"a,b\n1,2\n")

    def register(sha: str) -> Dataset:
        ds = Dataset(name="tiny", title="Tiny", source="test", license="none",
                     files=(DataFile(path="tiny/tiny.csv", sha256=sha, url=source.as_uri()),))
        monkeypatch.setitem(datasets.REGISTRY, "tiny", ds)
        return ds

    return source, register


def test_download_verifies_and_caches(isolated_cache, tiny):
    source, register = tiny
    register(_sha(source.read_bytes()))
    got = datasets.fetch("tiny", progress=False)
    assert got == isolated_cache / "tiny" / "tiny.csv"
    assert got.read_bytes() == source.read_bytes()


def test_checksum_mismatch_is_rejected_and_nothing_is_kept(isolated_cache, tiny):
    _, register = tiny
    register("0" * 64)
    with pytest.raises(ChecksumError):
        datasets.fetch("tiny", progress=False)
    assert not any(isolated_cache.rglob("*.csv"))
    assert not datasets.is_cached("tiny")


def test_partial_download_is_never_used(isolated_cache, tiny, monkeypatch):
    source, register = tiny
    register(_sha(source.read_bytes()))

    def broken(url: str, dest: Path, progress: bool) -> None:
        dest.write_bytes(b"a,b\n")  # half the file, then the connection drops
        raise ConnectionResetError("connection reset")

    monkeypatch.setattr(datasets, "_download", broken)
    with pytest.raises(DataMissingError):
        datasets.fetch("tiny", progress=False)
    assert not datasets.is_cached("tiny")
    with pytest.raises(DataMissingError):
        datasets.path("tiny")


def test_offline_without_mirror_names_the_variable_and_command(isolated_cache, tiny):
    source, register = tiny
    register(_sha(source.read_bytes()))
    source.unlink()  # the "internet" is gone
    with pytest.raises(DataMissingError) as err:
        datasets.fetch("tiny", progress=False)
    message = str(err.value)
    assert "PORTFOLIO_DATA_MIRROR" in message
    assert "python -m src.core.data fetch tiny" in message


def test_pages_never_download(isolated_cache, tiny):
    source, register = tiny
    register(_sha(source.read_bytes()))
    with pytest.raises(DataMissingError):
        datasets.path("tiny")  # path() only reads cache or mirror
    assert not datasets.is_cached("tiny")


def _mirror_holding(content: bytes, tmp_path: Path, monkeypatch) -> None:
    """A mirror folder in the documented layout whose tiny.csv holds ``content``."""
    mirror = tmp_path / "mirror"
    (mirror / "tiny").mkdir(parents=True)
    (mirror / "tiny" / "tiny.csv").write_bytes(content)
    monkeypatch.setenv("PORTFOLIO_DATA_MIRROR", str(mirror))


@pytest.mark.parametrize("content", [b"x\n1\n", b"tampered\n"])
def test_mirror_is_read_only_when_its_checksum_matches(isolated_cache, tiny, monkeypatch, tmp_path, content):
    _, register = tiny
    register(_sha(b"x\n1\n"))
    _mirror_holding(content, tmp_path, monkeypatch)
    assert datasets.is_available("tiny") and not datasets.is_cached("tiny")
    if content == b"x\n1\n":
        assert datasets.path("tiny").read_bytes() == content
        assert datasets.is_cached("tiny")
    else:  # a corrupt mirror is rejected and nothing is cached
        with pytest.raises(ChecksumError):
            datasets.path("tiny")
        assert not datasets.is_cached("tiny")


def test_archive_member_is_extracted(isolated_cache, monkeypatch, tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("BUNDLE/a.tsv", "sentence\tlabel\nfine\t1\n")
        zf.writestr("BUNDLE/b.tsv", "sentence\tlabel\nbad\t0\n")
    files = tuple(
        DataFile(path=f"bundle/{n}.tsv", sha256=_sha(body.encode()), url=archive.as_uri(), member=f"BUNDLE/{n}.tsv")
        for n, body in (("a", "sentence\tlabel\nfine\t1\n"), ("b", "sentence\tlabel\nbad\t0\n"))
    )
    monkeypatch.setitem(datasets.REGISTRY, "bundle", Dataset("bundle", "B", "test", "none", files=files))
    folder = datasets.fetch("bundle", progress=False)
    assert (folder / "a.tsv").read_text().endswith("fine\t1\n")
    assert (folder / "b.tsv").exists()


def test_tree_checksum_matches_concatenated_bytes(tmp_path):
    for rel, body in (("b/1.jpg", b"B1"), ("a/2.jpg", b"A2"), ("a/1.jpg", b"A1")):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    assert datasets.sha256_tree(tmp_path) == _sha(b"A1A2B1")


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(KeyError, match="telco"):
        datasets.get("nope")


def _only(monkeypatch, ds_name: str) -> None:
    monkeypatch.setattr(datasets, "REGISTRY", {ds_name: datasets.REGISTRY[ds_name]})


def test_make_run_ensure_fetches_what_is_missing(isolated_cache, tiny, monkeypatch):
    from typer.testing import CliRunner

    from src.core.data import app

    source, register = tiny
    register(_sha(source.read_bytes()))
    _only(monkeypatch, "tiny")
    result = CliRunner().invoke(app, ["ensure"])
    assert result.exit_code == 0, result.output
    assert datasets.is_cached("tiny") and "cached and verified" in result.output


def test_make_run_ensure_offline_says_one_line_and_succeeds(isolated_cache, tiny, monkeypatch):
    from typer.testing import CliRunner

    from src.core.data import app

    source, register = tiny
    register(_sha(source.read_bytes()))
    source.unlink()  # offline, and no mirror (isolated_cache)
    _only(monkeypatch, "tiny")
    result = CliRunner().invoke(app, ["ensure"])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "could not fetch tiny" in lines[0] and "serving anyway" in lines[0]
    assert not datasets.is_cached("tiny")


def test_registry_file_reads_files_members_trees_and_builders(tmp_path):
    (tmp_path / "reg.toml").write_text('''
[zeta]
title = "Z"
source = "s"
license = "l"
[[zeta.files]]
path = "zeta/a.tsv"
sha256 = "aa"
url = "https://example.org/z.zip"
member = "Z/a.tsv"

[alpha]
title = "A"
source = "s"
license = "l"
tree = "alpha/train"
tree_sha256 = "bb"
build_tree = "torchvision_cifar10"
''')
    reg = datasets.read_registry(tmp_path / "reg.toml")
    assert list(reg) == ["zeta", "alpha"]  # the file's order, not sorted
    assert reg["zeta"].files == (DataFile("zeta/a.tsv", "aa", "https://example.org/z.zip", "Z/a.tsv"),)
    assert reg["zeta"].checksums == {"zeta/a.tsv": "aa"} and reg["zeta"].build_tree is None
    assert reg["alpha"].checksums == {"alpha/train": "bb"}
    assert reg["alpha"].build_tree is datasets.TREE_BUILDERS["torchvision_cifar10"]


def test_committed_registry_has_a_checksum_and_licence_for_every_dataset():
    for name, ds in datasets.REGISTRY.items():
        assert ds.name == name and ds.license and ds.source
        assert ds.checksums and all(len(sha) == 64 for sha in ds.checksums.values()), name
