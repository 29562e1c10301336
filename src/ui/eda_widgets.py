"""Streamlit side of the EDA story: cached frames and chapters, the sidebar filter, and item drawing.

Chapters are cached per (chapter, filter, card version), so a filter change recomputes only the
chapter on screen; the HTML report is built only when the visitor clicks download.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from src.core import datasets
from src.eda import data, findings, report, stats, story
from src.eda.items import Alerts, Chapter, Item, Metrics, Note, Table
from src.ui.chrome import chapter_switcher
from src.ui.loader import load_card, version

_SEVERITY_BADGES = {"high": ":red-badge[high]", "medium": ":orange-badge[medium]", "low": ":blue-badge[low]",
                    "info": ":gray-badge[info]"}
_PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False}


@st.cache_data(show_spinner=False)
def _frames() -> tuple:
    """The published CSV and the prepared frame (a missing dataset raises and is not cached)."""
    raw = data.load_raw()
    return raw, data.prepare(raw)


def how_it_works() -> str:
    """The page's method note; chapter names and the rules' thresholds come from the code."""
    titles = [title.split("· ", 1)[-1].lower() for _, title in story.CHAPTERS.items()]
    level, effect = f"{stats.CONFIDENCE:.0%}", stats.effect_label(findings.MIN_EFFECT)
    return f"""{len(titles)} chapters, each with its own link: {", ".join(titles[:-1])} and {titles[-1]}.
**Every number in the text is computed from the data when the page runs** and written into
sentence templates, with the current filter named; each claim shows its test (chi-square or Mann-Whitney U)
and an effect size (Cramér's V, rank-biserial r, or a difference in rates with its {level} interval).

Findings come from rules in `src/eda/findings.py` (adjusted p < {findings.ALPHA} and at least a {effect} effect), not
from hand-picking; data-quality alerts from checks in `src/eda/quality.py`; segments from k-means on scaled tenure,
monthly charges and service count. The sidebar filter narrows every chapter, and the whole story downloads as
one HTML file that opens offline."""


# The churn card feeds the findings chapter's EDA-versus-SHAP table, so its version keys the caches.
@st.cache_data(show_spinner="Computing the chapter…", max_entries=64)
def _chapter(slug: str, flt: data.Filter, card_version: str) -> Chapter:
    raw, full = _frames()
    card = load_card("churn") if slug == "findings" else None
    return story.chapter(slug, story.Scope(raw, full, flt), card)


@st.cache_data(show_spinner=False, max_entries=8)
def _report(flt: data.Filter, card_version: str) -> str:
    raw, full = _frames()
    scope = story.Scope(raw, full, flt)
    source = ", ".join(f"{k} sha256 {v[:12]}…" for k, v in datasets.get("telco").checksums.items())
    return report.render(story.story(scope, load_card("churn")), "Why customers leave", scope.who, source)


def sidebar_filter(full) -> data.Filter:
    """Contract, internet service and senior status, in the sidebar."""
    with st.sidebar:
        st.markdown("**Filter the story**")
        contracts = st.multiselect("Contract", sorted(full["Contract"].unique()), key="eda_contract",
                                   placeholder="Any contract")
        internet = st.multiselect("Internet service", sorted(full["InternetService"].unique()), key="eda_internet",
                                  placeholder="Any internet service")
        senior = st.radio("Senior status", data.SENIOR_CHOICES, key="eda_senior", horizontal=False)
    return data.Filter(tuple(contracts), tuple(internet), senior)


def download_report(flt: data.Filter) -> None:
    """The whole story as one HTML file, built only when clicked."""
    card_version = version("churn")
    st.sidebar.download_button(
        "Download the story (HTML)", data=lambda: _report(flt, card_version), file_name="why-customers-leave.html",
        mime="text/html", icon=":material/download:", on_click="ignore",
        help=f"All {len(story.CHAPTERS)} chapters for the current filter, with interactive charts; opens offline.",
    )


def _draw(item: Item) -> None:
    if isinstance(item, str):
        st.markdown(item)
    elif isinstance(item, go.Figure):
        st.plotly_chart(item, theme=None, config=_PLOTLY_CONFIG)
    elif isinstance(item, Table):
        if item.caption:
            st.caption(item.caption)
        st.dataframe(item.formatted(), hide_index=True)
    elif isinstance(item, Metrics):
        for col, m in zip(st.columns(len(item.items)), item.items, strict=True):
            col.metric(m.label, m.value, help=m.help or None)
    elif isinstance(item, Alerts):
        for alert in item.alerts:
            with st.container(border=True):
                st.markdown(f"{_SEVERITY_BADGES[alert.severity]} **{alert.title}**")
                st.caption(alert.detail)
    elif isinstance(item, Note):
        (st.warning if item.tone == "warning" else st.info)(item.text, icon=":material/lightbulb:")


def render_story() -> None:
    """The whole page below the header: filter, chapter switcher, the chosen chapter, the download."""
    _, full = _frames()
    flt = sidebar_filter(full)
    slug = chapter_switcher("eda")
    kept = len(flt.apply(full))
    st.caption(f"Showing {flt.describe()}: {kept:,} of {len(full):,} customers.")
    if kept == 0:
        st.warning(story.empty_message(flt, len(full)), icon=":material/filter_alt_off:")
        return
    download_report(flt)
    for item in _chapter(slug, flt, version("churn")).items:
        _draw(item)
