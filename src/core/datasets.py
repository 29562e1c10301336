"""Dataset registry: where each dataset comes from, its checksum, and how it lands in the cache.

The entries (source, licence, files, sha256) are data, in ``datasets.toml`` beside this module;
adding a dataset is a table there (an image folder built online also names its builder in
:data:`TREE_BUILDERS`).

A dataset is resolved in this order:

1. the verified cache under ``data/raw/`` (a path exists there only after its checksum matched);
2. the offline mirror named by ``PORTFOLIO_DATA_MIRROR`` (copied into the cache, then verified);
3. the canonical source on the internet, only from :func:`fetch` (``make data``), never from a page.

Every copy or download goes to a temporary name first and is renamed only after the checksum
matches, so a partial or wrong file is never used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from src.core.settings import MIRROR_ENV, lookup, mirror_dir, raw_dir

FETCH_COMMAND = "make data"


class DataMissingError(RuntimeError):
    """A dataset is neither cached nor reachable; the message says how to get it."""

    def __init__(self, name: str, detail: str = "") -> None:
        self.name = name
        self.command = f"python -m src.core.data fetch {name}"
        msg = (
            f"Dataset '{name}' is not available offline. Point {MIRROR_ENV} at a local mirror "
            f"(for example `export {MIRROR_ENV}=../shared/data`) or run `{self.command}` "
            f"(or `{FETCH_COMMAND}`) with internet access."
        )
        super().__init__(f"{msg} {detail}".strip())


class ChecksumError(RuntimeError):
    """The bytes we got are not the bytes the registry expects."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, at ``path`` in the mirror layout (``telco/Telco-Customer-Churn.csv``)."""

    path: str
    sha256: str
    url: str
    #: The file's name inside the archive at ``url``, when the source is an archive.
    member: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: its files (or image tree), canonical source and licence."""

    name: str
    title: str
    source: str
    license: str
    files: tuple[DataFile, ...] = ()
    #: For image-folder datasets: the folder in the mirror layout and the sha256 of all its
    #: files' bytes concatenated in sorted relative-path order.
    tree: str | None = None
    tree_sha256: str | None = None
    #: For image-folder datasets: builds the folder from the canonical loader into a directory.
    build_tree: Callable[[Path], None] | None = field(default=None, compare=False)

    @property
    def checksums(self) -> dict[str, str]:
        """Relative path -> expected sha256, as shown on model cards."""
        if self.tree:
            return {self.tree: str(self.tree_sha256)}
        return {f.path: f.sha256 for f in self.files}


def _build_cifar10_tree(dest: Path) -> None:
    """Download CIFAR-10 with torchvision (which checks the archive's md5) and write an image folder."""
    from torchvision.datasets import CIFAR10  # heavy import, only needed online

    with tempfile.TemporaryDirectory() as tmp:
        train = CIFAR10(root=tmp, train=True, download=True)
        counters: dict[int, int] = {}
        for image, label in tqdm(train, desc="cifar10 -> image folder", unit="img"):
            n = counters.get(label, 0)
            counters[label] = n + 1
            folder = dest / train.classes[label]
            folder.mkdir(parents=True, exist_ok=True)
            image.save(folder / f"{n:04d}.png")


#: Builds an image-folder dataset's tree from its canonical loader, by the ``build_tree`` name in the TOML.
TREE_BUILDERS: dict[str, Callable[[Path], None]] = {"torchvision_cifar10": _build_cifar10_tree}
#: The registry's entries: source, licence, files and checksums (data, so it lives in a data file).
REGISTRY_FILE = Path(__file__).with_name("datasets.toml")


def read_registry(path: Path = REGISTRY_FILE) -> dict[str, Dataset]:
    """Every dataset of the registry file, keyed by name, in the file's order."""
    registry = {}
    for name, entry in tomllib.loads(path.read_text(encoding="utf-8")).items():
        files = tuple(DataFile(**f) for f in entry.pop("files", ()))
        builder = entry.pop("build_tree", None)
        registry[name] = Dataset(name=name, files=files, build_tree=TREE_BUILDERS[builder] if builder else None,
                                 **entry)
    return registry


REGISTRY: dict[str, Dataset] = read_registry()


def get(name: str) -> Dataset:
    """Look up a dataset by name, with the list of names when it is unknown."""
    return lookup(REGISTRY, name, "dataset")


# --- checksums -------------------------------------------------------------------------------


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of one file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _tree_files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())


def sha256_tree(folder: Path) -> str:
    """Hex sha256 of all files' bytes concatenated in sorted relative-path order."""
    digest = hashlib.sha256()
    for path in _tree_files(folder):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _verify(path: Path, expected: str, what: str) -> None:
    actual = sha256_tree(path) if path.is_dir() else sha256_file(path)
    if actual != expected:
        raise ChecksumError(f"{what}: sha256 {actual[:12]}… does not match the expected {expected[:12]}…")


