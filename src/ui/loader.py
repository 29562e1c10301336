"""One cached loader for every demo's model and card, keyed on the artifact's version.

The version is :func:`src.core.contract.card_version`, a hash of the card that every training
run rewrites, so a retrained model shows up without a restart and one key serves every cache
that depends on the artifact (predictor, card, figures built from stored predictions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from src.core import cards, contract
from src.core.cards import Card
from src.core.contract import ModelMissingError
from src.core.settings import model_dir
from src.ui import background


def version(demo: str) -> str:
    """The demo's artifact version (``untrained`` when it has no card); cheap: one ``stat`` when unchanged."""
    return contract.card_version(model_dir(demo))


def _job(demo: str, artifact_version: str) -> tuple[str, Callable[[], Any]]:
    return f"model:{demo}:{artifact_version}", functools.partial(contract.load, demo)


@st.cache_resource(show_spinner=False, max_entries=16)
def _model(demo: str, artifact_version: str) -> Any:
    # The version is only a cache key: a new card means new weights, so the old entry is dropped.
    # The load itself is the background job that preload() may have started: one copy of the model.
    name, load = _job(demo, artifact_version)
    return background.wait(name, load, group=f"model:{demo}:", keep=1)


@st.cache_data(show_spinner=False, max_entries=32)
def _card(demo: str, artifact_version: str) -> Card | None:
    return cards.load_card(demo)


def load_card(demo: str) -> Card | None:
    """The demo's committed card, or None; cached until training rewrites it."""
    return _card(demo, version(demo))


class _CardExtras(dict):
    """``{slug[key]}`` in a demo's prose: the ``extra[key]`` its training run wrote into that demo's card."""

    def __missing__(self, slug: str) -> dict[str, Any]:
        card = load_card(slug)
        if card is None:
            raise KeyError(slug)
        return card.extra


def pitch(demo: Any) -> str:
    """The demo's one-line pitch with its figures read from the cards that hold them (never retyped).

    A field such as ``{churn[rows]:,}`` in ``demo.toml`` is the churn card's ``extra.rows``. Without
    that card the field is left out, so the sentence still reads ("a data story on telecom customers").
    """
    try:
        return demo.pitch.format_map(_CardExtras())
    except (KeyError, IndexError, ValueError):
        return re.sub(r"\{[^{}]*\}\s*", "", demo.pitch)


def model_missing_panel(exc: ModelMissingError) -> None:
    """The one "no model yet" panel: what is missing and the command that trains it."""
    st.info(f"**No trained {exc.demo} model yet.** Create it with:\n\n`{exc.command}`",
            icon=":material/model_training:")


def model_ready(demo: str, *, panel: bool = True) -> bool:
    """True when the demo's artifact is complete, without loading it (pages that draw stored figures first).

    With ``panel`` the missing model is explained with :func:`model_missing_panel`.
    """
    try:
        contract.get(demo).require()
        return True
    except ModelMissingError as exc:
        if panel:
            model_missing_panel(exc)
        return False


def preload(demo: str) -> None:
    """Start loading the demo's model in the background, once the page is drawn; returns at once.

    The page's first screen came from stored figures; the visitor's first own input then finds the
    model loaded (or waits only for the rest of the load) instead of paying for it from scratch.
    """
    if model_ready(demo, panel=False):
        background.start(*_job(demo, version(demo)), group=f"model:{demo}:", keep=1)


def load_model(demo: str, *, panel: bool = True) -> Any | None:
    """The demo's predictor, shared by every session (read-only); None when it is not trained.

    With ``panel`` the missing model is explained with :func:`model_missing_panel`. The spinner
    shows only on a first load: Streamlit delays it by half a second, which a cache hit never reaches.
    """
    artifact = contract.get(demo)
    try:
        artifact.require()
        with st.spinner(artifact.loading):
            return _model(demo, artifact.version())
    except ModelMissingError as exc:
        if panel:
            model_missing_panel(exc)
        return None
