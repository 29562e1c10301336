"""Ask this portfolio: chat with the project's own documents (layout only; logic in src/rag/)."""

from src.ui import rag_widgets as rw
from src.ui.chrome import chapters, guard, model_card_panel, page_header

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
chapter = chapters({"chat": "Chat", "documents": "Documents & chunks", "evaluation": "Evaluation",
                    "feedback": "Feedback"})

with guard("the chat"):
    if chapter == "chat":
        rw.chat(settings)
    elif chapter == "documents":
        rw.uploads()
        rw.chunk_viewer(rw.session_index(settings))
    elif chapter == "evaluation":
        rw.evaluation(settings)
    else:
        rw.feedback_summary()

model_card_panel("rag")
