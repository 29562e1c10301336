"""The churn page's chapters: streamlit layout over ``src.churn`` (which never imports streamlit).

Everything in the performance, customer, action, batch and fairness chapters runs from the
committed artifact alone; the SHAP summary, dependence plot and existing-customer picker also use
the Telco data when it is on this machine.

A cold visit draws from the card and from :mod:`src.churn.showcase` (the curves, the example
customer and the SHAP summary, stored per model version) without importing scikit-learn, skops or
shap; the fitted model loads in the background once the chapter is drawn, and anything the store
does not hold (another customer, an upload) waits for it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from src.churn import charts, data, metrics, showcase
from src.churn.explain import (
    ACTIONABLE,
    IMMUTABLE,
    MAX_CHANGES,
    Explanation,
    retention_offers,
    strongest_interaction,
    top_reasons,
)
from src.churn.predict import ARTIFACT, Predictor
from src.core import contract, datasets
from src.core.cards import Card
from src.core.contract import OOF_FILE, ModelMissingError
from src.core.markdown import escape
from src.core.safe_csv import to_csv_bytes
from src.mlops import hooks
from src.ui import loader

THRESHOLD_KEY = "churn_threshold"  # survives chapter switches, unlike a widget's own key
_SLIDER_KEY = "_churn_threshold_slider"
CUSTOMER_KEY = "churn_customer"
EXAMPLE_CUSTOMER = showcase.EXAMPLE_CUSTOMER
_PLOTLY = {"displayModeBar": False}


# --- cached resources ------------------------------------------------------------------------


class CardPredictor(Predictor):
    """The committed model's card facts (threshold, bands, features) at once; the fitted model on first use.

    Predictions and explanations go to the shared predictor of :func:`src.ui.loader.load_model`
    (one copy per server, loaded in the background by :func:`preload`), so a chapter that draws from
    the card and the stored first screens never waits for scikit-learn, skops or shap.
    """

    def __init__(self, card: Card) -> None:
        super().__init__(None, card)

    @staticmethod
    def fitted() -> Predictor:
        """The loaded predictor (waits for the background load, with the loader's spinner)."""
        loaded = loader.load_model("churn", panel=False)
        if loaded is None:  # the artifact vanished after the page checked it
            raise ModelMissingError("churn", ARTIFACT)
        return loaded

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probabilities from the fitted model."""
        return self.fitted().predict_proba(frame)

    def explain(self, frame: pd.DataFrame) -> Explanation:
        """SHAP values from the fitted model's explainer."""
        return self.fitted().explain(frame)

    @property
    def explainer(self):  # type: ignore[override]  # the loaded predictor's, built once per server
        """The fitted model's SHAP explainer."""
        return self.fitted().explainer


def predictor() -> Predictor | None:
    """The committed model as a :class:`CardPredictor` (reloaded when training rewrites it), or None with the
    command that creates it."""
    card = loader.load_card("churn")
    if card is None or not loader.model_ready("churn"):
        if card is None:
            loader.model_ready("churn")  # the panel with the training command
        return None
    return CardPredictor(card)


def preload() -> None:
    """Start loading the fitted model in the background (call once the chapter is drawn)."""
    loader.preload("churn")


def how_it_works(card: Card | None) -> str:
    """The page's method note; the CV protocol, tie tolerance and row count come from the card."""
    cfg = card.config if card is not None else {}
    rows = card.extra.get("rows") if card is not None else None
    folds, tie = cfg.get("folds", "k"), cfg.get("tie_tolerance")
    board = card.extra.get("leaderboard", []) if card is not None else []
    compared = sum("+" not in str(r["model"]) for r in board) or _candidates()  # "+": the calibrated refit
    within = f" within {tie} ROC-AUC of the best" if tie is not None else " close to the best"
    every = f"all {rows:,} customers" if rows else "every customer"
    return f"""
{compared} models are compared under **stratified {folds}-fold cross-validation** with a fixed seed
(`{contract.train_command("churn")}`); the simplest one{within} is refit on {every} and committed with its card.
Every curve here comes from the **out-of-fold** predictions stored beside the model, so each customer was scored
by a model that never saw them. Explanations are exact **SHAP** values of the model's log-odds against a k-means
summary of the customers. The retention search tries every combination of up to {MAX_CHANGES} changes to what the
company controls and keeps the smallest one that works.
"""


def _candidates() -> int:
    from src.churn.model import CANDIDATES  # imports scikit-learn: only without a card to read

    return len(CANDIDATES)


@st.cache_data(show_spinner=False)
def oof(version: str) -> dict[str, np.ndarray]:
    """The committed out-of-fold predictions, labels and fairness attributes (``version``: the cache key)."""
    with np.load(ARTIFACT / OOF_FILE) as arrays:
        return {k: arrays[k] for k in arrays.files}


def _oof() -> dict[str, np.ndarray]:
    return oof(loader.version("churn"))


@st.cache_data(show_spinner="Loading the Telco data…")
def customers() -> pd.DataFrame:
    """The cleaned Telco customers (raises DataMissingError when the data is not on this machine)."""
    return data.load()


@st.cache_data(show_spinner="Computing SHAP values…")
def _sample_explanation(_predictor: Predictor, version: str) -> tuple[Explanation, dict[str, str]]:
    """The SHAP summary of the sampled customers and each feature's dependence partner (stored, else computed)."""
    return showcase.sample(version) or showcase.build_sample(_predictor.explain, customers(), version)


@st.cache_data(show_spinner=False)
def _example(_predictor: Predictor, version: str) -> showcase.Known:
    """The example customer's probabilities (with every retention offer's) and SHAP values (stored, else computed)."""
    return showcase.example(version) or showcase.build_example(_predictor, version)


def _proba(pred: Predictor):
    """``predict_proba`` answering from the stored example customer when it can, else from the model."""
    known = _example(pred, loader.version("churn"))

    def proba(frame: pd.DataFrame) -> np.ndarray:
        stored = known.proba(frame)
        return stored if stored is not None else pred.predict_proba(frame)

    return proba


def threshold(pred: Predictor) -> float:
    """The threshold the user set on the performance chapter (the card's F1-optimal one at first)."""
    return float(st.session_state.get(THRESHOLD_KEY, pred.threshold))


# --- 1. performance --------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _static_figures(version: str) -> list:
    arrays = oof(version)
    return showcase.figures(version, arrays["y"], arrays["p"])


def performance(pred: Predictor) -> None:
    """Leaderboard, the four curves, then the threshold/economics fragment."""
    extra = pred.card.extra
    st.markdown(f"#### Leaderboard: stratified {pred.card.config['folds']}-fold CV, seed {pred.card.config['seed']}")
    board = pd.DataFrame(extra["leaderboard"])
    shown = pd.DataFrame({"model": board["model"]})
    for m in metrics.SCORES:
        shown[m] = [f"{a:.4f} ± {s:.4f}" for a, s in zip(board[m], board[f"{m}_std"], strict=True)]
    shown["selected"] = board["model"].eq(extra["selected"])
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(
        " · ".join(f"**{r.model}**: {r.description}" for r in board.itertuples()) + ". "
        f"Selected **{extra['selected']}**: the simplest model within {pred.card.config['tie_tolerance']} ROC-AUC of "
        f"the best. Calibration was {'kept' if extra['calibrated'] else 'not kept'} (it is used only if it lowers "
        "the CV Brier score). Curves below are out-of-fold predictions: every customer scored by a model that "
        "never saw them."
    )
    figures = _static_figures(loader.version("churn"))
    for row in (figures[:2], figures[2:]):
        for col, fig in zip(st.columns(2), row, strict=True):
            col.plotly_chart(fig, width="stretch", config=_PLOTLY)
    economics(pred)


@st.fragment
def economics(pred: Predictor) -> None:
    """Threshold and retention economics; reruns on its own when a slider moves."""
    arrays = _oof()
    y, p = arrays["y"], arrays["p"]
    st.markdown("#### Threshold and retention economics")
    default = metrics.Economics()
    c1, c2, c3 = st.columns(3)
    econ = metrics.Economics(
        offer_cost=c1.number_input("Cost of an offer ($)", 0.0, 5000.0, default.offer_cost, 5.0),
        customer_value=c2.number_input("Value of a saved customer ($)", 0.0, 50000.0, default.customer_value, 50.0),
        success_rate=c3.slider("Offer success rate", 0.0, 1.0, default.success_rate, 0.05),
    )
    curve = metrics.profit_curve(y, p, econ)
    best, best_profit = metrics.best_threshold(curve)
    if st.button(f"Use the most profitable threshold ({best:.2f})", icon=":material/target:"):
        st.session_state[_SLIDER_KEY] = best
    st.session_state.setdefault(_SLIDER_KEY, threshold(pred))
    t = st.slider("Decision threshold: offer to customers whose churn probability is at least", 0.01, 0.99,
                  step=0.01, key=_SLIDER_KEY)
    st.session_state[THRESHOLD_KEY] = t
    cm = metrics.confusion(y, p, t)
    here = float(econ.profit(cm.tp, cm.flagged)) * 1000 / len(y)
    tiles = st.columns(4)
    tiles[0].metric("Precision", f"{cm.precision:.1%}")
    tiles[1].metric("Recall", f"{cm.recall:.1%}")
    tiles[2].metric("Customers contacted", f"{cm.flagged / len(y):.1%}")
    tiles[3].metric("Profit per 1,000 customers", f"${here:,.0f}", delta=f"{here - best_profit:,.0f} vs best",
                    delta_color="normal")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.profit(curve, best, t), width="stretch", config=_PLOTLY)
    right.plotly_chart(charts.confusion(cm), width="stretch", config=_PLOTLY)
    st.caption(
        f"Profit = churners reached × {econ.success_rate:.0%} × ${econ.customer_value:,.0f} − contacted × "
        f"${econ.offer_cost:,.0f}, on the {len(y):,} out-of-fold predictions, scaled to 1,000 customers. "
        f"Best threshold {best:.2f} earns ${best_profit:,.0f} per 1,000."
    )


