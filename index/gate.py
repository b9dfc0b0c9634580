"""The relevance gate: does the corpus answer a question at all?

The gate score adds two signals of the best passage: its cosine similarity to the question, and
how much of the question's rare vocabulary (IDF-weighted) it contains. Meaning alone lets
near-topic questions through ("Who is Turkey's football coach?" is close to any passage about
Turkey); words alone miss paraphrases. The words weigh heavily (0.8) because short keyword
queries and summary topics ("Sweden", "trade") have low cosine even to the passage about them:
with 0.3, a threshold that refused near-topic questions also refused 13 of 45 on-topic topics.
The weight and the threshold are chosen on labelled questions and topics together
(`briefing eval` prints the threshold).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

COVERAGE_WEIGHT = 0.8


def coverage(query_tokens: Sequence[str], idf: np.ndarray, passage_tokens: set[str]) -> float:
    """IDF-weighted share of the question's tokens that occur in the passage."""
    if not len(query_tokens):
        return 0.0
    present = np.array([t in passage_tokens for t in query_tokens], dtype=bool)
    total = float(idf.sum())
    return float(idf[present].sum()) / total if total > 0 else 0.0


def gate_score(similarity: float, covered: float) -> float:
    """One number per question; higher means more likely covered by the corpus."""
    return similarity + COVERAGE_WEIGHT * covered


def calibrate(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """The threshold that classifies the most questions right (midpoint of the widest gap)."""
    if not positive or not negative:
        return None
    values = sorted({*positive, *negative})
    candidates = [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)]
    if not candidates:
        return None

    def errors(t: float) -> int:
        return sum(p < t for p in positive) + sum(n >= t for n in negative)

    best = min(errors(t) for t in candidates)
    tied = [t for t in candidates if errors(t) == best]
    gaps = [(min(abs(v - t) for v in values), t) for t in tied]
    return round(max(gaps)[1], 3)
