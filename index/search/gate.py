"""The relevance gate: does the corpus answer a question at all?

A question is covered when the best passage means the same thing (cosine similarity) and the
question's telling words occur in that passage and in its article (each word weighted by its
rarity in English, index/search/rarity.py). No one signal separates covered from not covered
on questions nobody tuned on: meaning alone lets near-topic
questions through ("Who is Turkey's football coach?" is close to any passage about Turkey);
words alone miss paraphrases; a passage can miss words its article has. A logistic model
combines them into the probability that the corpus covers the question.

Its coefficients were fitted on the *fit* halves of automatically labelled sets (SQuAD
questions on indexed and left-out Wikipedia articles, with half the articles indexed and with
one; CNN highlights of indexed and left-out news stories) with `briefing eval --fit`. The
threshold keeps the worst of the fit halves' rates farthest above the targets (answered when
covered 0.95, refused when not 0.90); of equally good thresholds it takes the median. The
*test* halves are reported, not fitted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Fitted by `briefing eval --fit` (README, "Measured quality"); in FEATURES order.
INTERCEPT = -11.55
COEFFICIENTS = (7.42, 7.87, 4.89, 1.46, 4.38)
DEFAULT_THRESHOLD = 0.4  # chosen on the fit halves (see the module docstring)
TOPIC_COVERAGE_WEIGHT = 0.8  # sentence relevance in topic briefings (index/summarise/topic.py)


@dataclass(frozen=True)
class GateEvidence:
    """What the gate sees of a question's best passage."""

    similarity: float         # cosine of the question and the best passage
    passage_coverage: float   # rarity-weighted share of the question's words in that passage
    article_coverage: float   # ... anywhere in that passage's article
    best_similarity: float    # highest cosine among all candidate passages
    article_lead: float       # the article's BM25 share minus the next candidate article's

    def vector(self) -> np.ndarray:
        """The features in FEATURES order (`dataclasses.astuple` deep-copies: 10x slower)."""
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float64)


FEATURES = tuple(GateEvidence.__dataclass_fields__)


def probability(evidence: GateEvidence, intercept: float = INTERCEPT,
                coefficients: Sequence[float] = COEFFICIENTS) -> float:
    """The modelled probability that the corpus covers the question."""
    z = intercept + float(np.dot(coefficients, evidence.vector()))
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def coverage(query_tokens: Sequence[str], weights: np.ndarray,
             present: np.ndarray | set[str]) -> float:
    """The weighted share of the question's tokens that occur in a text (weights: the
    tokens' rarity for the gate, their IDF for topic briefings).

    `present` is either the text's token set or a boolean mask over `query_tokens`.
    """
    if not len(query_tokens):
        return 0.0
    if isinstance(present, set):
        present = np.array([t in present for t in query_tokens], dtype=bool)
    total = float(weights.sum())
    return float(weights[present].sum()) / total if total > 0 else 0.0


def sentence_relevance(similarity: float, covered: float) -> float:
    """How relevant one sentence is to a topic: its cosine plus its share of the topic's
    rare words (the words weigh heavily because a short topic has a low cosine to any text)."""
    return similarity + TOPIC_COVERAGE_WEIGHT * covered


def calibrate(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """The threshold that classifies the most questions right (midpoint of the widest gap)."""
    if not len(positive) or not len(negative):
        return None
    values = np.unique(np.concatenate([positive, negative]).astype(np.float64))
    if len(values) < 2:
        return None
    candidates = (values[:-1] + values[1:]) / 2
    gaps = (values[1:] - values[:-1]) / 2
    errors = (np.searchsorted(np.sort(positive), candidates, side="left")
              + len(negative) - np.searchsorted(np.sort(negative), candidates, side="left"))
    tied = np.flatnonzero(errors == errors.min())
    best = max(tied, key=lambda i: (gaps[i], candidates[i]))
    return round(float(candidates[best]), 3)
