"""Model cards and artifact folders, for every demo.

A card is a Hugging Face style ``README.md``: YAML front matter (with a ``model-index`` block so
the hub can read the metrics) followed by markdown sections. The ``portfolio`` key of the front
matter carries everything the app shows: headline metric, protocol, data checksums, config,
date, duration, library versions, git commit and the command that reproduces the run.

Artifacts are written atomically: :func:`artifact_writer` yields a temporary folder and swaps it
into ``models/<demo>/`` only when the block finishes without an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from src.core import datasets
from src.core.contract import CARD_FILE
from src.core.settings import ROOT, model_dir
from src.core.tables import markdown_table

__all__ = ["CARD_FILE", "Card", "DataRef", "Metric", "artifact_writer", "load_card", "read_card", "write_card"]
#: Libraries whose versions every card records (the ones that are installed).
TRACKED_LIBRARIES = (
    "python",
    "numpy",
    "pandas",
    "scikit-learn",
    "torch",
    "torchvision",
    "transformers",
    "peft",
    "shap",
    "sentence-transformers",
)


#: ``Metric.fmt`` -> (scale, number format, unit, whether the ± std is shown).
FORMATS: dict[str, tuple[float, str, str, bool]] = {
    "pct": (100, ".1f", "%", True),
    "float": (1, ".3f", "", True),
    "ms": (1, ".1f", " ms", False),
    "per_s": (1, ",.0f", "/s", False),
}


@dataclass
class Metric:
    """One reported number, with the protocol that produced it."""

    name: str
    value: float
    protocol: str = ""
    #: Optional spread, e.g. the std over CV folds.
    std: float | None = None
    #: How to show it, a key of :data:`FORMATS`: "pct" (0.93 -> 93.0%), "float" (0.861), "ms", "per_s".
    fmt: str = "float"

    def formatted(self) -> str:
        """Human-readable value, with ± std when present (and the format shows one)."""
        scale, spec, unit, shows_spread = FORMATS.get(self.fmt, FORMATS["float"])
        text = format(self.value * scale, spec)
        if shows_spread and self.std is not None:
            text += f" ± {format(self.std * scale, spec)}"
        return text + unit


@dataclass
class DataRef:
    """A dataset a model was trained or evaluated on.

    ``name`` is the key of ``src.core.datasets.REGISTRY`` when the dataset is registered (build it
    with :meth:`from_registry`); :attr:`title` looks the readable name up there.
    """

    name: str
    source: str
    sha256: dict[str, str]

    @classmethod
    def from_registry(cls, name: str) -> DataRef:
        """A reference to a registered dataset: its key, canonical source and checksums."""
        ds = datasets.get(name)
        return cls(name, ds.source, ds.checksums)

    @property
    def title(self) -> str:
        """The registry's title for a registered dataset, else the name itself."""
        ds = datasets.REGISTRY.get(self.name)
        return ds.title if ds is not None else self.name


@dataclass
class Card:
    """Everything a model card holds. ``metrics[0]`` is the headline shown on Home."""

    demo: str
    title: str
    summary: str
    metrics: list[Metric]
    data: list[DataRef]
    config: dict[str, Any]
    command: str
    duration_s: float
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    versions: dict[str, str] = field(default_factory=lambda: library_versions())
    git_commit: str = field(default_factory=lambda: git_commit())
    hardware: str = field(default_factory=lambda: hardware())
    #: Extra markdown sections: heading -> body.
    sections: dict[str, str] = field(default_factory=dict)
    #: Free-form structured extras a demo needs on its page (leaderboards, curves...).
    extra: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    library_name: str = ""

    @property
    def headline(self) -> Metric:
        """The metric shown on the Home card."""
        return self.metrics[0]

    def metric(self, name: str) -> Metric | None:
        """A metric by name, or None."""
        return next((m for m in self.metrics if m.name == name), None)


# --- provenance ------------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    """Versions of the tracked libraries that are installed."""
    versions = {"python": platform.python_version()}
    for lib in TRACKED_LIBRARIES[1:]:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[lib] = importlib.metadata.version(lib)
    return versions


def git_commit() -> str:
    """The current commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        return f"{sha}-dirty" if dirty else sha
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def hardware() -> str:
    """A one-line description of the machine that trained the model."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def reproduce_command() -> str:
    """The command line that is running now, as ``python -m module args``."""
    argv = sys.argv[:]
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        return " ".join(["python -m", spec.name.removesuffix(".__main__"), *argv[1:]])
    return " ".join(["python", *argv])


