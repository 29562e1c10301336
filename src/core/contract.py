"""The demo contract: what every model demo provides, written once.

A model demo is a folder ``src/<demo>/`` that fills this contract:

* **artifact**: ``models/<demo>/`` holds the weights (the files its ``demo.toml`` lists under
  ``[artifact]``, a :class:`ModelArtifact`) and the card :data:`CARD_FILE`, written atomically by
  ``src.core.cards.artifact_writer``;
* **load**: ``load(folder) -> Predictor`` (:data:`Loader`), a callable named ``"module:attr"`` in its
  :class:`ModelArtifact`; it needs nothing but the folder (imported lazily, so listing the demos
  never imports torch). Every model demo names ``Predictor.from_artifact``, with one signature:
  ``from_artifact(folder: Path = models/<demo>, *, <keyword-only options such as backend>)``
  (:func:`check_loader` holds a loader to it);
* **missing model**: one :class:`ModelMissingError`, whose message names the command that trains it;
* **version**: :func:`card_version`, a short hash of the card (the model version MLOps logs);
* **training**: ``python -m src.<demo>.train``, a Typer command whose options are built from the
  module's ``TrainConfig`` dataclass, with ``--smoke`` and ``--out DIR``: ``app = train_app(demo,
  TrainConfig, run)`` (:mod:`src.core.cli`), the run wrapped in ``src.core.tracking.track_run``.

A new demo is a new folder filling this, with a ``demo.toml`` (discovered by :mod:`src.core.demos`,
which builds ``MODELS`` from it), and one page file.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from src.core.settings import lookup, model_dir

#: The model card, Hugging Face layout (YAML front matter + markdown), in every artifact folder.
CARD_FILE = "README.md"
#: JSON config a torch demo needs to rebuild its network (vision, sentiment).
CONFIG_FILE = "config.json"
#: torch weights (vision).
WEIGHTS_FILE = "model.safetensors"
#: A fitted scikit-learn pipeline, loaded by skops with an allow-list of types (churn).
SKOPS_FILE = "model.skops"
#: Out-of-fold predictions stored beside the churn model for the page's curves.
OOF_FILE = "oof.npz"
#: The sentiment demo's TF-IDF baseline and its fine-tuned transformer's weight folder.
LINEAR_FILE = "linear.joblib"
ADAPTER_DIR = "transformer"
#: What :func:`card_version` returns for a folder with no card.
NO_VERSION = "untrained"


def train_command(demo: str) -> str:
    """The command that writes ``models/<demo>/`` (every model demo has one ``train`` module)."""
    return f"python -m src.{demo}.train"


class ModelMissingError(FileNotFoundError):
    """No trained model in the artifact folder; the message names the command that makes one."""

    def __init__(self, demo: str, folder: Path | None = None, command: str | None = None, detail: str = "") -> None:
        self.demo = demo
        self.folder = Path(folder) if folder is not None else model_dir(demo)
        self.command = command or train_command(demo)
        message = f"No trained {demo} model in {self.folder}. Create it with `{self.command}`."
        super().__init__(f"{message} {detail}".strip())


class Predictor(Protocol):
    """What a demo's ``load(folder)`` returns: anything with a ``predict``-style API of its own.

    The contract only fixes how it is built (from the folder alone) and that it is read-only
    after loading, so the UI may share one instance between sessions (``st.cache_resource``).
    """


#: A demo's ``load(folder) -> Predictor`` (its ``Predictor.from_artifact``).
Loader = Callable[[Path], Predictor]


def check_loader(fn: Callable[..., Any], name: str = "loader") -> Loader:
    """``fn`` itself when it fits :data:`Loader`: one positional parameter ``folder``, anything else keyword-only.

    Raises ``TypeError`` naming what does not fit, so a new demo learns the rule when it is wired in.
    """
    params = list(inspect.signature(fn).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if [p.name for p in positional] != ["folder"]:
        raise TypeError(f"{name} must take one positional parameter named 'folder' (then keyword-only options), "
                        f"not ({', '.join(p.name for p in positional)})")
    return fn


def import_name(ref: str) -> Any:
    """The object a ``"module:attr"`` (``attr`` may be dotted) names, imported now: demo specs name
    their code this way so that listing the demos imports none of it."""
    module, _, attr = ref.partition(":")
    target: Any = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


@functools.lru_cache(maxsize=64)
def _hash_card(path: str, mtime_ns: int, size: int) -> str:
    # Keyed on the file's stat, so repeated calls (one per logged prediction) cost one stat().
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def card_version(folder: Path) -> str:
    """Short sha256 of the folder's card: the model version (changes whenever training rewrites it).

    Returns :data:`NO_VERSION` when the folder has no card.
    """
    path = Path(folder) / CARD_FILE
    try:
        stat = path.stat()
    except OSError:
        return NO_VERSION
    return _hash_card(str(path), stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class ModelArtifact:
    """One model demo's side of the contract: its files, loader and training command."""

    demo: str
    #: Files (or folders) that must exist beside the card for :meth:`load` to work.
    files: tuple[str, ...]
    #: ``"module:attr"`` of ``load(folder) -> Predictor``; imported only when a model is loaded.
    loader: str
    #: What the UI says while the model loads for the first time.
    loading: str = "Loading the model…"

    @property
    def folder(self) -> Path:
        """The committed artifact folder ``models/<demo>/``."""
        return model_dir(self.demo)

    @property
    def command(self) -> str:
        """The training command that writes the folder."""
        return train_command(self.demo)

    def where(self, folder: Path | None = None) -> Path:
        """``folder``, or the committed one when it is None (every method below takes either)."""
        return Path(folder) if folder is not None else self.folder

    def missing(self, folder: Path | None = None) -> list[str]:
        """The required files (card included) that are not in the folder."""
        return [name for name in (CARD_FILE, *self.files) if not (self.where(folder) / name).exists()]

    def require(self, folder: Path | None = None) -> Path:
        """The folder, or :class:`ModelMissingError` naming what is missing and the command."""
        if missing := self.missing(folder):
            raise ModelMissingError(self.demo, self.where(folder), self.command, f"(missing: {', '.join(missing)})")
        return self.where(folder)

    def version(self, folder: Path | None = None) -> str:
        """:func:`card_version` of the folder."""
        return card_version(self.where(folder))

    def load_function(self) -> Loader:
        """The demo's ``load(folder)`` (imports the demo's predict module), checked by :func:`check_loader`."""
        return check_loader(import_name(self.loader), self.loader)

    def load(self, folder: Path | None = None) -> Predictor:
        """Check the files, then build the predictor from the folder alone."""
        return self.load_function()(self.require(folder))


def __getattr__(name: str) -> Any:
    # ``contract.MODELS`` is the registry ``src.core.demos`` discovers from each demo's
    # ``demo.toml``; imported on first use because ``demos`` itself builds on this module.
    if name == "MODELS":
        from src.core.demos import MODELS

        return MODELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get(demo: str) -> ModelArtifact:
    """A demo's artifact contract, with the list of demos that have one when it is unknown."""
    from src.core.demos import MODELS  # not at the top: demos builds on this module

    return lookup(MODELS, demo, "demo with a trained artifact")


def load(demo: str, folder: Path | None = None) -> Predictor:
    """Load a demo's predictor from ``folder`` (default ``models/<demo>/``)."""
    return get(demo).load(folder)
