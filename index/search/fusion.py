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


def convex(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    """Weighted sum of min-max-normalised dense and lexical scores of the same candidates."""
    return dense_weight * min_max(dense) + (1.0 - dense_weight) * min_max(lexical)

