"""Streamlit widgets of the vision page: input picker, classification, robustness lab, model report.

All computation lives in ``src/vision``; this module only lays it out.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from src.core import contract
from src.core.cards import Card
from src.core.settings import model_dir
from src.mlops import hooks
from src.ui.loader import load_model, version
from src.vision import explain, insights, robustness
from src.vision.backend_choice import auto_backend, max_drop
from src.vision.examples import Example, dataset_folder, decode_listed, generated_examples
from src.vision.prediction import DEFAULT_THRESHOLD, Prediction
from src.vision.preprocess import MAX_BYTES, BadImageError, load_for_model, preview

if TYPE_CHECKING:  # PyTorch loads with the model, in the background: a first screen draws from stored results
    from src.vision.predict import Predictor

#: What the chapters get: a call that returns the shared predictor, loading it only when a screen needs it.
ModelFn = Callable[[], "Predictor"]

log = logging.getLogger(__name__)

REJECT_HELP = (
    "A classifier trained on 10 classes always answers with one of them, so when its calibrated confidence falls "
    "under this threshold we answer **\"not one of the 10 classes\"** instead: a photo of a person or a page of "
    "text must not be called \"cat\" with 99%."
)


# --- cached resources -----------------------------------------------------------------------------


def predictor() -> Predictor:
    """The shared predictor (the one cached loader of ``src.ui.loader``); the page checked it is trained."""
    model = load_model("vision", panel=False)
    if model is None:
        raise contract.ModelMissingError("vision", model_dir("vision"))
    return model


def stored_screen(image: np.ndarray, name: str | None,
                  card: Card | None) -> tuple[Prediction, dict[str, np.ndarray]] | None:
    """Example ``name``'s prediction and Grad-CAM maps as stored at training time (None: compute live)."""
    if card is None or "classes" not in card.extra:
        return None
    return insights.stored_screen(page_insights(), name, image, card.extra["classes"])


@st.cache_data(show_spinner=False)
def _insights(version: str) -> dict[str, Any]:
    return insights.read()


def page_insights() -> dict[str, Any]:
    """The artifact's precomputed examples, mistakes and sweeps (empty sections when absent)."""
    return _insights(version("vision"))


@st.cache_resource(show_spinner=False)
def _examples(version: str, folder: str | None) -> list[Example]:
    rows = page_insights()["examples"]
    listed = decode_listed(Path(folder), rows) if folder else []
    return listed + generated_examples()


def examples(card: Card | None) -> tuple[list[Example], bool]:
    """(examples, whether real validation images are among them): a dozen files decoded, never the dataset."""
    folder = dataset_folder(card.config if card else None)
    pool = _examples(version("vision"), str(folder) if folder else None)
    return pool, any(e.name.startswith("validation") for e in pool)


# --- input ----------------------------------------------------------------------------------------


def image_input(card: Card | None) -> tuple[np.ndarray, np.ndarray, list[str], str | None] | None:
    """Upload, camera or example picker -> (32x32 input, original, notes, true label) or None."""
    pool, has_validation = examples(card)
    if not has_validation and dataset_folder(card.config if card else None) is None:
        st.caption("The CIFAR-10 data is not on this machine, so the examples are drawn by code "
                   "(run `python -m src.core.data fetch cifar10` for real validation images).")
    elif not has_validation:
        st.caption("This model's artifact lists no validation examples, so the examples are drawn by code "
                   "(`python -m src.vision.insights` lists them).")
    source = st.radio("Image source", ["Example", "Upload", "Camera"], horizontal=True, key="vision_source")
    if source == "Example":
        names = [e.name for e in pool]
        name = st.selectbox("Example", names, key="vision_example")
        example = pool[names.index(name)]
        st.session_state["vision_current_name"] = example.name
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
    st.session_state["vision_current_name"] = None  # an upload: the robustness lab computes it live
    return image, preview(original), notes, None


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
    left.image(preview(original), caption="Original", width="stretch")
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


def classify(model: ModelFn, card: Card | None) -> None:
    """The main chapter: input, what the model sees, top-k, rejection and Grad-CAM."""
    chosen = current_image(card)
    if chosen is None:
        return
    image, original, notes, truth = chosen
    what_the_model_sees(original, image, notes)
    stored = stored_screen(image, st.session_state.get("vision_current_name"), card)
    if stored is not None:
        # Computed by the model at training time for this very example; not logged as served traffic,
        # since the monitor's latency budget is about the model answering, which it did not do now.
        pred, heats = stored
    else:
        started = time.perf_counter()
        pred, heats = model().predict_image(image, notes), {}
        # an example is an array (its .size is the element count), an upload a PIL image (.size is width, height)
        size = (original.shape[1], original.shape[0]) if isinstance(original, np.ndarray) else getattr(
            original, "size", None)
        hooks.log_vision(image, size, pred.label, pred.confidence, started)
    left, right = st.columns(2)
    with left:
        st.markdown("#### Top-5 (after temperature scaling)")
        threshold = st.slider("Rejection threshold (calibrated confidence)", 0.0, 1.0, DEFAULT_THRESHOLD, 0.05,
                              key="vision_threshold", help=REJECT_HELP)
        verdict(pred, threshold, truth)
        st.plotly_chart(top_k_chart(pred), width="stretch")
        t = card_temperature(card)
        st.caption(REJECT_HELP + (f" Temperature T = {t:.2f}." if t else "") + f" Energy score {pred.energy:.2f} "
                   "(higher means less like the training images).")
    with right:
        st.markdown("#### Grad-CAM: where the evidence is")
        grad_cam_panel(model, image, pred, key="classify", stored=heats)


