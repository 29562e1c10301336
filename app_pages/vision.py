"""Vision demo: classify an image with a CPU-trained CNN, see why, stress it, and read its report."""

from src.ui import vision_widgets as vw
from src.ui.chrome import chapter_switcher, load_card, model_card_panel, page_header, run_chapter
from src.ui.loader import load_model

page_header("vision", vw.how_it_works(load_card("vision")))
chapter = chapter_switcher("vision")  # above the card panel, where the page always had it
card = model_card_panel("vision")
model = load_model("vision")

if model is not None:
    vw.backend_note(model)
    run_chapter("vision", chapter, {"classify": vw.classify, "robustness": vw.robustness_lab,
                                    "report": vw.model_report}, model, card)
