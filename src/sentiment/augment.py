"""Training-set augmentation for the transformer: negation, typos and neutral sentences.

SST-2 alone leaves three gaps the behaviour suite shows: few plain negations of a sentiment word
("was not boring at all"), no misspellings, and no neutral text (GLUE dropped the neutral phrases,
so a timetable line gets a confident label). Each generator below fills one gap with rows built here:

- **negation**: sentiment words taken from SST-2 train itself (a word that is a labelled phrase on its
  own *and* follows "is/was/are/were" somewhere in train, i.e. used predicatively) put into frames
  written for this project, negated with the label flipped (and some left plain, label kept);
- **typos**: copies of random train phrases with one or two words misspelt (swap, drop, double or
  replace a letter), label kept;
- **neutral**: factual sentences from templates written for this project, with a *soft* target of 0.5
  (the loss is cross-entropy against [1 - t, t]), so the model learns to stay unsure on them.

No generated row may equal a behaviour-suite text (they are removed), and the templates avoid the
suite's own sentence frames, so the suite still measures generalisation. Only the transformer sees
these rows; the TF-IDF model and every evaluation use SST-2 alone. No library covers this
(nlpaug/textattack bring heavy dependencies and WordNet downloads for what is ~100 lines here).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from src.sentiment.behaviour import load_cases

#: Subjects of the negation frames (movie, book, product and restaurant domains).
SUBJECTS = ("the film", "the movie", "this story", "the acting", "the script", "the dialogue", "the cast",
            "the ending", "the direction", "the soundtrack", "the characters", "the book", "the show", "the meal",
            "the service", "the hotel", "the game", "the album", "this phone", "the performance", "it",
            "the whole thing")
#: Negated frames: ``{s}`` subject, ``{be}`` verb, ``{w}`` sentiment word; the label is flipped.
NEGATED = ("{s} {be} not {w}", "{s} {be} not {w} at all", "{s} {be}n't {w}", "{s} {be} n't {w}",
           "{s} {be} never {w}", "{s} {be} not really {w}", "{s} {be} not {w} in the least",
           "i would not call {s} {w}", "nobody could call {s} {w}", "{s} {be} anything but {w}")
#: Plain frames: the label is kept (so the model does not learn "a frame means flip").
PLAIN = ("{s} {be} {w}", "{s} {be} really {w}", "{s} {be} {w} from start to finish", "i found {s} {w}")

#: Neutral templates and their slots (written for this project; none of them is a suite frame).
NEUTRAL_TEMPLATES = (
    "the {shop} opens at {hour} on {day}s.", "the {vehicle} to {city} takes about {n} minutes.",
    "the form has {n} pages and must be signed in {colour} ink.", "the {thing} weighs {n} grams.",
    "our office moved to {city} in {month}.", "the report is due on {day}.",
    "the book has {n} chapters and an index.", "the film was shot in {city} over {n} weeks.",
    "the documentary is available with subtitles in {n} languages.", "the album was recorded in {month}.",
    "the {shop} is on the corner of {street} street.", "the library is closed on {day}.",
    "the package will arrive between {hour} and {hour2}.", "the {thing} is {colour} and comes in a box.",
    "there are {n} chairs in the room.", "the course starts in {month} and lasts {n} weeks.",
    "the director was born in {city}.", "the sequel is scheduled for {month}.",
    "the password must contain at least {n} characters.", "the museum is {n} kilometres from {city}.",
    "the bus stop is next to the {shop}.", "the conference call starts at {hour}.",
    "the manual is written in english and {language}.", "the screening is in room {n}.",
    "{city} is the capital of the region.", "the survey has {n} questions.",
    "the {thing} uses a standard charger.", "the actors rehearsed for {n} days.",
    "please return the keys to reception before {hour}.", "the menu lists {n} dishes.",
)
SLOTS = {
    "shop": ("bakery", "pharmacy", "post office", "bank", "hardware store", "bookshop"),
    "vehicle": ("bus", "ferry", "tram", "coach"),
    "city": ("Leipzig", "Porto", "Nairobi", "Osaka", "Denver", "Lyon", "Cardiff", "Pune", "Quito", "Bergen"),
    "hour": ("8 am", "9:30", "noon", "2 pm", "5 pm", "18:00"), "hour2": ("4 pm", "6 pm", "20:00"),
    "day": ("Monday", "Wednesday", "Thursday", "Saturday", "Sunday"),
    "month": ("January", "April", "June", "September", "November"),
    "thing": ("lamp", "kettle", "printer", "backpack", "speaker", "camera"),
    "colour": ("black", "blue", "grey", "white"), "street": ("Mill", "Station", "Church", "Park"),
    "language": ("french", "spanish", "german", "japanese"), "n": tuple(str(n) for n in (2, 3, 5, 7, 12, 20, 45, 90)),
}
SOFT_TARGET = 0.5


@dataclass(frozen=True)
class AugmentSettings:
    """How many rows of each kind to add (0 turns a kind off)."""

    negation: int = 0
    typos: int = 0
    neutral: int = 0


def sentiment_words(train: pd.DataFrame) -> pd.DataFrame:
    """(word, label) of single-word train phrases that also follow a copula at least twice in train."""
    text = train["sentence"].str.lower()
    counts = Counter(re.findall(r"\b(?:is|was|are|were) ([a-z][a-z-]{2,})\b", " ".join(text)))
    predicative = {w for w, c in counts.items() if c >= 2}  # twice, so one odd phrase does not count
    words = train[text.str.fullmatch(r"[a-z][a-z-]{2,}")].assign(word=lambda f: f["sentence"].str.lower())
    words = words[words["word"].isin(predicative)]
    consistent = words.groupby("word")["label"].agg(["mean", "size"])
    consistent = consistent[consistent["mean"].isin([0.0, 1.0])]
    return pd.DataFrame({"word": consistent.index, "label": consistent["mean"].astype(int).to_numpy()})


def negations(words: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows: a word in a negated frame (label flipped) or, one time in four, a plain frame."""
    rows = []
    for _ in range(n if len(words) else 0):
        word, label = words.iloc[rng.integers(len(words))]
        subject = SUBJECTS[rng.integers(len(SUBJECTS))]
        be = ("is", "was") if subject != "the characters" else ("are", "were")
        plain = rng.random() < 0.25
        frame = (PLAIN if plain else NEGATED)[rng.integers(len(PLAIN if plain else NEGATED))]
        text = frame.format(s=subject, be=be[rng.integers(2)], w=word)
        rows.append((text, float(label if plain else 1 - label)))
    return pd.DataFrame(rows, columns=["sentence", "label"])