# --- reading and writing ---------------------------------------------------------------------


def _front_matter(card: Card) -> dict[str, Any]:
    portfolio = asdict(card)
    portfolio.pop("sections")
    hub_metrics = [{"type": m.name, "value": m.value, "name": f"{m.name} ({m.protocol})"} for m in card.metrics]
    return {
        "library_name": card.library_name or None,
        "tags": card.tags,
        "datasets": [d.name for d in card.data],
        "model-index": [
            {
                "name": card.demo,
                "results": [{"task": {"type": card.demo}, "dataset": {"name": ", ".join(d.name for d in card.data)},
                             "metrics": hub_metrics}],
            }
        ],
        "portfolio": portfolio,
    }


def render_markdown(card: Card) -> str:
    """The card as HF-style markdown: YAML front matter, then readable sections."""
    metrics = markdown_table(["metric", "value", "protocol"],
                             [[m.name, m.formatted(), m.protocol] for m in card.metrics])
    data = "\n".join(f"- **{d.title}** from {d.source}: "
                     + ", ".join(f"`{k}` sha256 `{v}`" for k, v in d.sha256.items()) for d in card.data)
    config = yaml.safe_dump(card.config, sort_keys=False).strip()
    versions = ", ".join(f"{k} {v}" for k, v in card.versions.items())
    body = [
        f"# {card.title}",
        card.summary,
        "## Metrics",
        metrics,
        "## Data",
        data or "(none)",
        "## Training config",
        f"```yaml\n{config}\n```",
        "## Provenance",
        f"- trained: {card.created} in {card.duration_s:.0f} s on {card.hardware}\n"
        f"- git commit: `{card.git_commit}`\n- libraries: {versions}",
        "## Reproduce",
        f"```bash\n{card.command}\n```",
    ]
    for heading, text in card.sections.items():
        body += [f"## {heading}", text]
    front = yaml.safe_dump(_front_matter(card), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n" + "\n\n".join(body) + "\n"


def write_card(card: Card, folder: Path) -> Path:
    """Write ``README.md`` into ``folder`` (normally the temporary folder of an artifact writer)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CARD_FILE
    target.write_text(render_markdown(card), encoding="utf-8")
    return target


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML front matter, body); ("", text) when there is none.

    The closing marker is a line of its own: a value may hold "---" (the RAG card quotes an answer with an
    ASCII table), and splitting at any "---" left the YAML cut mid-string and the card unreadable.
    """
    if not text.startswith("---"):
        return "", text
    end = re.search(r"^---[ \t]*$", text[3:], re.MULTILINE)
    if end is None:
        return "", text
    return text[3:3 + end.start()], text[3 + end.end():]


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    front, body = split_front_matter(text)
    return (yaml.safe_load(front) or {}) if front else {}, body


def read_card(folder: Path) -> Card | None:
    """Load a card from an artifact folder; None when there is no card there."""
    target = folder / CARD_FILE
    if not target.is_file():
        return None
    front, _ = _split_front_matter(target.read_text(encoding="utf-8"))
    raw = dict(front.get("portfolio") or {})
    if not raw:
        return None
    raw["metrics"] = [Metric(**m) for m in raw.get("metrics", [])]
    raw["data"] = [DataRef(**d) for d in raw.get("data", [])]
    raw["sections"] = {}
    return Card(**raw)


def load_card(demo: str) -> Card | None:
    """The committed card of one demo, or None when it has not been trained yet."""
    return read_card(model_dir(demo))


@contextlib.contextmanager
def artifact_writer(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success, swap it into place as ``folder`` (the artifact folder).

    If the block raises, the temporary folder is deleted and the old artifact stays untouched.
    A demo's default folder is ``src.core.settings.model_dir(demo)``.
    """
    if isinstance(folder, str) and "/" not in folder and not Path(folder).is_absolute():
        raise TypeError(f"artifact_writer takes a folder (Path), not a demo name: use model_dir({folder!r})")
    target = Path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.writing-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_into_place(tmp, target)


def swap_into_place(new: Path, target: Path) -> None:
    """Make folder ``new`` the folder ``target``: two renames on one filesystem, the old one removed after.

    Between the renames the old folder waits as ``.<name>.old-<pid>``, so an interrupted swap can
    be undone (``src.pipeline.recover``).
    """
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
