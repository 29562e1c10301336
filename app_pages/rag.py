"""Ask this portfolio: chat with the project's own documents (layout only; logic in src/rag/)."""

from src.ui import rag_widgets as rw
from src.ui.chrome import model_card_panel, page_header, show_chapter

page_header(
    "rag",
    "Every question runs three retrievers over the README, the demo write-ups, the model cards and the owner's "
    "profile: **BM25** (words), **dense** all-MiniLM-L6-v2 embeddings in an embedded **Qdrant** store (meaning), "
    "and their **fusion** (z-scored scores, then a best-sentence rerank). The answer is **extracted**: "
    "the sentences of the passages that answer the "
    "question are quoted verbatim, each with its citation and whether it comes from your upload or this portfolio. "
    "The local **SmolLM2-135M** (llama.cpp) only writes a short lead, shown when it is **verified** (its numbers and "
    "names are in the cited passage, and the passage says it); what the model wrote stays visible, labelled "
    "unverified. When retrieval is weak, the page shows the closest passages instead of guessing. "
    "Live-prediction questions go to the churn and sentiment models as tools. Nothing leaves this machine.",
)
settings = rw.advanced_panel()


def documents(settings: rw.Settings) -> None:
    """Uploads, then the chunks of everything indexed."""
    rw.uploads()
    rw.chunk_viewer(rw.session_chunks(settings))


show_chapter("rag", {"chat": rw.chat, "documents": documents, "evaluation": rw.evaluation,
                     "feedback": lambda _settings: rw.feedback_summary()}, settings)

model_card_panel("rag")
