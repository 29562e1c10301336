"""The demos, discovered: every ``src/<package>/demo.toml`` is one, with its page ``app_pages/<slug>.py``.

Home, every demo page (its chapter switcher), the model-cards page, the shared model loader
(:data:`MODELS`), the RAG tools and the bench read :data:`DEMOS`, so a new demo is a new folder
holding a ``demo.toml`` (plus the code it names) and one page file: nothing else is edited. The
specs are TOML, not Python, so listing the demos imports no demo code (and never torch).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from src.core import datasets
from src.core.contract import CARD_FILE, ModelArtifact, train_command
from src.core.settings import ROOT, lookup, model_dir

#: The file that makes a package of ``src/`` a demo.
SPEC_FILE = "demo.toml"
#: Where the page files live, relative to the repository root (see the README on why not ``pages/``).
PAGES_DIR = "app_pages"


@dataclass(frozen=True)
class Demo:
    """One demo of the portfolio, as its ``demo.toml`` declares it."""

    slug: str
    title: str
    icon: str
    pitch: str
    shows: str
    #: Datasets the page needs for its data-driven parts.
    datasets: tuple[str, ...]
    #: The command that writes ``models/<slug>/``; empty when the demo has no card.
    train_command: str
    #: The chapter of the page that is the best 10 seconds of the demo, and what to look at.
    tour_chapter: str
    tour_hint: str
    #: The page's chapters in reading order: (URL slug, title). Each is linkable as ``?chapter=slug``.
    chapters: tuple[tuple[str, str], ...] = ()
    #: Position in the navigation and on Home.
    order: int = 0
    #: The folder under ``src/`` holding the demo's code (its ``bench.py`` too).
    package: str = ""
    #: The trained artifact's contract (files and ``load``), for demos that ship a model.
    artifact: ModelArtifact | None = field(default=None, compare=False)

    @property
    def url_path(self) -> str:
        """The page's URL path."""
        return self.slug

    @property
    def page(self) -> str:
        """The page file, relative to the repository root."""
        return f"{PAGES_DIR}/{self.slug}.py"

    @property
    def has_artifact(self) -> bool:
        """True when the committed model card exists."""
        return (model_dir(self.slug) / CARD_FILE).is_file()

    def chapter_title(self, slug: str) -> str:
        """The title of one chapter."""
        return dict(self.chapters)[slug]


def read_spec(path: Path) -> Demo:
    """One ``demo.toml`` as a :class:`Demo` (a ValueError naming the file when it does not fit)."""
    with path.open("rb") as fh:
        spec: dict[str, Any] = tomllib.load(fh)
    try:
        slug = spec["slug"]
        art = spec.pop("artifact", None)
        artifact = None if art is None else ModelArtifact(slug, tuple(art["files"]), art["loader"],
                                                          art.get("loading", "Loading the model…"))
        spec.setdefault("train_command", train_command(slug) if artifact else "")
        demo = Demo(**{**spec, "datasets": tuple(spec.get("datasets", ())),
                       "chapters": tuple(spec.get("chapters", {}).items())},
                    package=path.parent.name, artifact=artifact)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a demo spec ({exc})") from None
    slugs = [s for s, _ in demo.chapters]
    if demo.tour_chapter not in slugs:
        raise ValueError(f"{path}: tour_chapter '{demo.tour_chapter}' is not one of its chapters {slugs}")
    return demo


def discover(src: Path = ROOT / "src", root: Path = ROOT) -> tuple[Demo, ...]:
    """Every ``<src>/<package>/demo.toml`` whose page ``<root>/app_pages/<slug>.py`` exists, in ``order``.

    A spec without its page, or two specs with one slug, is a ValueError naming the files: a demo
    half added should fail the first test, not vanish from the navigation.
    """
    found: dict[str, Demo] = {}
    for path in sorted(src.glob(f"*/{SPEC_FILE}")):
        demo = read_spec(path)
        if not (root / demo.page).is_file():
            raise ValueError(f"{path} declares the demo '{demo.slug}' but its page {demo.page} does not exist")
        if demo.slug in found:
            raise ValueError(f"{path}: the slug '{demo.slug}' is also src/{found[demo.slug].package}/{SPEC_FILE}'s")
        found[demo.slug] = demo
    return tuple(sorted(found.values(), key=lambda d: (d.order, d.slug)))


#: Every demo, in navigation order.
DEMOS: tuple[Demo, ...] = discover()
#: Every demo with a trained artifact, by slug (``src.core.contract.get`` reads it). RAG has an
#: evaluation card but no trained weights, so it is not here.
MODELS: dict[str, ModelArtifact] = {d.slug: d.artifact for d in DEMOS if d.artifact is not None}
#: Demos whose command writes a card (every model, plus RAG's evaluation): what MLOps versions and tracks.
CARDED: tuple[str, ...] = tuple(d.slug for d in DEMOS if d.train_command)


@dataclass(frozen=True)
class Status:
    """What a demo has and, when something is missing, the command that fixes it."""

    ok: bool
    label: str
    fixes: tuple[str, ...]


def get(slug: str) -> Demo:
    """A demo by slug (a KeyError listing the slugs when it is unknown)."""
    return lookup({d.slug: d for d in DEMOS}, slug, "demo")


def status(demo: Demo) -> Status:
    """Whether the demo's artifact and data are present, and the exact commands for what is not."""
    fixes: list[str] = []
    parts: list[str] = []
    if demo.train_command and not demo.has_artifact:
        parts.append("model not trained")
        fixes.append(demo.train_command)
    missing = [name for name in demo.datasets if not datasets.is_available(name)]
    if missing:
        parts.append("data not fetched: " + ", ".join(missing))
        fixes += [f"python -m src.core.data fetch {name}" for name in missing]
    if not parts:
        bits = ["model ready"] if demo.train_command else []
        bits += ["data ready"] if demo.datasets else []
        return Status(True, " · ".join(bits) or "ready", ())
    return Status(False, "; ".join(parts), tuple(fixes))
