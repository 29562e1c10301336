"""Streamlit widgets of the vision page: input picker, classification, robustness lab, model report.

All computation lives in ``src/vision``; this module only lays it out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from src.core.cards import Card
from src.core.datasets import DataMissingError, is_available
from src.core.settings import model_dir
from src.vision import explain, robustness
from src.vision.data import ImageSet
from src.vision.examples import Example, generated_examples, validation_examples, validation_set
from src.vision.predict import DEFAULT_THRESHOLD, ModelMissingError, Prediction, Predictor
from src.vision.preprocess import MAX_BYTES, BadImageError, load_for_model

REJECT_HELP = (
    "A classifier trained on 10 classes always answers with one of them, so when its calibrated confidence falls "
    "under this threshold we answer **\"not one of the 10 classes\"** instead: a photo of a person or a page of "
    "text must not be called \"cat\" with 99%."
)


# --- cached resources -----------------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the CNN…")
def _predictor(mtime: float) -> Predictor:
    return Predictor.from_artifact(model_dir("vision"))


def predictor() -> Predictor | None:
    """The shared predictor, reloaded when the weights change; None when no model is trained."""
    weights = model_dir("vision") / "model.safetensors"
    if not weights.is_file():
        return None
    try:
        return _predictor(weights.stat().st_mtime)
    except ModelMissingError:
        return None


@st.cache_resource(show_spinner="Loading the validation images (the first time decodes 50,000 JPEGs)…")
def _validation(val_size: int, seed: int) -> ImageSet:
    return validation_set(val_size, seed)


def validation(card: Card | None) -> ImageSet | None:
    """The validation split when the cifar10 data is on this machine, else None."""
    if not is_available("cifar10") or card is None:
        return None
    cfg = card.config
    try:
        return _validation(int(cfg.get("val_size", 5000)), int(cfg.get("seed", 0)))
    except DataMissingError:
        return None


@st.cache_resource(show_spinner=False)
def examples(has_data: bool) -> list[Example]:
    """Validation examples when the data is here (plus the made-up ones), else only made-up ones."""
    made = generated_examples()
    if not has_data:
        return made
    return validation_examples(_validation(5000, 0), per_class=2) + made


# --- input ----------------------------------------------------------------------------------------


def image_input(card: Card | None) -> tuple[np.ndarray, np.ndarray, list[str], str | None] | None:
    """Upload, camera or example picker -> (32x32 input, original, notes, true label) or None."""
    val = validation(card)
    pool = examples(val is not None)
    if val is None:
        st.caption("The CIFAR-10 data is not on this machine, so the examples are drawn by code "
                   "(run `python -m src.core.data fetch cifar10` for real validation images).")
    source = st.radio("Image source", ["Example", "Upload", "Camera"], horizontal=True, key="vision_source")
    if source == "Example":
        names = [e.name for e in pool]
        name = st.selectbox("Example", names, key="vision_example")
        example = pool[names.index(name)]
        return example.image, example.original, [], example.label
    raw = (st.file_uploader("Upload an image (any format PIL reads)", key="vision_upload")
           if source == "Upload" else st.camera_input("Take a picture", key="vision_camera"))
    if raw is None:
        st.info("Choose a file to classify.", icon=":material/upload:")
        return None
    if raw.size > MAX_BYTES:
        st.error(f"This file is {raw.size / 1e6:.0f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
        return None
    try:
        image, original, notes = load_for_model(raw.getvalue())
    except BadImageError as exc:
        st.error(f"**This file can't be used:** {exc}", icon=":material/broken_image:")
        return None
    return image, np.asarray(original), notes, None


def current_image(card: Card | None) -> tuple[np.ndarray, np.ndarray, list[str], str | None] | None:
    """The chosen image, remembered across chapters (the robustness lab reuses it)."""
    chosen = image_input(card)
    if chosen is not None:
        st.session_state["vision_current"] = chosen
    return chosen


# --- classify -------------------------------------------------------------------------------------


def what_the_model_sees(original: np.ndarray, image: np.ndarray, notes: list[str]) -> None:
    """The original next to the 32x32 input enlarged with nearest-neighbour."""
    left, right = st.columns(2)
    left.image(original, caption=f"Original ({original.shape[1]}×{original.shape[0]})", width="stretch")
    right.image(explain.enlarge(image), caption="What the model sees: 32×32, enlarged without smoothing",
                width="stretch")
    for note in notes:
        st.caption(f":material/info: {note}")


def top_k_chart(pred: Prediction, k: int = 5) -> go.Figure:
    """Horizontal bars of the calibrated top-k probabilities."""
    top = pred.top_k(k)[::-1]
    fig = go.Figure(go.Bar(x=[p for _, p in top], y=[c for c, _ in top], orientation="h",
                           text=[f"{p:.1%}" for _, p in top], textposition="auto"))
    fig.update_layout(height=60 + 32 * k, margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(range=[0, 1],
                      tickformat=".0%"))
    return fig


def verdict(pred: Prediction, threshold: float, truth: str | None) -> None:
    """The answer, or the rejection, in one line."""
    truth_text = f" (true class: **{truth}**)" if truth else ""
    if pred.rejected(threshold):
        st.warning(f"**Not one of the 10 classes**: the best guess, *{pred.label}*, has only "
                   f"{pred.confidence:.0%} calibrated confidence, under your {threshold:.0%} threshold{truth_text}.",
                   icon=":material/block:")
    else:
        st.success(f"**{pred.label}** with {pred.confidence:.0%} calibrated confidence{truth_text}.",
                   icon=":material/check_circle:")


def classify(model: Predictor, card: Card | None) -> None:
    """The main chapter: input, what the model sees, top-k, rejection and Grad-CAM."""
    chosen = current_image(card)
    if chosen is None:
        return
    image, original, notes, truth = chosen
    what_the_model_sees(original, image, notes)
    pred = model.predict_image(image, notes)
    left, right = st.columns(2)
    with left:
        st.markdown("#### Top-5 (after temperature scaling)")
        threshold = st.slider("Rejection threshold (calibrated confidence)", 0.0, 1.0, DEFAULT_THRESHOLD, 0.05,
                              key="vision_threshold", help=REJECT_HELP)
        verdict(pred, threshold, truth)
        st.plotly_chart(top_k_chart(pred), width="stretch")
        st.caption(REJECT_HELP + f" Temperature T = {model.temperature:.2f}; energy score {pred.energy:.2f} "
                   "(higher means less like the training images).")
    with right:
        st.markdown("#### Grad-CAM: where the evidence is")
        grad_cam_panel(model, image, pred, key="classify")


def grad_cam_panel(model: Predictor, image: np.ndarray, pred: Prediction, key: str) -> None:
    """Layer, class and opacity pickers, then the overlay."""
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", list(explain.LAYERS), format_func=lambda n: f"{n}: {explain.LAYERS[n]}",
                         key=f"vision_layer_{key}")
    target = c2.selectbox("Explain class", [c for c, _ in pred.top_k(10)], key=f"vision_target_{key}")
    opacity = st.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key=f"vision_opacity_{key}")
    heat = explain.grad_cam(model, image, model.classes.index(target), layer)
    st.image(explain.overlay(image, heat, opacity), caption=f"Grad-CAM for '{target}' at {layer}",
             width="stretch")


# --- robustness -----------------------------------------------------------------------------------


def sweep_chart(result: robustness.Sweep, unit: str, current: float) -> go.Figure:
    """Confidence along the strength axis, coloured by whether the label is still the clean one."""
    same = [lab == result.clean_label for lab in result.labels]
    fig = go.Figure(go.Scatter(
        x=result.strengths, y=result.confidences, mode="lines+markers",
        marker=dict(color=["#2e7d32" if s else "#c62828" for s in same], size=9),
        text=result.labels, hovertemplate="%{x}: %{text} (%{y:.0%})<extra></extra>",
    ))
    fig.add_vline(x=current, line_dash="dot")
    if result.flip_at is not None:
        fig.add_vline(x=result.flip_at, line_color="#c62828",
                      annotation_text=f"label flips at {result.flip_at:g}{unit}")
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=30, b=10), yaxis=dict(range=[0, 1.05],
                      tickformat=".0%", title="confidence"), xaxis_title=f"strength ({unit})")
    return fig


@st.fragment
def robustness_lab(model: Predictor) -> None:
    """One slider per perturbation; the prediction, Grad-CAM and the flip point update as you drag."""
    chosen = st.session_state.get("vision_current")
    if chosen is None:
        pool = examples(is_available("cifar10"))
        first = pool[0]
        chosen = (first.image, first.original, [], first.label)
    image, _, _, truth = chosen
    st.caption("Using the image chosen in *Classify*" + (f" (true class: {truth})." if truth else "."))
    tabs = st.tabs([p.label.split(" (")[0] for p in robustness.PERTURBATIONS.values()])
    for tab, spec in zip(tabs, robustness.PERTURBATIONS.values(), strict=True):
        with tab:
            neutral = 1.0 if spec.name == "brightness" else 0.0
            strength = st.slider(spec.label, spec.lo, spec.hi, neutral, spec.step, key=f"vision_rb_{spec.name}")
            perturbed = robustness.apply(model, image, spec.name, strength)
            pred = model.predict_image(perturbed)
            left, mid, right = st.columns(3)
            left.image(explain.enlarge(image), caption="clean", width="stretch")
            mid.image(explain.enlarge(perturbed), caption=f"{spec.name} {strength:g}{spec.unit}: "
                      f"{pred.label} ({pred.confidence:.0%})", width="stretch")
            heat = explain.grad_cam(model, perturbed, model.classes.index(pred.label), "layer2")
            right.image(explain.overlay(perturbed, heat, 0.5), caption=f"Grad-CAM for '{pred.label}'",
                        width="stretch")
            result = robustness.sweep(model, image, spec.name)
            st.plotly_chart(sweep_chart(result, spec.unit, strength), width="stretch",
                            key=f"vision_sweep_{spec.name}")
            if result.flip_at is None:
                st.success(f"The label stays **{result.clean_label}** over the whole range.")
            else:
                idx = result.strengths.index(result.flip_at)
                st.warning(f"The label flips from **{result.clean_label}** to **{result.labels[idx]}** at "
                           f"{result.flip_at:g}{spec.unit}.")
    st.caption("FGSM (Goodfellow et al. 2015) moves every pixel by ±epsilon in the direction that most increases the "
               "loss of the current label: a change you can barely see is often enough to flip it.")


# --- report ---------------------------------------------------------------------------------------


def confusion_figure(card: Card) -> go.Figure:
    classes = card.extra["classes"]
    matrix = np.array(card.extra["confusion_matrix"])
    fig = go.Figure(go.Heatmap(z=matrix, x=classes, y=classes, colorscale="Blues", text=matrix,
                               texttemplate="%{text}", hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="predicted",
                      yaxis_title="true", yaxis_autorange="reversed")
    return fig


def reliability_figure(card: Card) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"),
                             name="perfect calibration"))
    for key, name in (("reliability_before", "before (raw softmax)"), ("reliability_after", "after temperature")):
        rows = [b for b in card.extra[key] if b["count"]]
        fig.add_trace(go.Scatter(x=[b["confidence"] for b in rows], y=[b["accuracy"] for b in rows],
                                 mode="lines+markers", name=name,
                                 text=[f"{b['count']} images" for b in rows]))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="mean confidence in bin",
                      yaxis_title="accuracy in bin", legend=dict(orientation="h", y=-0.2))
    return fig


def curves_figure(card: Card) -> go.Figure:
    curves = pd.DataFrame(card.extra["curves"])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curves["epoch"], y=curves["train_acc"], name="train accuracy (augmented)"))
    fig.add_trace(go.Scatter(x=curves["epoch"], y=curves["val_acc"], name="validation accuracy"))
    fig.add_trace(go.Scatter(x=curves["epoch"], y=curves["val_loss"], name="validation loss", yaxis="y2",
                             line=dict(dash="dot")))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="epoch",
                      yaxis=dict(title="accuracy", tickformat=".0%"),
                      yaxis2=dict(title="loss", overlaying="y", side="right"), legend=dict(orientation="h", y=-0.25))
    return fig


def model_report(model: Predictor, card: Card) -> None:
    """Confusion matrix, per-class accuracy, reliability, curves and (with data) misclassified images."""
    from src.ui.chrome import metric_tiles

    metric_tiles(card.metrics[:4])
    left, right = st.columns([3, 2])
    with left:
        st.markdown("#### Confusion matrix (validation)")
        st.plotly_chart(confusion_figure(card), width="stretch")
    with right:
        st.markdown("#### Per-class accuracy")
        per_class = pd.Series(card.extra["per_class_accuracy"], name="accuracy").sort_values()
        st.bar_chart(per_class, horizontal=True, height=440)
    left, right = st.columns(2)
    with left:
        st.markdown("#### Reliability diagram")
        st.plotly_chart(reliability_figure(card), width="stretch")
        before, after = card.metric("ECE before temperature scaling"), card.metric("ECE after temperature scaling")
        if before and after:
            st.caption(f"ECE {before.value:.3f} before, {after.value:.3f} after temperature scaling "
                       f"(T = {model.temperature:.2f}); validation NLL {card.extra['nll_before']:.3f} → "
                       f"{card.extra['nll_after']:.3f}.")
    with right:
        st.markdown("#### Training curves")
        st.plotly_chart(curves_figure(card), width="stretch")
        st.caption(f"{len(card.extra['curves'])} epochs, {card.extra['training_time_s'] / 60:.1f} min of training "
                   f"on {card.hardware}.")
    misclassified_gallery(model, card)


def misclassified_gallery(model: Predictor, card: Card) -> None:
    """The validation images the model gets most confidently wrong (needs the data)."""
    st.markdown("#### Most confident mistakes")
    try:
        val = validation(card)
    except DataMissingError:
        val = None
    if val is None:
        st.info("The gallery needs the CIFAR-10 images: `python -m src.core.data fetch cifar10` "
                "(or set PORTFOLIO_DATA_MIRROR). Everything above comes from the model card.",
                icon=":material/cloud_download:")
        return
    wrong = _mistakes(val.images.numpy(), val.labels.numpy(), model.temperature)
    cols = st.columns(6)
    for col, (i, pred_label, conf) in zip(cols * 2, wrong[:12], strict=False):
        image = val.images[i].permute(1, 2, 0).numpy()
        col.image(explain.enlarge(image, 96), caption=f"{val.classes[val.labels[i]]} → {model.classes[pred_label]} "
                  f"({conf:.0%})")


@st.cache_data(show_spinner="Scoring the validation images…")
def _mistakes(images: np.ndarray, labels: np.ndarray, _temperature: float) -> list[tuple[int, int, float]]:
    model = predictor()
    probs = model.predict_batch(images)
    predicted, conf = probs.argmax(1), probs.max(1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-conf[wrong])]
    return [(int(i), int(predicted[i]), float(conf[i])) for i in order[:24]]
