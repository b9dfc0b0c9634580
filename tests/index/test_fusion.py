"""Score fusion on small arrays."""

import numpy as np

from index.search.fusion import convex, min_max


def test_min_max_scales_to_unit_range_and_handles_constants():
    assert np.allclose(min_max(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert np.allclose(min_max(np.array([5.0, 5.0])), [1.0, 1.0])
    assert np.allclose(min_max(np.array([0.0, 0.0])), [0.0, 0.0])


def test_convex_weights_each_signal():
    dense = np.array([0.9, 0.1])
    lexical = np.array([0.0, 10.0])
    assert np.argmax(convex(dense, lexical, 0.8)) == 0
    assert np.argmax(convex(dense, lexical, 0.2)) == 1

