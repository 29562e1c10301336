"""The landing page: hero, one card per demo, the 60-second tour and the tech stack.

Everything personal comes from ``portfolio.toml``; every metric comes from a model card.
"""

from __future__ import annotations

import functools

import streamlit as st

from src.core import demos
from src.core.settings import ROOT, portfolio
from src.ui.chrome import load_card
from src.ui.loader import pitch


def _hero(owner: dict[str, str]) -> None:
    st.title(owner["name"])
    st.markdown(f"### {owner['headline']}")
    st.markdown(owner["about"])
    if owner.get("location"):
        st.caption(owner["location"])
    links = st.columns([1, 1, 1, 1, 4])
    links[0].link_button("GitHub", owner["github"], icon=":material/code:", width="stretch")
    links[1].link_button("LinkedIn", owner["linkedin"], icon=":material/work:", width="stretch")
    links[2].link_button("Email", f"mailto:{owner['email']}", icon=":material/mail:", width="stretch")
    resume = ROOT / owner["resume"] if owner.get("resume") else None
    if resume is not None and resume.is_file() and resume.suffix.lower() == ".pdf":
        links[3].download_button("Résumé", resume.read_bytes(), file_name=resume.name, mime="application/pdf",
                                 icon=":material/download:", width="stretch")


def _demo_card(demo: demos.Demo) -> None:
    with st.container(border=True, height="stretch"):
        st.markdown(f"#### {demo.icon} {demo.title}")
        st.markdown(pitch(demo))
        st.caption(demo.shows)
        card = load_card(demo.slug)
        if card is not None:
            head = card.headline
            st.metric(head.name, head.formatted(), help=head.protocol or None)
        elif demo.train_command:
            st.caption("The headline metric appears here once the model is trained.")
        status = demos.status(demo)
        if status.ok:
            st.success(status.label, icon=":material/check_circle:")
        else:
            st.warning(status.label, icon=":material/build:")
            st.code("\n".join(status.fixes), language="bash", wrap_lines=True)
        st.page_link(f"app_pages/{demo.slug}.py", label="Open the demo", icon=":material/arrow_forward:")


def _provenance_card() -> None:
    """The sixth tile: how every figure above can be checked and reproduced."""
    trained = [d for d in demos.DEMOS if load_card(d.slug) is not None]
    with st.container(border=True, height="stretch"):
        st.markdown("#### :material/verified: Check every number")
        st.markdown("Each model ships with a card its training run wrote, never a number typed into a page.")
        st.caption("Metrics with their protocol, data sha256, config, duration, library versions, git commit "
                   "and the command that reproduces it.")
        st.metric("model cards", f"{len(trained)} of {sum(1 for d in demos.DEMOS if d.train_command)}")
        st.code("make run   # serve\nmake test  # all tests", language="bash")
        st.page_link("app_pages/model_cards.py", label="Open the model cards", icon=":material/arrow_forward:")


def _tour() -> None:
    st.markdown("## The 60-second tour")
    st.caption("Each link opens the chapter of a demo that shows it best.")
    for i, demo in enumerate(demos.DEMOS, 1):
        st.page_link(f"app_pages/{demo.slug}.py", label=f"{i}. {demo.title}: {demo.tour_hint}", icon=demo.icon,
                     query_params={"chapter": demo.tour_chapter})


def _stack(stack: dict[str, list[str]]) -> None:
    st.markdown("## Tech stack")
    cols = st.columns(len(stack))
    for col, (group, tools) in zip(cols, stack.items(), strict=True):
        col.markdown(f"**{group}**")
        col.markdown(" ".join(f":blue-badge[{tool}]" for tool in tools))


def render() -> None:
    """Draw the landing page."""
    config = portfolio()
    _hero(config["owner"])
    st.divider()
    st.markdown(f"## {len(demos.DEMOS)} end-to-end demos")
    st.caption("Each metric is read live from the model card its training run wrote.")
    tiles = [*(functools.partial(_demo_card, demo) for demo in demos.DEMOS), _provenance_card]
    for start in range(0, len(tiles), 3):
        for col, tile in zip(st.columns(3), tiles[start:start + 3], strict=False):
            with col:
                tile()
    st.divider()
    _tour()
    _stack(config["stack"])
