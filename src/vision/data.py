"""Load an image dataset once into a uint8 tensor, split it, and augment batches on tensors.

Three sources, all returning the same :class:`ImageSet`:

- the registered ``cifar10`` image folder (mirror or cache, sha256-verified by ``src.core.datasets``);
- ``torchvision.datasets.CIFAR10(download=True)`` (what online users run);
- any image folder with one sub-folder per class (``--data FOLDER``).

Decoding 50,000 JPEGs takes a while, so the decoded array is cached under ``data/cache/vision/``
(gitignored), keyed by the folder's content fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from src.core import datasets
from src.core.settings import DATA_DIR, RAW_DIR
from src.vision.preprocess import BadImageError, load_for_model

CACHE_DIR = DATA_DIR / "cache" / "vision"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass
class ImageSet:
    """Images as (N,3,32,32) uint8, labels as (N,) int64, and the class names."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    #: Where the images came from, for the model card.
    source: str
    #: Files that could not be read, with the reason (never dropped silently).
    skipped: list[tuple[str, str]]
    #: Each image's path relative to its folder ("cat/0001.jpg"), so a page can decode one image alone;
    #: empty for sources that are not folders.
    files: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray | torch.Tensor) -> ImageSet:
        index = torch.as_tensor(index)
        files = [self.files[i] for i in index.tolist()] if self.files else []
        return ImageSet(self.images[index], self.labels[index], self.classes, self.source, [], files)


def _class_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder.")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(f"{folder} has no class sub-folders (expected FOLDER/<class>/<image>).")
    return classes


