"""Streamlit parts of the RAG page: cached resources, the chat, citations, inspector, uploads and feedback.

The logic lives in ``src/rag/``; this module only draws it and keeps per-session state
(messages, uploaded documents) in ``st.session_state``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from src.core.cards import load_card
from src.core.markdown import escape
from src.mlops import hooks
from src.rag import corpus, documents
from src.rag.chat import Assistant, Turn
from src.rag.chunking import DEFAULT_OVERLAP, DEFAULT_SIZE, Chunk, ChunkSettings, chunk_document, chunk_documents
from src.rag.embed import Embedder
from src.rag.feedback import DEFAULT_DB, FeedbackStore
from src.rag.generate import BackendConfig, GenerationError, Generator, make_generator
from src.rag.generate_queue import waiting_message
from src.rag.injection import classifier
from src.rag.retrieve import MODES, RERANK_DEPTH, Hit, Index
from src.ui import background
from src.ui.chrome import error_panel

log = logging.getLogger("portfolio.rag")
FEEDBACK_DB_ENV = "RAG_FEEDBACK_DB"
#: Questions one visitor may have waiting; a further one is refused with a message, never dropped silently.
MAX_QUEUED = 5
EXAMPLES = (
    "How was the churn model validated?",
    "What architecture does the CIFAR-10 CNN use?",
    "What is the churn risk of a month-to-month customer with 2 months tenure?",
    "Is this review positive: the plot was thin but the acting carried it",
)


# --- cached resources (shared by every session, read-only) ------------------------------------


def embedder() -> Embedder:
    """The shared embedding model (loaded once per server, in the background when a page started it)."""
    return background.wait("rag:embedder", Embedder)


def _index_job(settings: ChunkSettings) -> tuple[str, Callable[[], Index]]:
    # the key hashes every source file, so an edited document gives a new job (and disk file)
    key = corpus.corpus_key(corpus.default_documents(), settings, Embedder.name)
    name = f"rag:index:{key}"

    def load() -> Index:
        return corpus.load_or_build(corpus.default_documents(), settings, embedder())[0]

    background.start(name, load, group="rag:index:", keep=4)
    return name, load


def default_index(settings: ChunkSettings) -> Index:
    """The default corpus index (from the disk cache when no source changed), loaded once per setting."""
    name, load = _index_job(settings)
    waiting = contextlib.nullcontext() if background.ready(name) else st.spinner(
        "Loading the embedding model and the index of the portfolio's documents (first visit after a restart)…")
    with waiting:
        return background.wait(name, load)


def _generator_job(config: BackendConfig) -> tuple[str, Callable[[], Generator]]:
    # hashed: the URL and key may hold credentials, and job names reach thread names and the log
    name = f"rag:generator:{hash((config.kind, config.gguf_path, config.base_url, config.model, config.api_key))}"

    def load() -> Generator:
        return make_generator(config)

    background.start(name, load, group="rag:generator:", keep=3)
    return name, load


def _classifier() -> None:
    classifier(embedder())


def warm_up(settings: Settings, config: BackendConfig) -> bool:
    """Start loading everything a first question needs, in the background; returns at once.

    Called once the chat is drawn, so the page shows immediately; a question asked before the
    load finishes waits for what is left, under a spinner. Returns True when all of it is loaded.
    """
    names = [_index_job(settings.chunks)[0], _generator_job(config)[0]]
    background.start("rag:classifier", _classifier)
    return all(background.ready(n) for n in [*names, "rag:classifier"])


def backend_config() -> BackendConfig:
    """From ``st.secrets["rag"]`` when present, else the environment."""
    try:
        secrets = dict(st.secrets.get("rag", {}))
    except Exception:  # no secrets.toml at all is the normal case
        secrets = {}
    return BackendConfig.from_sources(secrets=secrets)


def generator(config: BackendConfig) -> Generator | None:
    """The configured generator, or None with a message when it can't load."""
    try:
        return background.wait(*_generator_job(config))
    except GenerationError as exc:
        st.warning(f"The language model is unavailable: {exc} Retrieval still works.", icon=":material/warning:")
        return None


@st.cache_resource
def feedback_store(path: str) -> FeedbackStore:
    return FeedbackStore(path)


def feedback() -> FeedbackStore:
    return feedback_store(os.environ.get(FEEDBACK_DB_ENV) or str(DEFAULT_DB))


# --- settings and session state ----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the Advanced panel controls."""

    chunks: ChunkSettings
    mode: str
    k: int


