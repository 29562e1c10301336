"""Words that carry no topic, written once for retrieval (:mod:`src.rag.retrieve`) and answers (:mod:`src.rag.extract`).

The words a question is asked with ("what does ... do", "can you tell me ...") are the same for both: retrieval
leaves them out of its tokens, and the answer step does not count them as what the question is about. They were
listed twice, in two files; now both lists are built on :data:`QUESTION_WORDS`.

Hand-written rather than a library's list (sklearn's ``ENGLISH_STOP_WORDS`` has 318 words): these are the exact
sets the RAG card's retrieval and answer figures were measured with, and another list would move them.
"""

from __future__ import annotations

#: The words a question is asked with, not what it is about: the wh-words, the auxiliaries that open a
#: question ("does it ...", "can you ...") and the "tell" of "tell me about ...".
QUESTION_WORDS = frozenset(str.split(
    "what which who how why when where do does is are was were can could should would tell"))

#: Words retrieval leaves out of its tokens: English function words, politeness and the question words.
STOPWORDS = QUESTION_WORDS | frozenset(str.split(
    "a an the and or but if of to in on at by for with from as be been being it its this that these those there "
    "here whom whose did doing done have has had i me my we our you your he she they them their his her will "
    "shall may might must not no so than then too very just about into over under again further once all any "
    "both each few more most other some such only own same s t don please"
))
