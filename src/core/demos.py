"""The demos, discovered: every ``src/<package>/demo.toml`` is one, with its page ``app_pages/<slug>.py``.

Home, every demo page (its chapter switcher), the model-cards page, the shared model loader
(:data:`MODELS`), Model health (:data:`MONITORED`, from each ``[monitoring]`` table), the RAG tools
and the bench read :data:`DEMOS`, so a new demo is a new folder
holding a ``demo.toml`` (plus the code it names) and one page file: nothing else is edited. The
specs are TOML, not Python, so listing the demos imports no demo code (and never torch).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from src.core import datasets
from src.core.contract import CARD_FILE, ModelArtifact, import_name, train_command
from src.core.settings import ROOT, lookup, model_dir

#: The file that makes a package of ``src/`` a demo.
SPEC_FILE = "demo.toml"
#: Where the page files live, relative to the repository root (see the README on why not ``pages/``).
PAGES_DIR = "app_pages"


#: A drift column's kind: a number (``num``) or a category (``cat``).
COLUMN_KINDS = ("num", "cat")


@dataclass(frozen=True)
class Monitoring:
    """What Model health watches for one demo: its ``demo.toml``'s ``[monitoring]`` table.

    Code is named ``"module:attr"`` and imported only when used (:func:`src.core.contract.import_name`),
    so reading the specs stays free of pandas, sklearn and torch. Only ``summary`` is required: a demo
    with no ``reference`` is logged and latency-checked but has no drift test, one with no
    ``simulate`` is not replayed by "Simulate production".
    """

    demo: str
    #: ``summary(*raw) -> dict``: the input summary a logged prediction keeps (never raw text or pixels).
    summary: str
    #: p95 latency (ms) above which the page raises an alert; 0 for no budget.
    latency_p95_ms: float = 0.0
    #: ``reference() -> DataFrame``: the training-time sample drift compares with (``DataMissingError``
    #: without its dataset).
    reference: str = ""
    #: Each reference column's kind (:data:`COLUMN_KINDS`), or ``"module:attr"`` of a function returning them.
    kinds: str | tuple[tuple[str, str], ...] = ()
    #: "Simulate production": rows per scenario, the drifted scenario's name and one line saying what it does,
    #: ``simulate(predictor, reference, scenario, n, version, rng) -> rows`` and ``predictor() -> Predictor``.
    simulated_rows: int = 0
    scenario: str = ""
    scenario_text: str = ""
    simulate: str = ""
    predictor: str = ""

    @property
    def drift(self) -> bool:
        """True when drift is judged (a reference sample is named)."""
        return bool(self.reference)

    def summarise(self, *raw: Any) -> dict[str, Any]:
        """The logged input summary of one prediction's raw inputs."""
        return import_name(self.summary)(*raw)

    def column_kinds(self) -> dict[str, str]:
        """Column -> ``num``/``cat`` of the drift reference."""
        return import_name(self.kinds)() if isinstance(self.kinds, str) else dict(self.kinds)


def read_monitoring(slug: str, table: dict[str, Any], path: Path) -> Monitoring:
    """A ``[monitoring]`` table as :class:`Monitoring` (a ValueError naming the file when it does not fit)."""
    kinds = table.get("kinds", {})
    monitoring = Monitoring(slug, **{**table, "kinds": kinds if isinstance(kinds, str) else tuple(kinds.items()),
                                     "latency_p95_ms": float(table.get("latency_p95_ms", 0.0))})
    if monitoring.reference and not monitoring.kinds:
        raise ValueError(f"{path}: [monitoring] names a reference but no column kinds")
    if not isinstance(monitoring.kinds, str) and (bad := {k for _, k in monitoring.kinds} - set(COLUMN_KINDS)):
        raise ValueError(f"{path}: [monitoring] kinds must be one of {COLUMN_KINDS}, not {sorted(bad)}")
    replay = (monitoring.simulate, monitoring.predictor, monitoring.scenario, monitoring.reference)
    if monitoring.simulate and not (all(replay) and monitoring.simulated_rows > 0):
        raise ValueError(f"{path}: [monitoring] simulate needs predictor, scenario, reference and simulated_rows > 0")
    return monitoring


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
    #: What Model health watches (its ``[monitoring]`` table); None: not monitored.
    monitoring: Monitoring | None = field(default=None, compare=False)

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
        watch = spec.pop("monitoring", None)
        monitoring = None if watch is None else read_monitoring(slug, watch, path)
        artifact = None if art is None else ModelArtifact(slug, tuple(art["files"]), art["loader"],
                                                          art.get("loading", "Loading the model…"))
        spec.setdefault("train_command", train_command(slug) if artifact else "")
        demo = Demo(**{**spec, "datasets": tuple(spec.get("datasets", ())),
                       "chapters": tuple(spec.get("chapters", {}).items())},
                    package=path.parent.name, artifact=artifact, monitoring=monitoring)
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
#: What Model health watches, by slug in navigation order: every demo with a ``[monitoring]`` table.
MONITORED: dict[str, Monitoring] = {d.slug: d.monitoring for d in DEMOS if d.monitoring is not None}


def unmonitored() -> tuple[Demo, ...]:
    """Demos that ship a card (a model, or RAG's evaluation) but have no ``[monitoring]`` table: the page names them."""
    return tuple(d for d in DEMOS if d.train_command and d.slug not in MONITORED)


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