def misspell(word: str, rng: np.random.Generator) -> str:
    """One edit inside the word: swap two neighbours, drop, double or replace a letter."""
    i = int(rng.integers(1, len(word) - 1))  # keep the first letter, as most typos do
    kind = rng.integers(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + "abcdefghijklmnopqrstuvwxyz"[rng.integers(26)] + word[i + 1 :]


def typos(train: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` copies of random train phrases with one or two words of 4+ letters misspelt.

    The misspelt words are the phrase's sentiment words when it has any (a word that is a labelled
    phrase on its own in train: SST-2 binary kept only polar phrases), since a typo that only hits
    "the" or "movie" teaches nothing about reading a misspelt "fantastc".
    """
    pool = train[train["sentence"].str.count(r"\b[a-z]{4,}\b") >= 1].reset_index(drop=True)
    polar = set(train.loc[train["sentence"].str.fullmatch(r"[a-z]{4,}"), "sentence"])
    rows = []
    for idx in rng.integers(len(pool), size=n if len(pool) else 0):
        words = pool.at[idx, "sentence"].split()
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        long = [i for i in long if words[i] in polar] or long
        for i in rng.choice(long, size=min(len(long), int(rng.integers(1, 3))), replace=False):
            words[i] = misspell(words[i], rng)
        rows.append((" ".join(words), float(pool.at[idx, "label"])))
    return pd.DataFrame(rows, columns=["sentence", "label"])


def neutral(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` factual sentences from the templates, each with the soft target 0.5."""
    rows = []
    for _ in range(n):
        template = NEUTRAL_TEMPLATES[rng.integers(len(NEUTRAL_TEMPLATES))]
        slots = {k: v[rng.integers(len(v))] for k, v in SLOTS.items()}
        text = template.format(**slots)
        rows.append((text[0].upper() + text[1:] if rng.random() < 0.5 else text, SOFT_TARGET))
    return pd.DataFrame(rows, columns=["sentence", "label"])


def augment(train: pd.DataFrame, settings: AugmentSettings, seed: int = 0) -> pd.DataFrame:
    """The train rows plus the generated ones (``label`` becomes a float target in [0, 1]), shuffled.

    Generated rows equal to a behaviour-suite text (case-insensitive) are dropped.
    """
    rng = np.random.default_rng(seed + 1)
    parts = [train.assign(label=train["label"].astype(float))]
    if settings.negation:
        parts.append(negations(sentiment_words(train), settings.negation, rng))
    if settings.typos:
        parts.append(typos(train, settings.typos, rng))
    if settings.neutral:
        parts.append(neutral(settings.neutral, rng))
    suite = {t.lower().rstrip(".") for case in load_cases() for t in case.texts}
    extra = pd.concat(parts[1:], ignore_index=True) if len(parts) > 1 else parts[0].iloc[:0]
    extra = extra[~extra["sentence"].str.lower().str.rstrip(".").isin(suite)]
    out = pd.concat([parts[0], extra], ignore_index=True).astype({"label": float})  # an empty part is object-typed
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)
