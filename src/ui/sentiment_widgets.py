"""Streamlit pieces of the sentiment page; every number comes from ``src.sentiment``."""

from __future__ import annotations

import html
import json
import math
import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from src.core import contract
from src.core.cards import Card, load_card
from src.core.markdown import escape
from src.core.safe_csv import to_csv_bytes
from src.core.settings import model_dir
from src.mlops import hooks
from src.sentiment import behaviour, explain, showcase
from src.sentiment.backend import backend_accuracy, backend_reason, choose_backend
from src.sentiment.blend import decompose
from src.sentiment.explain import Attribution
from src.sentiment.files import MAX_ROWS, MAX_UPLOAD_BYTES, read_upload, score_frame, text_columns
from src.sentiment.predict import CONFIG_FILE, MODEL_TITLES, MODELS, SERVED, Analysis, Predictor, model_title
from src.sentiment.text import InputError
from src.ui.loader import load_model, version

#: The page's default texts; what the models say about them is stored at training time (src.sentiment.showcase).
EXAMPLE, LONG_EXAMPLE = showcase.EXAMPLE, showcase.LONG_EXAMPLE
#: Chunks of a long text that get integrated-gradient attributions (each costs a few hundred ms).
ATTRIBUTED_CHUNKS = 5


@st.cache_data(show_spinner=False, max_entries=4)
def _showcase(artifact_version: str) -> dict | None:
    return showcase.load(model_dir("sentiment"))


def stored() -> dict | None:
    """The figures training stored for the page's examples (None when absent or from other weights)."""
    return _showcase(version("sentiment"))


def how_it_works() -> str:
    """The page's introduction; what it says about the transformer comes from the model card."""
    card = load_card("sentiment")
    method, size = "fine-tuned", ""
    if card is not None:
        method = "fully fine-tuned" if card.config.get("method") == "full" else "fine-tuned with LoRA adapters"
        row = next((r for r in card.extra.get("comparison", []) if r["model"] == MODEL_TITLES["transformer"]), None)
        size = f" ({row['artifact bytes'] / 1e6:.0f} MB: int8 matrices, the rest float16)" if row else ""
    return f"""
Three models read the same text, all trained on **SST-2** (labelled movie-review phrases):
- **VADER**, a hand-built lexicon with rules for negation and emphasis: nothing learnt;
- **TF-IDF + logistic regression** on word and character n-grams;
- **all-MiniLM-L6-v2**, the packaged sentence encoder with a new head, {method} on a 2-core CPU; only the
  weights that differ from the packaged model are committed{size}.

The label the app serves comes from a **blend** of the last two: a logistic regression over MiniLM's and the
TF-IDF model's log-odds, fitted on held-out training sentences (the model card gives its weights and figures).

Confidences are calibrated (temperature scaling, fitted on held-out training sentences). Texts longer than the
model's window are split on sentences and combined, never cut. English only: other languages are flagged as out
of scope by a simple heuristic (scripts and common words), not by a language model.
"""


def backend_note() -> None:
    """Which inference backend this server runs the transformer with, and why."""
    if not artifact_ready():
        return
    backend = choose_backend()  # what the predictor uses, without loading it for this caption
    why = backend_reason(backend)
    dev = backend_accuracy().get(backend, {}).get("dev")
    measured = f", served blend's dev accuracy {dev:.1%} with this backend (model card)" if dev else ""
    st.caption(f"Transformer inference backend: **{backend}** ({why}{measured}).")


def artifact_ready() -> bool:
    """True when the committed model can be loaded (every file of the contract is there)."""
    return not contract.get("sentiment").missing()


def predictor() -> Predictor:
    """The shared, read-only predictor from the one cached loader (reloaded when the card changes)."""
    pred = load_model("sentiment", panel=False)
    if pred is None:
        raise contract.ModelMissingError("sentiment")
    return pred


def analyse_or_warn(text: str) -> Analysis | None:
    """Analyse text, or show why it cannot be analysed."""
    analysis = showcase.analysis(stored(), choose_backend(), text)
    if analysis is None:  # not one of the stored examples: scored live (and logged as a prediction)
        try:
            started = time.perf_counter()
            analysis = predictor().analyse(text)
        except InputError as exc:
            st.warning(str(exc), icon=":material/block:")
            return None
        best = analysis.scores[SERVED]
        hooks.log_sentiment(text, best.label, best.confidence, started)
    for note in analysis.notes:
        st.info(note, icon=":material/info:")
    return analysis


