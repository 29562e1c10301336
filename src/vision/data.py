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
from dataclasses import dataclass
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

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray | torch.Tensor) -> ImageSet:
        index = torch.as_tensor(index)
        return ImageSet(self.images[index], self.labels[index], self.classes, self.source, [])


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
    else:
        images = np.empty((len(files), 32, 32, 3), dtype=np.uint8)
        labels = np.empty(len(files), dtype=np.int64)
        skipped, n = [], 0
        for path, label in tqdm(files, desc=f"decode {folder.name}", unit="img", disable=not progress):
            try:
                images[n] = load_for_model(path)[0]
            except BadImageError as exc:
                skipped.append((str(path.relative_to(folder)), str(exc)))
                continue
            labels[n] = label
            n += 1
        images, labels = images[:n], labels[:n]
        if cache:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".partial.npz")
            np.savez(tmp, images=images, labels=labels, skipped=np.array(["\t".join(s) for s in skipped], dtype=str))
            tmp.replace(target)
    tensor = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    return ImageSet(tensor, torch.from_numpy(labels), classes, f"image folder {folder}", list(skipped))


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


# --- tensors --------------------------------------------------------------------------------------


def augment(images: torch.Tensor, generator: torch.Generator, translate: int = 2) -> torch.Tensor:
    """Random horizontal flip and random translation by up to ``translate`` px (reflect padding).

    Works on a whole normalised batch (B,3,32,32) at once: one padded copy, then each of the
    (2t+1)^2 possible offsets is a slice shared by all images that drew it.
    """
    b, _, h, w = images.shape
    flip = torch.rand(b, generator=generator) < 0.5
    images = torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)
    if translate == 0:
        return images
    padded = F.pad(images, (translate,) * 4, mode="reflect")
    dx = torch.randint(0, 2 * translate + 1, (b,), generator=generator)
    dy = torch.randint(0, 2 * translate + 1, (b,), generator=generator)
    out = torch.empty_like(images)
    for x in range(2 * translate + 1):
        for y in range(2 * translate + 1):
            mask = (dx == x) & (dy == y)
            if mask.any():
                out[mask] = padded[mask, :, y : y + h, x : x + w]
    return out