def card_temperature(card: Card | None) -> float | None:
    """The fitted temperature from the card (the figure the served predictor was built with), or None."""
    metric = card.metric("temperature") if card else None
    return metric.value if metric else None


def grad_cam_panel(model: ModelFn, image: np.ndarray, pred: Prediction, key: str,
                   stored: dict[str, np.ndarray] | None = None) -> None:
    """Layer, class and opacity pickers, then the overlay (a stored map of the top class when there is one)."""
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", list(explain.LAYERS), format_func=lambda n: f"{n}: {explain.LAYERS[n]}",
                         key=f"vision_layer_{key}")
    target = c2.selectbox("Explain class", [c for c, _ in pred.top_k(10)], key=f"vision_target_{key}")
    opacity = st.slider("Overlay opacity", 0.0, 1.0, 0.5, 0.05, key=f"vision_opacity_{key}")
    heat = (stored or {}).get(layer) if target == pred.label else None
    if heat is None:
        heat = explain.grad_cam(model(), image, pred.classes.index(target), layer)
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


def _sweep(model: ModelFn, image: np.ndarray, name: str | None, perturbation: str) -> robustness.Sweep:
    """The precomputed sweep of an example image (from training time), else computed now (uploads)."""
    stored = page_insights()["sweeps"].get(name or "", {}).get(perturbation)
    return robustness.Sweep(**stored) if stored else robustness.sweep(model(), image, perturbation)


def _scored(model: ModelFn, image: np.ndarray, name: str | None, perturbed: np.ndarray, card: Card | None,
            seen: dict[bytes, tuple[Prediction, np.ndarray]]) -> tuple[Prediction, np.ndarray]:
    """The prediction and layer2 Grad-CAM of a (perturbed) image: stored for an untouched example, else live.

    Every tab draws on each run and, at its neutral setting, shows the same clean image: scored once.
    """
    if (key := perturbed.tobytes()) not in seen:
        stored = stored_screen(image, name, card) if key == image.tobytes() else None
        if stored is not None and "layer2" in stored[1]:
            seen[key] = stored[0], stored[1]["layer2"]
        else:
            pred = model().predict_image(perturbed)
            seen[key] = pred, explain.grad_cam(model(), perturbed, pred.classes.index(pred.label), "layer2")
    return seen[key]


@st.fragment
def robustness_lab(model: ModelFn, card: Card | None) -> None:
    """One slider per perturbation; the prediction, Grad-CAM and the flip point update as you drag."""
    chosen = st.session_state.get("vision_current")
    name = st.session_state.get("vision_current_name")
    if chosen is None:
        first = examples(card)[0][0]
        chosen, name = (first.image, first.original, [], first.label), first.name
    image, _, _, truth = chosen
    st.caption("Using the image chosen in *Classify*" + (f" (true class: {truth})." if truth else "."))
    tabs = st.tabs([p.label.split(" (")[0] for p in robustness.PERTURBATIONS.values()])
    seen: dict[bytes, tuple[Prediction, np.ndarray]] = {}
    for tab, spec in zip(tabs, robustness.PERTURBATIONS.values(), strict=True):
        with tab:
            neutral = 1.0 if spec.name == "brightness" else 0.0
            strength = st.slider(spec.label, spec.lo, spec.hi, neutral, spec.step, key=f"vision_rb_{spec.name}")
            # the neutral setting leaves every pixel as it is (FGSM's 0 too): no gradient to compute
            perturbed = image if strength == neutral else robustness.apply(model(), image, spec.name, strength)
            pred, heat = _scored(model, image, name, perturbed, card, seen)
            left, mid, right = st.columns(3)
            left.image(explain.enlarge(image), caption="clean", width="stretch")
            mid.image(explain.enlarge(perturbed), caption=f"{spec.name} {strength:g}{spec.unit}: "
                      f"{pred.label} ({pred.confidence:.0%})", width="stretch")
            right.image(explain.overlay(perturbed, heat, 0.5), caption=f"Grad-CAM for '{pred.label}'",
                        width="stretch")
            result = _sweep(model, image, name, spec.name)
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


