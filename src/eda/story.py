"""The six chapters of the story, written from the numbers at run time.

Every sentence is a template in ``src/eda/chapters/<slug>.py`` filled with values computed from
the frame in scope (:mod:`src.eda.scope`), and names the current filter; the wording helpers are
in :mod:`src.eda.words`. A chapter is a list of items (:mod:`src.eda.items`: markdown, figures,
tables, alerts) that both the page and the HTML report know how to draw. Chapter slugs and titles
come from the one chapter registry, ``src.core.demos``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from src.core import demos
from src.core.cards import Card
from src.eda.chapters import findings, money, quality, question, segments, who_leaves
from src.eda.items import Alerts, Chapter, Item, Metric, Metrics, Note, Table
from src.eda.scope import Scope, empty_message

__all__ = ["BUILDERS", "CHAPTERS", "Alerts", "Chapter", "Item", "Metric", "Metrics", "Note", "Scope", "Table",
           "chapter", "empty_message", "story"]

_MODULES: tuple[ModuleType, ...] = (question, quality, who_leaves, money, segments, findings)
#: The chapters in reading order: URL slug -> title. "findings" is the Home tour's target.
CHAPTERS: dict[str, str] = dict(demos.get("eda").chapters)
#: URL slug -> ``build(scope, card) -> Chapter``.
BUILDERS: dict[str, Callable[[Scope, Card | None], Chapter]] = {m.SLUG: m.build for m in _MODULES}
if list(BUILDERS) != list(CHAPTERS):  # the registry and the modules must name the same chapters
    raise RuntimeError(f"EDA chapters {list(BUILDERS)} do not match the registry {list(CHAPTERS)}")


def chapter(slug: str, scope: Scope, card: Card | None = None) -> Chapter:
    """One chapter by URL slug (``card``: the churn model's, used by the findings chapter)."""
    return BUILDERS[slug](scope, card)


def story(scope: Scope, card: Card | None = None) -> list[Chapter]:
    """All six chapters, in order (for the report)."""
    return [chapter(slug, scope, card) for slug in CHAPTERS]
