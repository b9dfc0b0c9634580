"""The words a candidate passage's sentences hold, and how much of a question one sentence holds.

A passage that holds the question's words in one sentence is likelier to answer it than one
whose matches are scattered over several: a fact usually sits in one sentence. BM25 scores a
passage as a bag of words; the best sentence's share of the question's words (each weighted
by its IDF) adds that proximity to the ranking, for the few best candidates only. It is
lexical on purpose: embedding every candidate sentence would cost more than the whole search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.ingest.splitting import sentence_spans
from index.spans import PassageRecord
from index.store.lexical import span_tokens

# A passage's sentence spans, each sentence's token set, and the whole text's token set when
# the sentences hold every word (else None: see index/store/lexical.py, `span_tokens`).
SentenceTokens = tuple[list[tuple[int, int]], list[set[str]], set[str] | None]


def sentence_tokens(record: PassageRecord) -> SentenceTokens:
    """The passage's sentences and their token sets (stored sentence spans, else split now)."""
    text = record.text
    spans = list(record.sentences) or sentence_spans(text) or [(0, len(text))]
    return (spans, *span_tokens(text, spans))


def best_sentence(weights: Mapping[str, float], sentences: Sequence[set[str]]
                  ) -> tuple[int, float]:
    """The position of the sentence holding the most weight of the question's tokens (the
    earlier on ties) and that weight; `sentences` must not be empty."""
    scores = [overlap(weights, tokens) for tokens in sentences]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best, scores[best]


def overlap(weights: Mapping[str, float], tokens: set[str]) -> float:
    """The summed weight of the question's tokens that `tokens` holds."""
    return sum(w for t, w in weights.items() if t in tokens)
