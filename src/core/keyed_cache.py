"""Small JSON files that hold a computed result together with the key it was computed for.

The pages' stored first screens (:mod:`src.churn.showcase`, :mod:`src.vision.showcase`) and the
Model health runs snapshot (:mod:`src.mlops.snapshot`) are such files: a reader gets the payload
only when the stored key equals the one it asks with (the model version, a data checksum, a layout
version...), so a stale, missing or unreadable file reads as "nothing stored" and the page
computes live: slower, never different.

Hand-written because it is two functions: diskcache or joblib.Memory would key on the call's
arguments and pickle, where these files must stay plain JSON that a test can build and read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read(path: Path, key: dict[str, Any]) -> Any | None:
    """The payload stored at ``path`` when its key equals ``key``, else None (missing, stale or unreadable)."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("payload")


def write(path: Path, key: dict[str, Any], payload: Any) -> bool:
    """Write atomically (a reader never sees half a file); a failure only logs, since the cache is optional."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as fh:
            json.dump({"key": key, "payload": payload}, fh)
        os.replace(fh.name, path)
        return True
    except OSError as exc:
        log.warning("could not write the cache file %s: %s", path, exc)
        return False


def files_digest(paths: Iterable[Path], salt: str = "") -> str:
    """Short sha256 over ``salt`` and each existing file's name and bytes: the key of what was computed from them."""
    digest = hashlib.sha256(salt.encode())
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
