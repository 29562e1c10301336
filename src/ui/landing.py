"""The landing page: hero, one card per demo, the 60-second tour and the tech stack.

Everything personal comes from ``portfolio.toml``; every metric comes from a model card.
"""

from __future__ import annotations

import streamlit as st

from src.core import demos
from src.core.settings import ROOT, portfolio
from src.ui.chrome import load_card


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
        st.markdown(demo.pitch)
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
        st.page_link(f"pages/{demo.slug}.py", label="Open the demo", icon=":material/arrow_forward:")


def _tour() -> None:
    st.markdown("## The 60-second tour")
    st.caption("Each link opens the chapter of a demo that shows it best.")
    for i, demo in enumerate(demos.DEMOS, 1):
        st.page_link(f"pages/{demo.slug}.py", label=f"{i}. {demo.title}: {demo.tour_hint}", icon=demo.icon,
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
    st.markdown("## Five end-to-end demos")
    st.caption("Each metric is read live from the model card its training run wrote.")
    for row in (demos.DEMOS[:3], demos.DEMOS[3:]):
        for col, demo in zip(st.columns(3), row, strict=False):
            with col:
                _demo_card(demo)
    st.divider()
    _tour()
    _stack(config["stack"])