def verdicts(analysis: Analysis) -> None:
    """Each model's label and calibrated confidence side by side (the served blend first), with a disagreement
    flag."""
    cols = st.columns(len(MODELS))
    config = _config(version("sentiment"))
    for col, name in zip(cols, MODELS, strict=True):
        score = analysis.scores[name]
        icon = "👍" if score.label == "positive" else "👎"
        col.metric(model_title(name, config), f"{icon} {score.label}", f"{score.confidence:.0%} confident",
                   delta_color="off",
                   help="Calibrated confidence: temperature scaling (Platt scaling for VADER; the blend is itself a "
                        "logistic regression) fitted on held-out "
                        "SST-2 train sentences.")
    if analysis.disagree:
        labels = ", ".join(f"{MODEL_TITLES[n]}: {s.label}" for n, s in analysis.scores.items())
        st.warning(f"The models disagree ({labels}).", icon=":material/call_split:")
    else:
        st.success("All the models agree.", icon=":material/check:")


def chunk_table(analysis: Analysis) -> None:
    """Per-chunk P(positive) for each model."""
    frame = pd.DataFrame(analysis.chunks)
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={MODEL_TITLES[n]: st.column_config.ProgressColumn(
                     f"P(positive) {MODEL_TITLES[n]}", min_value=0.0, max_value=1.0, format="%.2f") for n in MODELS})


def _colour(score: float, scale: float) -> str:
    strength = min(abs(score) / scale, 1.0) if scale else 0.0
    rgb = "34,139,34" if score > 0 else "205,50,50"
    return f"rgba({rgb},{0.15 + 0.6 * strength:.2f})" if strength > 0.02 else "transparent"


def attribution_html(attr: Attribution) -> str:
    """The text with each word's background coloured by its attribution; everything is HTML-escaped."""
    scale = max((abs(s) for _, _, s in attr.spans), default=0.0)
    out, cursor = [], 0
    for start, end, score in attr.spans:
        out.append(html.escape(attr.text[cursor:start]))
        out.append(f'<span title="{score:+.3f}" style="background:{_colour(score, scale)};border-radius:4px;'
                   f'padding:1px 2px">{html.escape(attr.text[start:end])}</span>')
        cursor = end
    out.append(html.escape(attr.text[cursor:]))
    return '<div style="line-height:2;font-size:1.1rem">' + "".join(out) + "</div>"


