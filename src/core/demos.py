"""The demos: what each shows, what it needs, its chapters, and where its best moment lives.

Home, every demo page (its chapter switcher), the model-cards page, the RAG corpus and the
chapter bench all read this one list, so adding a demo means adding one entry here (plus, for a
model demo, its ``src.core.contract.MODELS`` entry) and one file in ``app_pages/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.core import datasets
from src.core.contract import CARD_FILE, train_command
from src.core.settings import lookup, model_dir


@dataclass(frozen=True)
class Demo:
    """One demo of the portfolio."""

    slug: str
    title: str
    icon: str
    pitch: str
    shows: str
    #: Datasets the page needs for its data-driven parts.
    datasets: tuple[str, ...]
    #: The command that writes ``models/<slug>/``; empty when the demo has no trained artifact.
    train_command: str
    #: The chapter of the page that is the best 10 seconds of the demo, and what to look at.
    tour_chapter: str
    tour_hint: str
    #: The page's chapters in reading order: (URL slug, title). Each is linkable as ``?chapter=slug``.
    chapters: tuple[tuple[str, str], ...] = ()

    @property
    def url_path(self) -> str:
        """The page's URL path."""
        return self.slug

    @property
    def page(self) -> str:
        """The page file, relative to the repository root."""
        return f"app_pages/{self.slug}.py"

    @property
    def has_artifact(self) -> bool:
        """True when the committed model card exists."""
        return (model_dir(self.slug) / CARD_FILE).is_file()

    def chapter_title(self, slug: str) -> str:
        """The title of one chapter."""
        return dict(self.chapters)[slug]


@dataclass(frozen=True)
class Status:
    """What a demo has and, when something is missing, the command that fixes it."""

    ok: bool
    label: str
    fixes: tuple[str, ...]


DEMOS: tuple[Demo, ...] = (
    Demo(
        slug="eda",
        title="Why customers leave",
        icon=":material/insights:",
        pitch="A data story on 7,043 telecom customers where every number is computed live.",
        shows="Data-quality alerts, churn rates with confidence intervals, segments and ranked findings.",
        datasets=("telco",),
        train_command="",
        tour_chapter="findings",
        tour_hint="the ranked findings, each with its test statistic",
        chapters=(("question", "1 · The question"), ("quality", "2 · Data quality"), ("who-leaves", "3 · Who leaves"),
                  ("money", "4 · Money"), ("segments", "5 · Segments"), ("findings", "6 · Findings")),
    ),
    Demo(
        slug="churn",
        title="Churn model + SHAP",
        icon=":material/trending_down:",
        pitch="A cross-validated churn model you can interrogate: why this customer, and what would keep them.",
        shows="Leaderboard, profit-optimal threshold, SHAP drivers, what-if and counterfactual retention offers.",
        datasets=("telco",),
        train_command=train_command("churn"),
        tour_chapter="customer",
        tour_hint="one customer's SHAP waterfall and the smallest change that keeps them",
        chapters=(("performance", "Performance"), ("drivers", "What drives churn"), ("customer", "One customer"),
                  ("action", "Retention action"), ("batch", "Batch scoring"), ("fairness", "Fairness")),
    ),
    Demo(
        slug="vision",
        title="CIFAR-10 CNN",
        icon=":material/image_search:",
        pitch="A CNN trained on a 2-core CPU, with Grad-CAM, calibrated confidence and a robustness lab.",
        shows="Top-k with temperature scaling, Grad-CAM, 'not one of the 10 classes' rejection, noise and FGSM.",
        datasets=("cifar10",),
        train_command=train_command("vision"),
        tour_chapter="robustness",
        tour_hint="drag the noise slider and watch the label flip",
        chapters=(("classify", "Classify"), ("robustness", "Robustness lab"), ("report", "Model report")),
    ),
    Demo(
        slug="sentiment",
        title="Sentiment analysis",
        icon=":material/sentiment_satisfied:",
        pitch="A fine-tuned MiniLM against honest baselines, with attributions and behaviour tests.",
        shows="Three models side by side, token attributions, long-text chunking and a behaviour test suite.",
        datasets=("sst2",),
        train_command=train_command("sentiment"),
        tour_chapter="behaviour",
        tour_hint="the behaviour tests: negation, contrast and entity swaps",
        chapters=(("analyse", "Analyse text"), ("why", "Why"), ("long", "Long text"), ("batch", "Batch"),
                  ("behaviour", "Behaviour tests"), ("report", "Model report")),
    ),
    Demo(
        slug="rag",
        title="Ask this portfolio",
        icon=":material/forum:",
        pitch="Chat with the project's own documents: hybrid retrieval, cited answers from a local model.",
        shows="BM25 + dense + fusion, a retrieval inspector, sentence-level citations and a faithfulness score.",
        datasets=(),
        train_command="python -m src.rag.evaluate",
        tour_chapter="chat",
        tour_hint="ask 'how was the churn model validated?' and open the citations",
        chapters=(("chat", "Chat"), ("documents", "Documents & chunks"), ("evaluation", "Evaluation"),
                  ("feedback", "Feedback")),
    ),
    Demo(
        slug="model_health",
        title="Model health",
        icon=":material/monitor_heart:",
        pitch="What happens after deployment: tracked runs, a gated registry, live traffic, drift and alerts.",
        shows="MLflow runs and registry, a champion/challenger gate, Evidently-style drift tests, CBPE estimates.",
        datasets=("telco", "sst2", "cifar10"),
        train_command="",
        tour_chapter="drift",
        tour_hint="press 'Simulate production', then see the price rise flagged in MonthlyCharges and Contract",
        chapters=(("traffic", "Traffic"), ("drift", "Drift"), ("performance", "Performance"),
                  ("runs", "Runs & registry")),
    ),
)


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
