"""Vision demo: classify an image with a CPU-trained CNN, see why, stress it, and read its report."""

import streamlit as st

from src.ui import vision_widgets as vw
from src.ui.chrome import chapters, guard, model_card_panel, page_header

demo = page_header("vision", """
An **airbench94-style convnet** (three conv groups with batch norm and GELU, a PCA-whitened first layer,
about 2M parameters) trained from scratch on the **CIFAR-10** train images on this 2-core CPU, with flip
and translate augmentation, label smoothing, Nesterov SGD with a triangular schedule and Lookahead.
Every image is centre-cropped and shrunk to **32×32**, the size the model was trained on; predictions
average the image and its mirror, each also shifted one pixel up and down.

Confidences are **temperature-scaled** (one scalar fitted on 5,000 held-out validation images), so "80%"
means right about 80% of the time on CIFAR-like images. Under a threshold you choose, the model says
**"not one of the 10 classes"**. **Grad-CAM** shows which region drove a class, and the **robustness lab**
adds noise, blur, brightness changes and an FGSM attack until the label flips.
""")
chapter = chapters({"classify": "Classify", "robustness": "Robustness lab", "report": "Model report"})
card = model_card_panel("vision")
model = vw.predictor()

if model is None:
    st.info(f"The CNN is not trained yet. Train it with `{demo.train_command}` (about 25 minutes on 2 cores).")
elif chapter == "robustness":
    with guard("the robustness lab"):
        vw.robustness_lab(model)
elif chapter == "report":
    with guard("the model report"):
        if card is None:
            st.info(f"No model card yet: `{demo.train_command}` writes it.")
        else:
            vw.model_report(model, card)
else:
    with guard("the classifier"):
        vw.classify(model, card)