def model_report(model: ModelFn, card: Card | None) -> None:
    """Confusion matrix, per-class accuracy, reliability, curves and (with data) misclassified images."""
    if card is None:
        st.info(f"No model card yet: `{contract.train_command('vision')}` writes it.")
        return
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
            t = card_temperature(card)
            st.caption(f"ECE {before.value:.3f} before, {after.value:.3f} after temperature scaling"
                       f"{f' (T = {t:.2f})' if t else ''}; validation NLL {card.extra['nll_before']:.3f} → "
                       f"{card.extra['nll_after']:.3f}.")
    with right:
        st.markdown("#### Training curves")
        st.plotly_chart(curves_figure(card), width="stretch")
        st.caption(f"{len(card.extra['curves'])} epochs, {card.extra['training_time_s'] / 60:.1f} min of training "
                   f"on {card.hardware}.")
    misclassified_gallery(card)


def misclassified_gallery(card: Card) -> None:
    """The validation images the model gets most confidently wrong, listed at training time; decodes only those."""
    st.markdown("#### Most confident mistakes")
    rows = page_insights()["mistakes"][:12]
    folder = dataset_folder(card.config)
    if not rows or folder is None:
        st.info("The gallery needs the CIFAR-10 images: `python -m src.core.data fetch cifar10` "
                "(or set PORTFOLIO_DATA_MIRROR). Everything above comes from the model card.",
                icon=":material/cloud_download:")
        return
    shown = _decoded_mistakes(version("vision"), str(folder))
    cols = st.columns(6)
    for col, (row, example) in zip(cols * 2, shown, strict=False):
        # "stretch": every tile takes its column's width (by default a long caption widened its own tile)
        col.image(explain.enlarge(example.image, 160), width="stretch",
                  caption=f"{row['true']} → {row['predicted']} ({row['confidence']:.0%})")


@st.cache_resource(show_spinner=False)
def _decoded_mistakes(version: str, folder: str) -> list[tuple[dict[str, Any], Example]]:
    rows = page_insights()["mistakes"][:12]
    decoded = {e.name: e for e in decode_listed(Path(folder), rows)}
    return [(row, decoded[row["file"]]) for row in rows if row["file"] in decoded]


# --- page text ------------------------------------------------------------------------------------


def how_it_works(card: Card | None) -> str:
    """The page's introduction, with every figure read from the model card."""
    if card is None:
        return ("An **airbench94-style convnet** trained from scratch on the **CIFAR-10** train images on a CPU. "
                "No model is trained on this machine yet.")
    cfg = card.config
    params = card.metric("parameters (M)")
    minutes = card.metric("training time (min)")
    cores = re.search(r"(\d+) cores?", card.hardware)
    cpu = f"a {cores[1]}-core CPU" if cores else "a CPU"
    shift = f"{cfg['translate']}-pixel" if "translate" in cfg else "pixel"
    return f"""
An **airbench94 convnet** (Jordan 2024: a frozen patch-whitening first layer, three conv groups with
scale-free batch norm and GELU{f", {params.value:.1f}M parameters" if params else ""}) trained from scratch on
**{cfg.get("train_images", 0):,} CIFAR-10 train images** for {cfg.get("epochs", 0):g} epochs
{f"({minutes.value:.0f} minutes)" if minutes else ""} on {cpu}, with alternating flips, {shift}
translations, label smoothing, Nesterov SGD and a Lookahead average of the weights. Every image is
centre-cropped and shrunk to **32×32**; predictions average the image, its mirror and one-pixel shifts.

Confidences are **temperature-scaled** (one scalar fitted on {cfg.get("val_images", 0):,} held-out validation
images), so "80%" means right about 80% of the time on CIFAR-like images. Under a threshold you choose, the model
says **"not one of the 10 classes"**. **Grad-CAM** shows which region drove a class, and the **robustness lab**
adds noise, blur, brightness changes and an FGSM attack until the label flips.
"""


BACKEND_TEXT = {
    "torch-bf16": "PyTorch with bfloat16 autocast (this CPU has native bf16)",
    "torch-fp32": "PyTorch float32 with batch norm folded into the convolutions (no native bf16 on this CPU)",
    "onnx-int8": "ONNX Runtime on the int8 graph, checked at training time to stay within {drop:g} "
                 "points of float32 (no native bf16 on this CPU)",
    "onnx-fp32": "ONNX Runtime on the folded float32 graph (no native bf16 on this CPU)",
}


def backend_note() -> None:
    """Which inference backend this server uses, under the model card panel.

    The same choice the loader makes (``auto_backend`` decides from CPU features and artifact files),
    so the note is right before the model has loaded.
    """
    folder = model_dir("vision")
    name = auto_backend(folder)
    drop = max_drop(folder)
    text = BACKEND_TEXT.get(name, "chosen at load time").format(drop=(drop or 0) * 100)
    st.caption(f":material/memory: Inference backend: **{name}**, {text}.")