# --- resolution ------------------------------------------------------------------------------


def cached_path(name: str) -> Path:
    """Where a dataset lives in the cache: the file (single-file sets), the tree, or the folder."""
    ds = get(name)
    if ds.tree:
        return raw_dir() / ds.tree
    if len(ds.files) == 1:
        return raw_dir() / ds.files[0].path
    return raw_dir() / name


def _targets(ds: Dataset) -> Iterator[tuple[str, Path]]:
    """(mirror-relative path, cache path) for every file or tree of a dataset."""
    if ds.tree:
        yield ds.tree, raw_dir() / ds.tree
    for f in ds.files:
        yield f.path, raw_dir() / f.path


def is_cached(name: str) -> bool:
    """True when every file of the dataset is in the verified cache."""
    return all(target.exists() for _, target in _targets(get(name)))


def in_mirror(name: str) -> bool:
    """True when the configured mirror holds every file of the dataset."""
    mirror = mirror_dir()
    return mirror is not None and all((mirror / rel).exists() for rel, _ in _targets(get(name)))


def is_available(name: str) -> bool:
    """True when :func:`path` would succeed without the internet."""
    return is_cached(name) or in_mirror(name)


def _atomic_install(tmp: Path, target: Path, expected: str, what: str) -> None:
    """Verify ``tmp`` and rename it onto ``target``; on mismatch delete it so it is never used."""
    try:
        _verify(tmp, expected, what)
    except ChecksumError:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)


def _tmp_name(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


def _copy_from_mirror(ds: Dataset, progress: bool) -> None:
    mirror = mirror_dir()
    assert mirror is not None
    for rel, target in _targets(ds):
        if target.exists():
            continue
        tmp = _tmp_name(target)
        source = mirror / rel
        if source.is_dir():
            files = _tree_files(source)
            for file in tqdm(files, desc=f"{ds.name}: copy from mirror", unit="file", disable=not progress):
                out = tmp / file.relative_to(source)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, out)
            _atomic_install(tmp, target, str(ds.tree_sha256), f"{ds.name} mirror {rel}")
        else:
            shutil.copyfile(source, tmp)
            expected = next(f.sha256 for f in ds.files if f.path == rel)
            _atomic_install(tmp, target, expected, f"{ds.name} mirror {rel}")


def _download(url: str, dest: Path, progress: bool) -> None:
    """Stream ``url`` into ``dest`` with a progress bar."""
    request = urllib.request.Request(url, headers={"User-Agent": "ai-portfolio/1.0"})
    with urllib.request.urlopen(request, timeout=60) as response, dest.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
            while block := response.read(1 << 16):
                out.write(block)
                bar.update(len(block))


def _download_from_source(ds: Dataset, progress: bool) -> None:
    try:
        if ds.tree and ds.build_tree is not None:
            target = raw_dir() / ds.tree
            tmp = _tmp_name(target)
            ds.build_tree(tmp)  # the loader verifies its own archive checksum
            os.replace(tmp, target)
            return
        archives: dict[str, Path] = {}
        with tempfile.TemporaryDirectory() as scratch:
            for f in ds.files:
                target = raw_dir() / f.path
                if target.exists():
                    continue
                tmp = _tmp_name(target)
                if f.member is None:
                    _download(f.url, tmp, progress)
                else:
                    if f.url not in archives:
                        archives[f.url] = Path(scratch) / Path(f.url).name
                        _download(f.url, archives[f.url], progress)
                    with zipfile.ZipFile(archives[f.url]) as zf, zf.open(f.member) as src, tmp.open("wb") as out:
                        shutil.copyfileobj(src, out)
                _atomic_install(tmp, target, f.sha256, f"{ds.name} download {f.path}")
    except OSError as exc:  # URLError is an OSError: offline, DNS failure, timeout
        raise DataMissingError(ds.name, f"(download failed: {exc})") from exc


def path(name: str, *, progress: bool = False) -> Path:
    """The verified local path of a dataset, filling the cache from the mirror if needed.

    Never touches the internet, so pages can call it: raises :class:`DataMissingError` instead.
    """
    ds = get(name)
    if not is_cached(name):
        if not in_mirror(name):
            raise DataMissingError(name)
        _copy_from_mirror(ds, progress)
    return cached_path(name)


def fetch(name: str, *, progress: bool = True) -> Path:
    """Make a dataset available: cache, then mirror, then its canonical source online."""
    if is_cached(name) or in_mirror(name):
        return path(name, progress=progress)
    _download_from_source(get(name), progress)
    return cached_path(name)
