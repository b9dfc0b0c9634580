"""Maximal marginal relevance: pick relevant items that do not repeat each other."""

from __future__ import annotations

import numpy as np

REPEAT = 0.95  # cosine at which two sentences say the same in (nearly) the same words
SAME_FACT = 0.8  # sentence cosine at which two sentences are taken to state the same fact


def marginal_relevance(relevance: np.ndarray, redundancy: np.ndarray,
                       diversity: float) -> np.ndarray:
    """MMR's trade-off for each item: relevance, less its redundancy with what is chosen already.

    `redundancy[i]` is item i's highest similarity to any chosen item (0 before the first pick).
    """
    return (1.0 - diversity) * np.asarray(relevance, dtype=np.float64) \
        - diversity * np.asarray(redundancy, dtype=np.float64)


def mmr(relevance: np.ndarray, similarity: np.ndarray, k: int,
        diversity: float = 0.3, same: float | None = None,
        available: np.ndarray | None = None) -> list[int]:
    """Indices of up to `k` items, in the order chosen, by maximal marginal relevance.

    Each step takes the item maximising
    ``(1 - diversity) * relevance[i] - diversity * max(similarity[i, chosen])``; the first pick
    is the most relevant item. `similarity` is the items' square pairwise similarity matrix
    (cosines of normalised vectors). `diversity` 0 ranks by relevance alone; 1 ignores relevance
    after the first pick. With `same` (e.g. REPEAT), an item whose similarity to a chosen one
    reaches it is never chosen (a repeat costs MMR only `diversity`, which a very relevant
    repeat outweighs); only items `available` (a mask) are chosen; so fewer than `k` may come
    back. Ties go to the lower index, so the result is deterministic.
    """
    relevance = np.asarray(relevance, dtype=np.float64)
    similarity = np.asarray(similarity, dtype=np.float64)
    n = len(relevance)
    if similarity.shape != (n, n):
        raise ValueError(f"similarity must be {n}x{n}, got {similarity.shape}")
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be within [0, 1], got {diversity}")
    left = np.ones(n, dtype=bool) if available is None else np.array(available, dtype=bool)
    same = np.inf if same is None else same
    redundancy = np.zeros(n)
    chosen: list[int] = []
    while len(chosen) < k and left.any():
        score = marginal_relevance(relevance, redundancy, diversity) if chosen \
            else relevance.copy()
        score[~left] = -np.inf
        pick = int(np.argmax(score))
        chosen.append(pick)
        left &= similarity[:, pick] < same
        left[pick] = False
        redundancy = np.maximum(redundancy, similarity[:, pick])
    return chosen