# --- 2. global drivers -----------------------------------------------------------------------


def drivers(pred: Predictor) -> None:
    """Global importance from the card; SHAP summary and dependence when the data is here."""
    top = pred.card.extra["top_drivers"]
    st.plotly_chart(charts.drivers(top), width="stretch", config=_PLOTLY)
    if not datasets.is_available(data.DATASET):
        raise datasets.DataMissingError(data.DATASET)
    expl, partners = _sample_explanation(pred, loader.version("churn"))
    order = [d["feature"] for d in top]
    st.plotly_chart(charts.beeswarm(expl, order), width="stretch", config=_PLOTLY)
    feature = st.selectbox("Dependence plot for", order, index=0)
    partner = partners.get(feature) or strongest_interaction(expl, feature)
    st.plotly_chart(charts.dependence(expl, feature, partner), width="stretch", config=_PLOTLY)
    additive = "logistic" in pred.card.extra["selected"]
    st.caption(
        f"SHAP values of {len(expl.values):,} sampled customers. The colour is {partner}, the feature "
        f"shap.utils.approximate_interactions finds most entangled with {feature}."
        + (" The selected model is additive, so a feature's SHAP value depends on that feature alone: colour "
           "patterns show how features go together, not an interaction." if additive else "")
    )


# --- 3. one customer -------------------------------------------------------------------------


