"""The k best positive scores: the same rows as one argpartition over every match."""

import numpy as np
import pytest

from index.store.top import _partitioned, top_rows


@pytest.mark.parametrize("size", [0, 1, 7, 99, 100, 101, 800, 20_000])
@pytest.mark.parametrize("k", [1, 3, 100])
def test_top_rows_picks_what_one_argpartition_over_all_matches_picks(size, k):
    """Continuous scores, coarse ones full of ties (where only argpartition's own choice
    among tied rows decides) and sparse ones, in float32 and float64."""
    rng = np.random.default_rng(size * 1000 + k)
    cases = [rng.random(size).astype(np.float32),
             np.round(rng.random(size) * 5).astype(np.float32),
             np.where(rng.random(size) < 0.2, rng.random(size), 0.0),
             np.where(rng.random(size) < 0.05, np.round(rng.random(size) * 50), 0.0)]
    for scores in cases:
        picked = top_rows(scores, k)
        assert np.array_equal(np.sort(picked), np.sort(_partitioned(scores, k)))
        assert len(picked) == min(k, int((scores > 0).sum()))