def advanced_panel() -> Settings:
    """Chunking and retrieval settings in the sidebar."""
    with st.sidebar.expander("Advanced", icon=":material/tune:"):
        size = st.slider("Chunk size (characters)", 300, 1500, DEFAULT_SIZE, 50, key="rag_size",
                         help="Longest chunk body. Chunks never cross a heading.")
        overlap = st.slider("Chunk overlap (characters)", 0, 300, DEFAULT_OVERLAP, 10, key="rag_overlap",
                            help="Whole sentences repeated from the end of the previous chunk of the same section.")
        overlap = min(overlap, size // 2 - 1)
        mode = st.radio("Retriever", MODES, key="rag_mode", horizontal=True,
                        help="Hybrid adds BM25 and dense z-scored scores, then reranks the top "
                             f"{RERANK_DEPTH} by best sentence.")
        k = st.slider("Passages retrieved", 3, 10, 5, key="rag_k")
        st.caption(f"Generator: {backend_config().describe()}. To use another model, set `RAG_LLM_BASE_URL`, "
                   "`RAG_LLM_MODEL` and `RAG_LLM_API_KEY` (any OpenAI-compatible server) or `RAG_GGUF_PATH` "
                   "(a local GGUF file), in the environment or in the `[rag]` table of `.streamlit/secrets.toml`.")
    return Settings(ChunkSettings(size, overlap), mode, k)


def _state() -> Any:
    st.session_state.setdefault("rag_messages", [])
    st.session_state.setdefault("rag_queue", [])  # asked, not yet answered (oldest first)
    st.session_state.setdefault("rag_uploads", {})  # name -> Document
    st.session_state.setdefault("rag_seen_files", set())
    return st.session_state


def session_index(settings: Settings) -> Index:
    """The default index plus this session's uploads (rebuilt only when either changes)."""
    base = default_index(settings.chunks)
    uploads = _state()["rag_uploads"]
    if not uploads:
        return base
    key = (id(base), tuple(sorted((name, doc.sha256) for name, doc in uploads.items())))
    cached = st.session_state.get("rag_session_index")
    if cached and cached[0] == key:
        return cached[1]
    chunks = [c for doc in uploads.values() for c in chunk_document(doc, settings.chunks)]
    with st.spinner("Indexing your documents…"):
        index = base.extend(chunks)
    st.session_state["rag_session_index"] = (key, index)
    return index


# --- rendering one answer ----------------------------------------------------------------------

# Model, document and visitor text is shown as text, never as markdown (src.core.markdown.escape).


def _badges(citation: int | None, provenance: str) -> str:
    if citation is None:
        return ""
    colour = "violet" if provenance == "from your upload" else "gray"
    return f" :blue-badge[{citation}] :{colour}-badge[{provenance}]"


def shown_markdown(turn: Turn) -> str:
    """The verified answer: the lead, connective notes in italics, and each fact as a cited quote."""
    if turn.shown is None or not turn.shown.sentences:
        return escape(turn.answer)
    blocks = []
    for s in turn.shown.sentences:
        if s.kind == "lead":
            blocks.append(escape(s.text) + _badges(s.citation, s.provenance))
        elif s.kind == "note":
            blocks.append(f"_{escape(s.text)}_")
        else:
            tag = " :orange-badge[conflicting claim]" if s.role == "conflict" else ""
            blocks.append(f"- “{escape(s.text)}”{_badges(s.citation, s.provenance)}{tag}")
    # quotes are list items of one list; a note or the lead starts a new paragraph
    text = blocks[0]
    for before, block in itertools.pairwise(blocks):
        text += ("\n" if before.startswith("- ") and block.startswith("- ") else "\n\n") + block
    return text


def _raw_markdown(turn: Turn) -> str:
    if turn.attribution is None or not turn.attribution.sentences:
        return escape(turn.raw) or "_(the model wrote nothing)_"
    parts = []
    for s in turn.attribution.sentences:
        text = escape(s.text)
        if s.note == "abstains":
            parts.append(text)
        elif s.supported:
            parts.append(f"{text} :green-badge[verified against {s.citation}]")
        else:
            kept = f" :green-badge[first clause kept: {escape(s.kept)}]" if s.kept else ""
            parts.append(f"{text} :orange-badge[:material/warning: not verified: {escape(s.note)}]{kept}")
    return " ".join(parts)


def _faithfulness_line(turn: Turn) -> None:
    shown = turn.shown
    if shown is None:
        return
    score = shown.faithfulness
    if score is None:
        st.caption("Faithfulness: n/a (nothing in the passages answers this).")
        return
    claims = shown.claims
    colour = "green" if score >= 0.999 else "orange" if score >= 0.5 else "red"
    st.markdown(
        f":{colour}-badge[Faithfulness {score:.0%}] {sum(s.verified for s in claims)} of {len(claims)} sentences "
        "shown are verified: every number and name appears in the cited passage, and the passage says it.")


def _raw_generation(turn: Turn) -> None:
    with st.expander("What the model wrote (unverified)", icon=":material/smart_toy:"):
        st.caption("The language model's own text, checked sentence by sentence. Only sentences that pass are "
                   "shown in the answer above; the rest are replaced by the passage's own words or dropped.")
        if turn.error:
            st.caption(escape(turn.error))
        st.markdown(_raw_markdown(turn))


def _passage_popovers(turn: Turn) -> None:
    if not turn.evidence:
        return
    cols = st.columns(len(turn.evidence))
    for col, ev in zip(cols, turn.evidence, strict=True):
        icon = ":material/upload_file:" if ev.from_upload else ":material/description:"
        label = escape(f"[{ev.number}] {ev.chunk.source.rsplit('/', 1)[-1]}")
        with col.popover(label, icon=icon, width="stretch"):
            st.caption(f"{escape(ev.chunk.label)} · {ev.provenance}")
            st.text(ev.chunk.text)
            if ev.flagged:
                st.warning("Instruction-like text in this passage was treated as data and kept out of the prompt:\n\n"
                           + "\n".join(f"- {escape(f)}" for f in ev.flagged), icon=":material/shield:")
            if ev.owner_claims:
                st.warning("Claims about the portfolio's owner in an upload are not used as answers:\n\n"
                           + "\n".join(f"- {escape(f)}" for f in ev.owner_claims), icon=":material/shield:")


def inspector_frame(hits: list[Hit]) -> pd.DataFrame:
    """The retrieval inspector table: every retriever's rank and score for each top chunk."""
    return pd.DataFrame([{
        "source": h.chunk.label,
        "BM25 rank": h.bm25_rank, "BM25 score": round(h.bm25_score, 2),
        "dense rank": h.dense_rank, "cosine": round(h.dense_score, 3),
        "fused rank": h.fused_rank, "fused score": round(h.fused_score, 3),
        "passage": h.chunk.text[:160].replace("\n", " "),
    } for h in hits])


def _closest_passages(turn: Turn) -> None:
    if not turn.results:
        return
    for hit in turn.results.hits[:3]:
        with st.expander(f"{escape(hit.chunk.label)} (cosine {hit.dense_score:.2f})"):
            st.text(hit.chunk.text)


def render_details(turn: Turn) -> None:
    """Everything under an answer: notices, citations, faithfulness, closest passages, inspector."""
    if turn.kind == "rag":
        _faithfulness_line(turn)
        _raw_generation(turn)
        _passage_popovers(turn)
    if turn.kind in ("weak", "language"):
        _closest_passages(turn)
    if turn.kind == "tool" and turn.tool is not None and turn.tool.output is not None:
        with st.expander("Tool output", icon=":material/build:"):
            st.json(turn.tool.output)
    if turn.results is not None:
        with st.expander("Retrieval inspector", icon=":material/manage_search:"):
            st.caption(f"Query: {escape(turn.query[:300])} · mode {turn.results.mode} · best cosine "
                       f"{turn.results.best_dense:.2f} · " + " · ".join(
                           f"{k} {v:,.0f} ms" for k, v in turn.timings_ms.items()))
            st.dataframe(inspector_frame(turn.results.hits), hide_index=True, width="stretch")


def _record_feedback(index: int) -> None:
    message = st.session_state["rag_messages"][index]
    value = st.session_state.get(f"rag_fb_{index}")
    turn: Turn = message["turn"]
    if value is None or message.get("rated"):
        return
    try:
        feedback().add(turn.question, turn.answer, turn.sources, 1 if value == 1 else -1, kind=turn.kind,
                       faithfulness=turn.faithfulness)
        message["rated"] = True
    except Exception as exc:  # a locked or read-only disk must not break the chat
        log.exception("feedback not saved", exc_info=exc)
        st.toast("Sorry, your rating could not be saved.")


def render_assistant(index: int, message: dict) -> None:
    """A past assistant message: cited answer, details and thumbs."""
    turn: Turn = message["turn"]
    for notice in turn.notices:
        st.info(escape(notice), icon=":material/info:")
    for warning in turn.warnings:
        st.warning(escape(warning), icon=":material/shield:")
    # tool answers are the app's own markdown (visitor text inside is escaped by the router)
    st.markdown(shown_markdown(turn) if turn.kind == "rag" else turn.answer if turn.kind == "tool"
                else escape(turn.answer))
    render_details(turn)
    st.feedback("thumbs", key=f"rag_fb_{index}", on_change=_record_feedback, args=(index,),
                disabled=bool(message.get("rated")))


# --- the chat chapter --------------------------------------------------------------------------


def _pick_example() -> None:
    # an example pill asks its question once, then clears itself so it can be picked again
    st.session_state["rag_pending"] = st.session_state.get("rag_example")
    st.session_state["rag_example"] = None


def _chat_header(settings: Settings, config: BackendConfig) -> None:
    """What answers (generator, documents, retriever, ratings so far), the clear button and the example pills."""
    state = _state()
    n_docs = len(corpus.default_documents()) + len(state["rag_uploads"])
    ratings = feedback().summary(recent=0)
    top = st.columns([4, 1])
    top[0].caption(f"Generator: {config.describe()} · {n_docs} documents · retriever: {settings.mode} · "
                   f"feedback so far: :material/thumb_up: {ratings.up} :material/thumb_down: {ratings.down}")
    if top[1].button("Clear chat", icon=":material/delete_sweep:", width="stretch", key="rag_clear",
                     disabled=not (state["rag_messages"] or state["rag_queue"])):
        state["rag_messages"], state["rag_queue"] = [], []
        st.rerun()
    st.pills("Try a question", EXAMPLES, key="rag_example", on_change=_pick_example, label_visibility="collapsed")


def _history() -> None:
    """Every finished turn of this session, oldest first."""
    for i, message in enumerate(_state()["rag_messages"]):
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.text(message["content"])
            else:
                render_assistant(i, message)


def _stream_draft(assistant: Assistant, turn: Turn) -> list[str]:
    """A RAG answer's model text, streamed as a labelled draft inside a status box (never shown as the answer)."""
    raw: list[str] = []
    writing = "Writing a lead sentence, then checking it against the passages…"
    with st.status(writing, expanded=True) as status:
        draft = st.empty()

        def waiting(ahead: int, waited_s: float) -> None:
            # the one local model answers in arrival order: say where this question stands
            status.update(label=waiting_message(ahead, waited_s), state="running")

        for piece in assistant.stream(turn, on_wait=waiting):
            if not raw:
                status.update(label=writing)
            raw.append(piece)
            draft.caption(f"Draft (unverified): {escape(''.join(raw))}")
        status.update(label="Checking the answer against the passages…")
    return raw


def _stream_direct(assistant: Assistant, turn: Turn) -> list[str]:
    """A tool's or a fallback's answer, streamed as the answer itself (only the app's own tool markdown unescaped)."""
    raw: list[str] = []

    def pieces() -> Iterator[str]:
        for piece in assistant.stream(turn):
            raw.append(piece)
            yield piece if turn.kind == "tool" else escape(piece)

    st.write_stream(pieces())
    return raw


def _clipped(question: str, limit: int = 2000) -> str:
    """A question as the chat shows it (very long ones cut, with a mark)."""
    return question if len(question) <= limit else question[:limit] + " …"


def _answer(question: str, settings: Settings, config: BackendConfig) -> None:
    """Answer one question live, log it for MLOps, store both halves of the turn and redraw."""
    state = _state()
    index = session_index(settings)
    previous = next((m["content"] for m in reversed(state["rag_messages"]) if m["role"] == "user"), "")
    with st.chat_message("user"):
        st.text(_clipped(question))
    started = time.perf_counter()
    assistant = Assistant(index, generator(config))
    with st.chat_message("assistant"):
        turn = assistant.prepare(question, previous, mode=settings.mode, k=settings.k)
        for notice in turn.notices:
            st.info(escape(notice), icon=":material/info:")
        raw = _stream_draft(assistant, turn) if turn.kind == "rag" else _stream_direct(assistant, turn)
        assistant.finish(turn, "".join(raw))
        hooks.log_rag(question, turn.results.best_dense if turn.results else None, turn.kind, turn.faithfulness,
                      started)
        if turn.error:
            log.warning("generation failed: %s", turn.error)
    # both halves are stored together, and the question leaves the queue only now: a run interrupted by
    # a new question leaves no orphan, and the interrupted question is answered again on the next run
    state["rag_messages"] += [{"role": "user", "content": question},
                              {"role": "assistant", "content": turn.answer, "turn": turn}]
    if state["rag_queue"] and state["rag_queue"][0] == question:
        state["rag_queue"].pop(0)
    st.rerun()  # redraw the finished turn with its citations and thumbs, then answer the next one


def chat(settings: Settings) -> None:
    """The conversation: history, input, a streamed answer with citations."""
    config = backend_config()
    _chat_header(settings, config)
    _history()
    queue = _state()["rag_queue"]
    asked = st.chat_input("Ask about this portfolio…", key="rag_question") or _state().pop("rag_pending", None)
    if asked and len(queue) >= MAX_QUEUED:
        st.warning(f"{len(queue)} of your questions are still waiting for an answer, so this one was not added: "
                   "ask it again once they are answered.", icon=":material/hourglass_top:")
    elif asked:
        # queued at once: a question sent while another is being answered interrupts that run, and would
        # otherwise be lost with it
        queue.append(asked)
    if queue:
        current = st.container()
        for waiting in queue[1:]:
            with st.chat_message("user"):
                st.text(_clipped(waiting))
                st.caption("Waiting for the answer above.")
        with current:
            try:
                _answer(queue[0], settings, config)
            except Exception as exc:  # Streamlit's rerun/stop are BaseExceptions: an interrupted question stays
                queue.pop(0)  # a failing one leaves the queue, or every rerun of the session would fail on it
                error_panel("Sorry, that question could not be answered; ask another one.", exc)
    # the page is drawn; the shared index, model and injection classifier load in the background, so the
    # first answer is quick without holding up the page
    elif not warm_up(settings, config):
        st.caption(":material/hourglass_top: The retriever and the language model are loading in the background "
                   "(first visit after a restart); a question asked in the next seconds waits for them.")


def feedback_summary() -> None:
    """Totals and the latest ratings."""
    summary = feedback().summary()
    cols = st.columns(3)
    cols[0].metric("Ratings", summary.total)
    cols[1].metric("Helpful", summary.up)
    cols[2].metric("Not helpful", summary.down)
    if summary.up_rate is not None:
        st.caption(f"{summary.up_rate:.0%} of rated answers were helpful.")
    if summary.recent:
        st.dataframe(pd.DataFrame(summary.recent), hide_index=True, width="stretch")
    else:
        st.info("No ratings yet: use the thumbs under an answer.", icon=":material/thumb_up:")


# --- documents chapter -------------------------------------------------------------------------


def upload_outcome(name: str, level: str, message: str) -> dict[str, str]:
    """One row of the uploads table (shown as plain cells, so file names are never markdown)."""
    return {"file": name, "outcome": "refused" if level == "error" else "added", "detail": message}


def uploads() -> None:
    """Add files to this session's collection; a bad file is reported and nothing else is lost."""
    state = _state()
    st.subheader("Your documents")
    files = st.file_uploader("Add your own documents (this session only)",
                             type=[suffix.lstrip(".") for suffix in documents.SUPPORTED],
                             accept_multiple_files=True, key="rag_files",
                             help=f"Up to {documents.MAX_UPLOAD_BYTES // 2**20} MB each; PDFs are read up to "
                                  f"{documents.MAX_PDF_PAGES} pages; no OCR.")
    new = []
    for file in files or []:
        marker = (file.name, file.size, getattr(file, "file_id", ""))
        if marker not in state["rag_seen_files"]:
            state["rag_seen_files"].add(marker)
            new.append((file.name, file.getvalue()))
    if new:
        state["rag_uploads"], messages = documents.add_uploads(state["rag_uploads"], new)
        # add_uploads gives one message per file, in order
        state.setdefault("rag_upload_log", []).extend(
            upload_outcome(name, level, text) for (name, _), (level, text) in zip(new, messages, strict=True))
    log_rows = state.get("rag_upload_log", [])
    if log_rows:
        refused = sum(row["outcome"] != "added" for row in log_rows)
        st.caption(f"Every file you uploaded this session: {len(log_rows) - refused} added, {refused} refused.")
        st.dataframe(pd.DataFrame(log_rows), hide_index=True, width="stretch",
                     column_config={"detail": st.column_config.TextColumn(width="large")})
    for name in list(state["rag_uploads"]):
        cols = st.columns([5, 1])
        cols[0].markdown(f":material/description: `{escape(name)}`")
        if cols[1].button("Remove", key=f"rag_rm_{name}"):
            del state["rag_uploads"][name]
            st.rerun()


def session_chunks(settings: Settings) -> list[Chunk]:
    """The chunks of the default corpus and this session's uploads, as the index holds them.

    Chunking needs no embedding model, so the documents chapter draws without loading one.
    """
    docs = [*corpus.default_documents(), *_state()["rag_uploads"].values()]
    return chunk_documents(docs, settings.chunks)


def chunk_viewer(chunks: list[Chunk]) -> None:
    """Pick any document and read its chunks."""
    st.subheader("Documents and their chunks")
    st.caption("Chunks follow the structure (headings, then paragraphs, then sentences) and never cross a heading. "
               "Change their size and overlap under **Advanced** in the sidebar; the index is rebuilt to match.")
    sources = list(dict.fromkeys(c.source for c in chunks))
    counts = pd.Series([c.source for c in chunks]).value_counts()
    st.dataframe(pd.DataFrame({"document": sources, "chunks": [int(counts[s]) for s in sources]}),
                 hide_index=True, width="stretch")
    source = st.selectbox("Show the chunks of", sources, key="rag_chunk_doc")
    for chunk in (c for c in chunks if c.source == source):
        with st.expander(f"{escape(chunk.id)} · {escape(chunk.heading or '(top)')} · {len(chunk.text)} characters"):
            st.text(chunk.text)


# --- evaluation chapter ------------------------------------------------------------------------


def evaluation(settings: Settings) -> None:
    """The committed evaluation table, and a button to re-run it on the current settings."""
    from src.rag import evaluate

    card = load_card("rag")
    if card is not None and card.extra.get("scores"):
        st.markdown(f"**Committed evaluation** ({card.created}, `{card.command}`)")
        st.dataframe(_scores_frame(card.extra["scores"]), hide_index=True, width="stretch")
        for held in card.extra.get("qa_sets", [])[1:]:  # the first is the table above (the tuning set)
            st.markdown(f"Held out, never tuned on: **{escape(held['name'])}** (hybrid minus the best single "
                        f"retriever: {held['hybrid_minus_best_hit5']:+.3f} hit@5)")
            st.dataframe(_scores_frame(held["scores"]), hide_index=True, width="stretch")
        _answer_figures(card.extra.get("answers") or {})
    else:
        st.info("No evaluation card yet. Create it with `python -m src.rag.evaluate --write-card`.")
    if st.button("Run the evaluation on the current settings", icon=":material/play_arrow:", key="rag_run_eval"):
        with st.spinner("Retrieving for every question…"):
            base = default_index(settings.chunks)
            scores, per_question = evaluate.evaluate(base, evaluate.load_qa())
        st.dataframe(_scores_frame([s.__dict__ for s in scores]), hide_index=True, width="stretch")
        st.dataframe(pd.DataFrame(per_question), hide_index=True, width="stretch")
    st.caption(f"QA set: {len(evaluate.load_qa())} questions in `src/rag/qa_set.jsonl`. A hit is a retrieved chunk "
               f"from the answer's file that contains the key phrase; MRR looks {evaluate.DEPTH} deep.")


def _answer_figures(answers: dict) -> None:
    """The shown answers' figures per answer set (cards written before answer sets existed have none)."""
    from src.rag.rag_card import ANSWER_SETS

    sets = {k: v for k, v in answers.items() if k in ANSWER_SETS and isinstance(v, dict) and v.get("answers")}
    if not sets:
        return

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    st.markdown("**Shown answers**, generated by the local model and verified exactly as the chat shows them:")
    st.dataframe(pd.DataFrame([{
        "set": ANSWER_SETS[k], "questions": v["answers"], "refused": pct(v.get("refusal_rate")),
        "faithfulness": pct(v.get("mean_faithfulness")),
        "key fact shown": "n/a" if k.startswith("unanswerable") else pct(v.get("key_fact_in_answer")),
    } for k, v in sets.items()]), hide_index=True, width="stretch")


def _scores_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"retriever": r["mode"], "hit@1": f"{r['hit1']:.1%}", "hit@5": f"{r['hit5']:.1%}",
                          "MRR": f"{r['mrr']:.3f}", "questions": r["n"]} for r in rows])
