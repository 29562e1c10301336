"""Shared page chrome: header, chapters with their own URL, model-card panel, tiles and friendly errors.

This package is the only streamlit-aware code under ``src/``; everything it shows comes from
plain functions elsewhere in ``src/``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import streamlit as st

from src.core import demos
from src.core.cards import Card, Metric
from src.core.datasets import DataMissingError
from src.core.settings import MIRROR_ENV
from src.ui.loader import load_card, pitch

__all__ = ["card_details", "chapter_switcher", "chapters", "data_missing_panel", "error_panel", "guard",
           "load_card", "metric_tiles", "model_card_panel", "page_header", "run_chapter", "show_chapter"]

log = logging.getLogger("portfolio")


def page_header(slug: str, how_it_works: str) -> demos.Demo:
    """Title, one-line pitch and the "How it works" expander of a demo page."""
    demo = demos.get(slug)
    st.title(demo.title)
    st.markdown(f"##### {pitch(demo)}")
    with st.expander("How it works", icon=":material/info:"):
        st.markdown(how_it_works)
    return demo


def chapters(options: dict[str, str], *, key: str = "chapter") -> str:
    """A chapter switcher whose choice lives in the URL (``?chapter=slug``), so each chapter can be linked.

    Only the chosen chapter renders, which keeps reruns cheap.
    """
    slugs = list(options)
    wanted = st.query_params.get(key, slugs[0])
    default = wanted if wanted in slugs else slugs[0]
    choice = st.segmented_control(
        "Chapter", slugs, format_func=options.__getitem__, default=default, key=f"_{key}_control",
        label_visibility="collapsed",
    ) or default
    st.query_params[key] = choice
    return choice


def chapter_switcher(slug: str, *, key: str = "chapter") -> str:
    """The chapter switcher of a demo page, from the one registry (``src.core.demos``)."""
    return chapters(dict(demos.get(slug).chapters), key=key)


def run_chapter(slug: str, choice: str, renderers: Mapping[str, Callable[..., None]], *args: Any,
                data_tail: str | None = None) -> None:
    """The chosen chapter's renderer called with ``args``, inside :func:`guard`.

    ``renderers`` maps every chapter slug of the registry to a function; a page that forgets
    one (or names one the registry lacks) fails at once rather than showing a blank chapter.
    """
    demo = demos.get(slug)
    if set(renderers) != {s for s, _ in demo.chapters}:
        raise ValueError(f"{slug}: renderers {sorted(renderers)} do not match the chapters {demo.chapters}")
    with guard(f"the {demo.chapter_title(choice).lower()} chapter",
               data_tail=MODEL_STILL_WORKS if data_tail is None else data_tail):
        renderers[choice](*args)


def show_chapter(slug: str, renderers: Mapping[str, Callable[..., None]], *args: Any,
                 data_tail: str | None = None) -> str:
    """The switcher, then :func:`run_chapter` (pages that draw something in between call the two)."""
    choice = chapter_switcher(slug)
    run_chapter(slug, choice, renderers, *args, data_tail=data_tail)
    return choice


def metric_tiles(metrics: Sequence[Metric], columns: int = 4) -> None:
    """A row of metric tiles, each with its protocol as help text."""
    if not metrics:
        return
    cols = st.columns(min(columns, len(metrics)))
    for i, metric in enumerate(metrics):
        cols[i % len(cols)].metric(metric.name, metric.formatted(), help=metric.protocol or None)


def card_details(card: Card) -> None:
    """Every field of a card: metrics with protocol, data checksums, config, provenance, command."""
    metric_tiles(card.metrics[:4])
    st.dataframe(
        [{"metric": m.name, "value": m.formatted(), "protocol": m.protocol} for m in card.metrics],
        hide_index=True, width="stretch",
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Data**")
        for ref in card.data:
            st.markdown(f"- {ref.title}: {ref.source}")
            for rel, digest in ref.sha256.items():
                st.caption(f"`{rel}` sha256 `{digest}`")
        st.markdown("**Provenance**")
        st.markdown(
            f"- trained {card.created} in {card.duration_s:,.0f} s\n- on {card.hardware}\n"
            f"- git commit `{card.git_commit}`"
        )
        st.caption(", ".join(f"{k} {v}" for k, v in card.versions.items()))
    with right:
        st.markdown("**Training config**")
        st.json(card.config, expanded=False)
        st.markdown("**Reproduce**")
        st.code(card.command, language="bash")


def model_card_panel(slug: str) -> Card | None:
    """The demo's model card in an expander, or the command that creates it."""
    demo = demos.get(slug)
    card = load_card(slug)
    with st.expander("Model card", icon=":material/description:"):
        if card is None:
            st.info(f"No trained model is committed yet. Create it with:\n\n`{demo.train_command}`")
        else:
            card_details(card)
    return card


MODEL_STILL_WORKS = "Everything that runs from the committed model still works below."


def data_missing_panel(exc: DataMissingError, tail: str = MODEL_STILL_WORKS) -> None:
    """A friendly panel for pages whose data has not been fetched; ``tail`` says what still works."""
    st.info(
        f"**The {exc.name} dataset is not on this machine yet**, so this part of the page is hidden.\n\n"
        f"Fetch and verify it with `{exc.command}` (or `make data`), or point `{MIRROR_ENV}` at an offline "
        f"mirror. {tail}".rstrip(),
        icon=":material/cloud_download:",
    )


def error_panel(message: str, exc: BaseException | None = None) -> None:
    """A clear message instead of a traceback; the exception and its traceback go to the server log only.

    Raw exception text can hold paths, library internals or echoed input, so visitors never see it (issue 16 #7).
    """
    if exc is not None:
        log.exception("handled error: %s", message, exc_info=exc)
    st.error(f"{message} The details are in the server log.", icon=":material/error:")


@contextlib.contextmanager
def guard(what: str, *, data_tail: str = MODEL_STILL_WORKS) -> Iterator[None]:
    """Render a block; a missing dataset shows the data panel, any other error a friendly message."""
    try:
        yield
    except DataMissingError as exc:
        data_missing_panel(exc, data_tail)
    except Exception as exc:  # the last line of defence: visitors never see a traceback
        error_panel(f"Sorry, {what} failed to load.", exc)
