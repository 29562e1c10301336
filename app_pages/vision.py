"""Vision demo: classify an image with a CPU-trained CNN, see why, stress it, and read its report."""

from src.ui import vision_widgets as vw
from src.ui.chrome import chapter_switcher, load_card, model_card_panel, page_header, run_chapter
from src.ui.loader import model_ready, preload

page_header("vision", vw.how_it_works(load_card("vision")))
chapter = chapter_switcher("vision")  # above the card panel, where the page always had it
card = model_card_panel("vision")

if model_ready("vision"):
    vw.backend_note()
    # chapters open on results stored at training time and load the model only when a screen needs it
    run_chapter("vision", chapter, {"classify": vw.classify, "robustness": vw.robustness_lab,
                                    "report": vw.model_report}, vw.predictor, card)
    preload("vision")  # in the background, for whatever the visitor does next
