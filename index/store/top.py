"""The k highest positive scores of a large array: the rows one argpartition over every
positive score picks, found without partitioning them all.

BM25 over 100k passages gives a typical question ~20k matching passages, and partitioning
all of them took about half of the word side of a question. The k-th best score of a sample
is a floor under the k-th best of all, so only the rows at or above it (~1k) are partitioned.
That gives the same rows whenever the k best are unambiguous; when the k-th best score is
tied across the cut, argpartition's own choice among the ties decides, so then it runs over
every match as before.
"""

from __future__ import annotations

import numpy as np

SAMPLE_STRIDE = 8  # every 8th score: a floor near the (8k)-th best


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest positive `scores` (unordered); all positive ones when
    there are no more than `k`."""
    sample = scores[::SAMPLE_STRIDE]
    sample = sample[sample > 0]
    if 0 < k <= len(sample):
        floor = np.partition(sample, len(sample) - k)[len(sample) - k]
        above = np.flatnonzero(scores >= floor)
        best = above[np.argpartition(scores[above], len(above) - k)[len(above) - k:]]
        kth = scores[best].min()
        if np.count_nonzero(scores[above] == kth) == np.count_nonzero(scores[best] == kth):
            return best  # every score equal to the k-th best is in: no tie was cut
    return _partitioned(scores, k)


def _partitioned(scores: np.ndarray, k: int) -> np.ndarray:
    """`top_rows` by one argpartition over every positive score."""
    matching = np.flatnonzero(scores > 0)
    if len(matching) <= k:
        return matching
    return matching[np.argpartition(scores[matching], len(matching) - k)[len(matching) - k:]]