@st.cache_data(show_spinner=False, max_entries=4)
def _config(artifact_version: str) -> dict:
    try:
        return json.loads((model_dir("sentiment") / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _shares(chunk: dict) -> dict[str, float] | None:
    """The served blend's log-odds for one chunk split into MiniLM's share, TF-IDF's share and the bias."""
    return decompose(_config(version("sentiment")), float(chunk[MODEL_TITLES["transformer"]]),
                     float(chunk[MODEL_TITLES["linear"]]))


def _cap_text(shares: dict[str, float]) -> str:
    """The note after the TF-IDF term of the blend's formula when the blend caps that term, else nothing."""
    return f" (its log-odds capped at ±{shares['linear_cap']:g})" if math.isfinite(shares["linear_cap"]) else ""


def why(text: str) -> None:
    """The served blend split into its two parts, each part with its own reasons: integrated-gradient word
    attributions for MiniLM and n-gram weights for TF-IDF."""
    analysis = analyse_or_warn(text)
    if analysis is None:
        return
    predicted = analysis.scores[SERVED].label
    target = st.radio("Explain the class", ["positive", "negative"], index=["positive", "negative"].index(predicted),
                      horizontal=True, help=f"The served blend predicted **{predicted}**.")
    sign = 1 if target == "positive" else -1
    first = _shares(analysis.chunks[0])
    if first is not None:
        st.markdown(
            f"The served label comes from the blend: log-odds = **{first['w_transformer']:.2f} x MiniLM's** + "
            f"**{first['w_linear']:.2f} x TF-IDF's**{_cap_text(first)} {first['bias']:+.2f} (fitted on held-out "
            "training sentences). Each part's reasons are below; scaled by its weight, each is that part's share of "
            "the blend.")
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{MODEL_TITLES['transformer']}**: integrated gradients toward *{target}* (the transformer's "
                    "share of the blend)")
        pieces = analysis.chunks
        for chunk in pieces[:ATTRIBUTED_CHUNKS]:
            piece = str(chunk["text"])
            attr = showcase.attribution(stored(), piece, target) or explain.explain_transformer(
                predictor(), piece, target)
            st.html(attribution_html(attr))
            shares = _shares(chunk)
            share = (f" In the blend this chunk's MiniLM share is {sign * shares['transformer']:+.2f} toward {target}, "
                     f"TF-IDF's {sign * shares['linear']:+.2f}, the bias {sign * shares['bias']:+.2f}."
                     if shares else "")
            st.caption(f"Green pushes the transformer toward {target}, red away from it. Attributions sum to "
                       f"{sum(s for *_, s in attr.spans):+.3f} vs the transformer's margin change "
                       f"{attr.margin_gap:+.3f} from an all-padding input (completeness error {attr.delta:.1e}: small "
                       f"means faithful).{share}")
        if len(pieces) > ATTRIBUTED_CHUNKS:
            st.info(f"Attributions are shown for the first {ATTRIBUTED_CHUNKS} of {len(pieces)} chunks.")
    with right:
        w_linear = first["w_linear"] if first else 1.0
        st.markdown("**TF-IDF + logistic regression**: top n-grams" + (" (its share of the blend)" if first else ""))
        ngrams = (stored() or {}).get("ngrams", {}).get(analysis.text)
        top = pd.DataFrame(ngrams if ngrams is not None else explain.explain_linear(predictor(), analysis.text,
                                                                                    showcase.TOP_NGRAMS))
        if top.empty:
            st.caption("No known n-grams in this text.")
            return
        top["weight"] = sign * w_linear * top["weight"]
        fig = go.Figure(go.Bar(x=top["weight"], y=top["ngram"], orientation="h",
                               marker_color=["#228b22" if w > 0 else "#cd3232" for w in top["weight"]]))
        fig.update_layout(height=320, margin={"l": 0, "r": 0, "t": 10, "b": 0}, yaxis={"autorange": "reversed"},
                          xaxis_title=f"contribution toward {target}" + (" in the blend's log-odds" if first else ""))
        st.plotly_chart(fig, width="stretch")
        if first:
            cap = (f" The blend counts TF-IDF's log-odds up to ±{first['linear_cap']:g} only, so when they go beyond "
                   "that the bars add up to more than its share." if math.isfinite(first["linear_cap"]) else "")
            st.caption(f"Each bar is the n-gram's tf-idf value x its coefficient x the blend's TF-IDF weight "
                       f"{w_linear:.2f}, computed on the whole text.{cap}")


def batch() -> None:
    """Upload, pick the text column, score, download."""
    st.caption(f"CSV (with a header) or TXT (one text per line), up to {MAX_UPLOAD_BYTES / 1e6:.0f} MB; "
               f"the first {MAX_ROWS} rows are scored.")
    upload = st.file_uploader("Upload a CSV or TXT file", type=["csv", "txt"])
    if upload is None:
        return
    try:
        frame = read_upload(upload.name, upload.getvalue())
    except InputError as exc:
        st.warning(escape(exc), icon=":material/block:")
        return
    candidates = text_columns(frame)
    if frame.empty or not candidates:
        found = ", ".join(escape(c) for c in frame.columns) or "none"
        st.warning("No column of this file holds text (every column is empty, numeric or a date). "
                   f"Columns found: {found}.", icon=":material/block:")
        return
    column = st.selectbox("Text column", candidates)
    if len(frame) > MAX_ROWS:
        st.info(f"The file has {len(frame):,} rows; only the first {MAX_ROWS} are scored (the cap keeps the "
                "app responsive for every visitor). Run `python -m src.sentiment.predict --csv FILE` for all rows.")
        frame = frame.head(MAX_ROWS)
    with st.spinner(f"Scoring {len(frame)} rows..."):
        result = score_frame(predictor(), frame, column).reset_index()
    bad = int((result["error"] != "").sum())
    st.caption(f"{len(result)} rows in: {len(result) - bad} scored, {bad} with an error. `line` is the row's "
               "line in your file.")
    if bad:
        st.warning(f"{bad} row(s) could not be scored; the reason is in the `error` column.")
    st.dataframe(result, hide_index=True, width="stretch")
    st.caption("`top_ngrams` are the linear model's strongest n-grams in each row (fast enough for a whole file); "
               "per-word transformer attributions are in the **Why** chapter.")
    st.download_button("Download results (CSV)", to_csv_bytes(result), "sentiment_results.csv",
                       "text/csv", icon=":material/download:",
                       help="Cells that a spreadsheet would run as a formula (=, +, -, @) start with a ' here.")


@st.cache_data(show_spinner="Running the behaviour suite...")
def _behaviour(artifact_version: str, backend: str) -> pd.DataFrame:
    rows = ((stored() or {}).get("backends", {}).get(backend) or {}).get("behaviour")
    return pd.DataFrame(rows) if rows is not None else behaviour.run(predictor().probabilities)


def behaviour_tests() -> None:
    """Pass rates per capability and model, with every case one click away."""
    results = _behaviour(version("sentiment"), choose_backend())
    results["model"] = results["model"].map(MODEL_TITLES)
    rates = behaviour.pass_rates(results)
    st.dataframe(rates, width="stretch", column_config={
        MODEL_TITLES[n]: st.column_config.ProgressColumn(MODEL_TITLES[n], min_value=0, max_value=1, format="percent")
        for n in MODELS})
    st.caption("`label`: must get the expected label. Entity swaps and typos: every variant must keep it. "
               "Intensifiers: the stronger wording must be at least as confident. Neutral: confidence must stay "
               f"below {behaviour.NEUTRAL_MAX_CONFIDENCE:.0%}; a two-class model has no 'neutral', so this checks "
               "that it at least hesitates. The "
               "served label is the blend's.")
    for capability, title in behaviour.CAPABILITIES.items():
        rows = results[results["capability"] == capability]
        wide = rows.pivot_table(index="case", columns="model", values="passed", aggfunc="first", sort=False)
        with st.expander(f"{title}: {len(wide)} cases"):
            st.dataframe(wide.map(lambda ok: "✅ pass" if ok else "❌ fail"), width="stretch")


def model_report(card: Card) -> None:
    """Confusion matrix, accuracy by length, reliability diagram and the comparison table, from the card."""
    extra = card.extra
    st.markdown("**The served blend and the three models on SST-2 dev**")
    comparison = pd.DataFrame(extra["comparison"])
    comparison["artifact bytes"] = comparison["artifact bytes"].map(lambda b: f"{b / 1e6:.1f} MB" if b else "lexicon")
    st.dataframe(comparison, hide_index=True, width="stretch", column_config={
        col: st.column_config.NumberColumn(format="%.3f") for col in comparison.select_dtypes("number").columns})
    st.caption(card.headline.protocol)
    name = st.selectbox("Model", MODELS, format_func=MODEL_TITLES.__getitem__)
    left, mid, right = st.tabs(["Confusion matrix", "Accuracy by length", "Reliability diagram"])
    with left:
        matrix = extra["confusion_dev"][name]
        fig = go.Figure(go.Heatmap(z=matrix, x=["pred negative", "pred positive"], y=["true negative", "true positive"],
                                   text=matrix, texttemplate="%{text}", colorscale="Blues", showscale=False))
        fig.update_layout(title="Confusion matrix (dev)", height=360, margin={"t": 40, "b": 0, "l": 0, "r": 0},
                          yaxis={"autorange": "reversed"})
        st.plotly_chart(fig, width="stretch")
    with mid:
        rows = pd.DataFrame(extra["by_length"][name])
        fig = go.Figure(go.Bar(x=rows["bucket"], y=rows["accuracy"], text=[f"n={n}" for n in rows["n"]]))
        fig.update_layout(title="Accuracy by sentence length (dev)", height=320, yaxis_range=[0, 1],
                          margin={"t": 40, "b": 0, "l": 0, "r": 0})
        st.plotly_chart(fig, width="stretch")
    with right:
        bins = pd.DataFrame(extra["reliability"][name]["bins"])
        bins = bins[bins["count"] > 0]
        fig = go.Figure([go.Scatter(x=[0.5, 1], y=[0.5, 1], mode="lines", name="perfect", line={"dash": "dot"}),
                         go.Scatter(x=bins["confidence"], y=bins["accuracy"], mode="lines+markers", name="model",
                                    text=[f"n={n}" for n in bins["count"]])])
        fig.update_layout(title=f"Reliability (ECE {extra['reliability'][name]['ece']:.3f})", height=320,
                          xaxis_title="confidence", yaxis_title="accuracy", showlegend=False,
                          margin={"t": 40, "b": 0, "l": 0, "r": 0})
        st.plotly_chart(fig, width="stretch")
    ece = card.metric(f"ECE ({MODEL_TITLES[name]})")
    if ece is not None:
        st.caption(f"Reliability and ECE: {ece.protocol}.")