def _current_customer() -> dict[str, Any]:
    return dict(st.session_state.get(CUSTOMER_KEY, EXAMPLE_CUSTOMER))


def _pick_existing() -> None:
    try:
        frame = customers()
    except datasets.DataMissingError:
        st.caption("Picking an existing customer needs the Telco data; the what-if form works without it.")
        return
    ids = frame[data.ID_COLUMN].tolist()
    choice = st.selectbox("Load an existing customer into the form", ["(keep the form as it is)", *ids])
    if choice != "(keep the form as it is)" and st.session_state.get("_churn_loaded") != choice:
        row = frame.loc[frame[data.ID_COLUMN] == choice, data.FEATURES].iloc[0]
        st.session_state[CUSTOMER_KEY] = row.to_dict()
        st.session_state["_churn_loaded"] = choice
        st.rerun()


def _form(pred: Predictor) -> None:
    current = _current_customer()
    with st.form("churn_whatif"):
        cols = st.columns(4)
        values: dict[str, Any] = {}
        for i, (feature, info) in enumerate(pred.features.items()):
            col = cols[i % 4]
            if info["kind"] == "category":
                options = info["values"]
                index = options.index(current[feature]) if current[feature] in options else 0
                values[feature] = col.selectbox(feature, options, index=index)
            elif info["kind"] == "binary":
                values[feature] = col.selectbox(feature, [0, 1], index=int(current[feature]))
            else:
                values[feature] = col.number_input(
                    feature, min_value=0.0, value=float(current[feature]), step=1.0,
                    help=f"seen in training: {info['min']:g} to {info['max']:g}",
                )
        if st.form_submit_button("Predict", type="primary", icon=":material/play_arrow:"):
            st.session_state[CUSTOMER_KEY] = values


