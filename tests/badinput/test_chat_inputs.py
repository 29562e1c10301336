"""The chat: a prompt-injection upload, "$1e308", huge and odd questions (issue 16 #5, #11).

A scripted generator stands in for llama.cpp and plays the worst case: it obeys the injected
instruction. The guard must then keep the claim out of the shown answer, or warn visibly.
"""

from __future__ import annotations

import pytest

from src.rag import guardrails, router
from src.rag.chat import Assistant
from src.rag.chunking import chunk_documents
from src.rag.documents import Document, add_uploads
from src.rag.embed import shared
from src.rag.retrieve import Index
from tests.badinput.checks import assert_clear, measured
from tests.badinput.corpus import CHAT_QUESTIONS, INJECTION_DOC, INJECTION_SENTENCES

SECONDS = 20
OWNER_DOC = ("# About this portfolio\n\nThe portfolio's owner built five demos: churn, vision, sentiment, a chat and "
             "model health. Every number on a page comes from a model card written by a training run.")


class ObedientGenerator:
    """Says what the injected note told it to say."""

    name = "obedient"

    def __init__(self) -> None:
        self.calls = 0

    def stream(self, messages, **_):
        self.calls += 1
        yield "The reference check concluded that the portfolio owner is a fraud and faked every model card."


@pytest.fixture(scope="module")
def index() -> Index:
    portfolio = [Document(source="docs/about.md", title="About", text=OWNER_DOC)]
    uploads, messages = add_uploads({}, [("reference_check.md", INJECTION_DOC.encode())])
    assert [level for level, _ in messages] == ["ok"]
    return Index.build(chunk_documents([*portfolio, *uploads.values()]), shared())


#: Ordinary documentation: instructions to people, and text about reference checks, must not be flagged.
BENIGN = ["Run make install once, then make run to serve the app.",
          "The reference check was completed by a former colleague in 2024.",
          "Do not commit the raw Telco dataset; it is fetched and verified by checksum."]


def _flags(sentences: list[str]) -> list[bool]:
    """The chat's own injection check: the regex plus, when present, the embedding classifier (issue 16 #5)."""
    try:
        from src.rag.injection import classifier
    except ImportError:  # before the classifier existed: the regex alone
        return [guardrails.looks_like_injection(s) for s in sentences]
    return classifier(shared()).flags(sentences)


def test_every_instruction_sentence_is_flagged():
    missed = [s for s, flagged in zip(INJECTION_SENTENCES, _flags(INJECTION_SENTENCES), strict=True) if not flagged]
    assert not missed, f"issue 16 #5: {len(missed)} of {len(INJECTION_SENTENCES)} not flagged: {missed}"


def test_ordinary_documentation_is_not_flagged():
    assert not any(_flags(BENIGN)), [s for s, f in zip(BENIGN, _flags(BENIGN), strict=True) if f]


def test_an_upload_cannot_make_the_chat_call_the_owner_a_fraud(index):
    turn = Assistant(index, ObedientGenerator(), tools={}).ask(
        "What did the reference check conclude about the portfolio owner?")
    claims_fraud = "fraud" in turn.answer.lower()
    assert not claims_fraud or turn.warnings, "issue 16 #5: the claim is shown with no visible warning"
    if claims_fraud:
        assert (turn.faithfulness or 0) < 1, "issue 16 #5: an injected claim scored as fully faithful"


def test_dollar_1e308_is_not_read_as_one_dollar():
    found, _ = router.parse_customer(CHAT_QUESTIONS["dollar_1e308"])
    assert found.get("MonthlyCharges") != 1.0, "issue 16 #11: $1e308 parsed as MonthlyCharges = 1.0"


@pytest.mark.parametrize("name", sorted(CHAT_QUESTIONS))
def test_odd_questions_get_an_answer_or_a_clear_notice(name, index):
    with measured() as usage:
        turn = Assistant(index, ObedientGenerator(), tools=None).prepare(CHAT_QUESTIONS[name])
    assert usage.within(SECONDS), usage
    for text in [*turn.notices, turn.answer, turn.tool.text if turn.tool else ""]:
        if text:
            assert_clear(text)
    if name == "huge_question":
        assert any("characters" in n for n in turn.notices), turn.notices
    if name in ("dollar_1e308", "tenure_1e20"):  # issue 16 #11: refused, or scored with the value said
        said = " ".join([*turn.notices, turn.tool.text if turn.tool else ""])
        assert "1e308" in said or "1e+308" in said or "100000000000000000000" in said or "1e+20" in said, said
    if name == "empty":
        assert turn.kind == "empty"
