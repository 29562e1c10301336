"""Speed of the committed sentiment models: ``make bench`` or ``python -m src.bench sentiment``."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import torch

from src.core.benchmark import Row, print_table, time_ms
from src.sentiment import baselines
from src.sentiment.data import read_labelled_tsv
from src.sentiment.explain import explain_transformer
from src.sentiment.predict import MODEL_TITLES, MODELS, Predictor

#: 40 short product, restaurant and movie reviews written for this project (an out-of-domain sanity check).
OOD_FILE = Path(__file__).with_name("ood_reviews.tsv")
SENTENCE = "The staff were friendly, but the room was smaller than the photos suggested."


def review_sentences(n: int) -> list[str]:
    """``n`` varied review-like sentences of 10-25 words, generated here (SST-2 dev averages ~19 words)."""
    openers = ["Honestly,", "To be fair,", "After two visits,", "Overall,", "From the first minute,"]
    subjects = ["the service at this little place", "the second half of the film", "the battery of this phone",
                "the breakfast buffet", "the lead actor's performance"]
    verdicts = ["was far better than I expected", "felt rushed and oddly careless", "kept surprising me",
                "was a complete waste of money", "made the whole evening worthwhile"]
    tails = ["and I would go back.", "so I left early.", "despite the long queue outside.", "for the price.",
             "which says a lot."]
    combos = itertools.cycle(itertools.product(openers, subjects, verdicts, tails))
    return [" ".join(next(combos)) for _ in range(n)]


def main() -> None:
    """Print one-sentence latency, batched throughput and attribution latency against the issue's goals."""
    torch.set_num_threads(2)
    predictor = Predictor.from_artifact()
    one = [SENTENCE]
    single = time_ms(lambda: predictor.transformer.logits(one), repeat=50, warmup=5)
    batch = review_sentences(1024)
    predictor.transformer.logits(batch[:64])
    start = time.perf_counter()
    predictor.transformer.logits(batch, batch_size=64)
    throughput = len(batch) / (time.perf_counter() - start)
    attribution = time_ms(lambda: explain_transformer(predictor, SENTENCE, "positive"), repeat=10, warmup=2)
    linear = time_ms(lambda: baselines.linear_logits(predictor.linear, one), repeat=50)
    vader = time_ms(lambda: predictor.vader.logits(one), repeat=50)
    ood = read_labelled_tsv(OOD_FILE)
    probs = predictor.probabilities(ood["sentence"].tolist())
    quality = [Row(f"out-of-domain sanity set ({len(ood)} reviews), {MODEL_TITLES[n]}",
                   f"{((probs[n] >= 0.5) == ood['label'].to_numpy()).mean():.1%}") for n in MODELS]
    print_table("Sentiment analysis", [
        Row("one sentence, transformer, CPU (2 threads)", f"{single:.1f} ms", "≤ 15 ms", single <= 15),
        Row("batched throughput, transformer (batch 64)", f"{throughput:,.0f} sentences/s", "≥ 500/s",
            throughput >= 500),
        Row("attributions for one sentence (IG, 32 steps)", f"{attribution:.0f} ms", "≤ 500 ms", attribution <= 500),
        Row("one sentence, TF-IDF + logistic regression", f"{linear:.2f} ms"),
        Row("one sentence, VADER", f"{vader:.2f} ms"),
        *quality,
    ])


if __name__ == "__main__":
    main()