def customer(pred: Predictor) -> None:
    """Pick or type a customer; probability, band, SHAP waterfall, reasons and the best offer."""
    _pick_existing()
    _form(pred)
    row, notes = pred.complete(_current_customer())
    for note in notes:
        st.warning(note, icon=":material/warning:")
    proba = _proba(pred)
    started = time.perf_counter()
    p = float(proba(row)[0])
    hooks.log_churn(row.iloc[0], p, pred.risk_band(p), started)
    stored = _example(pred, loader.version("churn")).explanation(row)
    explanation = stored if stored is not None else pred.explain(row)
    contrib = explanation.for_row(0)
    band = pred.risk_band(p)
    left, right = st.columns([1, 2])
    with left:
        st.metric("Churn probability", f"{p:.1%}", help="calibrated" if pred.card.extra["calibrated"] else None)
        colour = {"low": "green", "medium": "orange", "high": "red"}[band]
        st.markdown(f"Risk band: :{colour}-badge[{band}]  ·  threshold {threshold(pred):.2f}")
        st.markdown("**Why, in plain English**")
        st.markdown("\n".join(f"- {r}" for r in top_reasons(contrib, 3)))
        offer = retention_offers(proba, row.iloc[0].to_dict(), threshold(pred)).best
        if offer is not None and offer.after < p:
            st.markdown(f"**Smallest retention offer:** {offer.describe()}: {p:.0%} → {offer.after:.0%}.")
            st.markdown("[All retention options →](./churn?chapter=action)")
    right.plotly_chart(charts.waterfall(contrib, explanation.base), width="stretch", config=_PLOTLY)


# --- 4. retention action ---------------------------------------------------------------------


def action(pred: Predictor) -> None:
    """The smallest change to actionable features that brings the customer below the threshold."""
    row, _ = pred.complete(_current_customer())
    t = threshold(pred)
    result = retention_offers(_proba(pred), row.iloc[0].to_dict(), t)
    st.caption(f"Changes only {', '.join(ACTIONABLE)}; never {', '.join(IMMUTABLE)}. Charges are held fixed "
               "(the offer is free). The customer is the one from the 'One customer' chapter.")
    if result.best is None:
        st.info("Nothing the company controls can change for this customer.")
        return
    best = result.best
    cols = st.columns(3)
    cols[0].metric("Before", f"{best.before:.1%}")
    cols[1].metric("After", f"{best.after:.1%}", delta=f"{(best.after - best.before) * 100:+.1f} pts",
                   delta_color="inverse")
    cols[2].metric("Changes", len(best.changes))
    if best.below_threshold:
        st.success(f"Below the threshold {t:.2f} with: **{best.describe()}**", icon=":material/check_circle:")
    elif best.before < t:
        st.info(f"Already below the threshold {t:.2f}; the best extra reduction is: {best.describe()}")
    else:
        st.warning(f"No combination of up to {MAX_CHANGES} changes gets below {t:.2f}; "
                   f"the best found: {best.describe()}")
    table = pd.DataFrame([{"changes": o.describe(), "n": len(o.changes), "after": o.after,
                           "below threshold": o.below_threshold} for o in result.tried[:15]])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"after": st.column_config.ProgressColumn("probability after", format="%.2f",
                                                                          min_value=0.0, max_value=1.0)})