def _folder_files(folder: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    classes = _class_names(folder)
    files = [
        (path, label)
        for label, name in enumerate(classes)
        for path in sorted((folder / name).rglob("*"))
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not files:
        raise ValueError(f"{folder} has class folders but no image files.")
    return classes, files


def _fingerprint(folder: Path, files: list[tuple[Path, int]]) -> str:
    """Cheap content key: relative paths, sizes and mtimes of every file."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path, _ in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def load_folder(folder: Path, *, cache: bool = True, progress: bool = True, key: str | None = None) -> ImageSet:
    """Decode every image of an image folder through the shared preprocessing (cached as .npz).

    ``key`` names the cache file for a folder whose content is already verified (the registry's
    sha256); without it the key is a fingerprint of every file's path, size and mtime.
    """
    folder = Path(folder)
    if key and cache and (CACHE_DIR / f"{key}.npz").exists():
        classes, files = _class_names(folder), []  # verified and cached: no need to list 50k files
    else:
        classes, files = _folder_files(folder)
    target = CACHE_DIR / f"{key or 'folder-' + _fingerprint(folder, files)}.npz"
    if cache and target.exists():
        with np.load(target, allow_pickle=False) as npz:
            images, labels = npz["images"], npz["labels"]
            skipped = [tuple(s.split("\t", 1)) for s in npz["skipped"].tolist()]
            names = npz["files"].tolist() if "files" in npz.files else None
        if names is None:  # a cache written before file names were stored: list the folder once
            bad = {s[0] for s in skipped}
            names = [n for n in (str(p.relative_to(folder)) for p, _ in _folder_files(folder)[1]) if n not in bad]
    else:
        images, labels, skipped, names = _decode_all(folder, files, progress)
        if cache:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".partial.npz")
            np.savez(tmp, images=images, labels=labels, skipped=np.array(["\t".join(s) for s in skipped], dtype=str),
                     files=np.array(names, dtype=str))
            tmp.replace(target)
    tensor = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    return ImageSet(tensor, torch.from_numpy(labels), classes, f"image folder {folder}", list(skipped), list(names))


def _decode_all(folder: Path, files: list[tuple[Path, int]],
                progress: bool) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]], list[str]]:
    """Decode every file through the shared preprocessing; unreadable ones are listed with the reason."""
    images = np.empty((len(files), 32, 32, 3), dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int64)
    skipped, names, n = [], [], 0
    for path, label in tqdm(files, desc=f"decode {folder.name}", unit="img", disable=not progress):
        try:
            images[n] = load_for_model(path)[0]
        except BadImageError as exc:
            skipped.append((str(path.relative_to(folder)), str(exc)))
            continue
        labels[n] = label
        names.append(str(path.relative_to(folder)))
        n += 1
    return images[:n], labels[:n], skipped, names


def load_torchvision(root: Path = RAW_DIR / "torchvision", *, train: bool = True) -> ImageSet:
    """CIFAR-10 through ``torchvision.datasets.CIFAR10(download=True)`` (checks the archive's md5)."""
    from torchvision.datasets import CIFAR10

    ds = CIFAR10(root=str(root), train=train, download=True)
    images = torch.from_numpy(ds.data.transpose(0, 3, 1, 2).copy())
    return ImageSet(images, torch.tensor(ds.targets), list(ds.classes), "torchvision CIFAR10", [])


def load(source: str = "mirror", folder: Path | None = None, *, progress: bool = True) -> ImageSet:
    """Load a training set: ``folder`` if given, else ``source`` in {"mirror", "torchvision"}.

    "mirror" resolves the registered, checksum-verified ``cifar10`` folder and raises
    :class:`src.core.datasets.DataMissingError` with the fetch command when it is absent.
    """
    if folder is not None:
        return load_folder(folder, progress=progress)
    if source == "torchvision":
        return load_torchvision()
    if source == "mirror":
        # The registry verified this folder's sha256, so its checksum is a safe cache key (no 50k stats).
        key = f"cifar10-{str(datasets.get('cifar10').tree_sha256)[:16]}"
        return load_folder(datasets.path("cifar10", progress=progress), progress=progress, key=key)
    raise ValueError(f"Unknown source '{source}': use 'mirror', 'torchvision' or --data FOLDER.")


def stratified_split(labels: torch.Tensor, val_size: int | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices, stratified by class, fixed by ``seed``."""
    index = np.arange(len(labels))
    train_idx, val_idx = train_test_split(index, test_size=val_size, stratify=labels.numpy(), random_state=seed)
    return np.sort(train_idx), np.sort(val_idx)


def spread_sample(n_total: int, k: int, seed: int = 0) -> np.ndarray:
    """``k`` sorted indices drawn without replacement from ``range(n_total)``, fixed by ``seed``.

    For the few places that use a sample of a split (whitening statistics, int8 calibration): the
    images are stored class by class, so "the first k" would be one or two classes only.
    """
    pick = np.random.default_rng(seed).choice(n_total, min(k, n_total), replace=False)
    return np.sort(pick)


def mirror_splits(val_size: int, seed: int) -> tuple[ImageSet, ImageSet]:
    """(train, validation) of the mirror's images as a model with this ``val_size`` and ``seed`` split them.

    Decodes the whole dataset on the first call (cached afterwards): for tests and scripts, never for pages.
    """
    full = load("mirror", progress=False)
    train_idx, val_idx = stratified_split(full.labels, val_size, seed)
    return full.subset(train_idx), full.subset(val_idx)


def validation_split(val_size: int, seed: int) -> ImageSet:
    """The validation half of :func:`mirror_splits`."""
    return mirror_splits(val_size, seed)[1]


# --- tensors --------------------------------------------------------------------------------------


class FlipTranslateBatches:
    """airbench94's training augmentation, on uint8 tensors: alternating flip and 2 px translation.

    * **Alternating (derandomised) flip**: before the first epoch every image is mirrored with
      probability 1/2; after that, all images are mirrored together on every odd epoch, so each image
      is seen in both orientations every two epochs (Jordan 2024, section 3.6). ``flip="random"``
      draws a fresh coin per image and epoch instead (the ablation), ``"none"`` never flips.
    * **Translation** by up to ``translate`` px in x and y, with reflect padding done once.

    Iterating yields (uint8 images, labels) batches of one epoch, ``drop_last`` like airbench.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, *, translate: int = 2,
                 flip: str = "alternating", seed: int = 0) -> None:
        self.labels, self.batch_size, self.translate, self.flip = labels, batch_size, translate, flip
        self.generator = torch.Generator().manual_seed(seed)
        if flip == "alternating":
            images = _flip_some(images, torch.rand(len(images), generator=self.generator) < 0.5)
        pad = (translate,) * 4
        # reflect padding needs floats; the values stay whole numbers 0..255, so uint8 round-trips exactly
        self.padded = F.pad(images.float(), pad, mode="reflect").to(torch.uint8) if translate else images
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.labels) // self.batch_size

    def __iter__(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        mirror_all = self.flip == "alternating" and self.epoch % 2 == 1
        self.epoch += 1
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            batch = _random_crop(self.padded[idx], self.translate, self.generator)
            if mirror_all:
                batch = batch.flip(-1)
            elif self.flip == "random":
                batch = _flip_some(batch, torch.rand(len(batch), generator=self.generator) < 0.5)
            yield batch, self.labels[idx]


def _flip_some(images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), images.flip(-1), images)


def _random_crop(padded: torch.Tensor, r: int, generator: torch.Generator) -> torch.Tensor:
    """Each image cut at its own random offset in [-r, r]^2 from a batch padded by ``r`` (airbench's batch_crop:
    one slice per offset, shared by every image that drew it)."""
    if r == 0:
        return padded
    b, c, h, w = padded.shape
    size_h, size_w = h - 2 * r, w - 2 * r
    shifts = torch.randint(-r, r + 1, (b, 2), generator=generator)
    out = torch.empty((b, c, size_h, size_w), dtype=padded.dtype)
    for sy in range(-r, r + 1):
        for sx in range(-r, r + 1):
            mask = (shifts[:, 0] == sy) & (shifts[:, 1] == sx)
            if mask.any():
                out[mask] = padded[mask, :, r + sy : r + sy + size_h, r + sx : r + sx + size_w]
    return out
