"""Pure functions that combine dense and lexical scores into one ranking."""

from __future__ import annotations

import numpy as np


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1]; a constant vector maps to all ones (or zeros when all zero)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-12:
        return np.ones_like(scores) if high > 0 else np.zeros_like(scores)
    return (scores - low) / (high - low)


def bounded(lexical: np.ndarray, bound: float) -> np.ndarray:
    """BM25 scores as a share of `bound`, the most a text could score for the question: the
    sum of its words' IDF (Lucene's BM25 gives a word at most its IDF). Unlike min-max over
    the candidates, a weak match stays weak however few candidates there are."""
    lexical = np.asarray(lexical, dtype=np.float64)
    return lexical / bound if bound > 0 else np.zeros_like(lexical)


# The fused score is stretched onto the scale of the earlier min-max fusion, on which the
# bonuses added to it were fitted (recency in index/search/hybrid.py, follow-up context
# in index/search/followup.py): over the fit halves of SQuAD and the CNN archive, the gap
# between the best candidate and the 2nd, 4th or 11th was 1.7-2.1 times as wide under min-max.
SCALE = 2.0


def fuse(dense: np.ndarray, lexical: np.ndarray, lexical_bound: float,
         dense_weight: float) -> np.ndarray:
    """`SCALE` × (`dense_weight` × the cosine + the rest × the BM25 share of its bound
    (`bounded`)), for the same candidates.

    Neither signal is min-max normalised over the candidates: min-max gave the passage with the
    most common question words lexical 1.0 however weak its match (a one-article corpus), and
    threw away how close in meaning the best passage actually is. Both now keep their level,
    so a score compares across questions.
    """
    return SCALE * (dense_weight * np.asarray(dense, dtype=np.float64)
                    + (1.0 - dense_weight) * bounded(lexical, lexical_bound))