# --- 5. batch scoring ------------------------------------------------------------------------


def batch(pred: Predictor) -> None:
    """Schema, template, upload, scored and errors downloads."""
    schema = pd.DataFrame({"column": [data.ID_COLUMN, *data.FEATURES],
                           "expected": ["optional identifier, passed through",
                                        *[data.DESCRIPTIONS.get(f, "") for f in data.FEATURES]]})
    with st.expander("Expected schema", expanded=False, icon=":material/table:"):
        st.dataframe(schema, hide_index=True, width="stretch")
    st.download_button("Download a template CSV", to_csv_bytes(data.template()), "churn_template.csv",
                       "text/csv", icon=":material/download:")
    upload = st.file_uploader(f"Upload customers (CSV, up to {data.MAX_ROWS:,} rows are scored)", type=["csv"])
    if upload is None:
        return
    try:
        started = time.perf_counter()
        result = pred.score_upload(upload.getvalue(), threshold(pred))
        hooks.log_churn_batch(result.scored, started)
    except data.SchemaError as exc:  # the message may quote the upload's header: shown as text
        st.error(escape(exc), icon=":material/error:")
        return
    for note in result.notes:  # notes quote uploaded column names: shown as text, never as markdown
        st.warning(escape(note), icon=":material/info:")
    st.success(f"Scored {len(result.scored):,} row(s); {len(result.errors):,} failed validation.",
               icon=":material/check_circle:")
    left, right = st.columns(2)
    left.download_button("Download scored CSV", to_csv_bytes(result.scored), "churn_scored.csv", "text/csv",
                         icon=":material/download:", disabled=result.scored.empty)
    right.download_button("Download errors CSV", to_csv_bytes(result.errors), "churn_errors.csv", "text/csv",
                          icon=":material/download:", disabled=result.errors.empty)
    if len(result.scored):
        st.dataframe(result.scored.head(200), hide_index=True, width="stretch")
    if len(result.errors):
        st.markdown("**Rows that failed, with the reason**")
        st.dataframe(result.errors.head(200), hide_index=True, width="stretch")


# --- 6. fairness -----------------------------------------------------------------------------


def fairness(pred: Predictor) -> None:
    """Selection rate, TPR and FPR by gender and by SeniorCitizen at the current threshold."""
    arrays = _oof()
    y, p, t = arrays["y"], arrays["p"], threshold(pred)
    st.caption(f"Out-of-fold predictions at threshold {t:.2f} (set it in the Performance chapter). Neither "
               "attribute is changed by a retention offer; gender and SeniorCitizen are model inputs.")
    groups = {
        "gender": pd.Series(np.where(arrays["male"] == 1, "Male", "Female")),
        "SeniorCitizen": pd.Series(np.where(arrays["senior"] == 1, "senior", "not senior")),
    }
    for col, (attribute, g) in zip(st.columns(2), groups.items(), strict=True):
        table = metrics.group_rates(y, p, g, t)
        with col:
            st.plotly_chart(charts.fairness(table, attribute), width="stretch", config=_PLOTLY)
            st.dataframe(table.style.format({c: "{:.1%}" for c in ("churn_rate", "selection_rate", "tpr", "fpr")}),
                         hide_index=True, width="stretch")
            st.markdown(metrics.fairness_reading(table, attribute))


#: The renderer of every chapter in ``src.core.demos`` (slug -> function of the predictor).
CHAPTERS = {"performance": performance, "drivers": drivers, "customer": customer, "action": action,
            "batch": batch, "fairness": fairness}
