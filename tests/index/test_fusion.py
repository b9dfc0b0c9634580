"""Score fusion on small arrays."""

import numpy as np

from index.search.fusion import bounded, fuse, min_max


def test_min_max_scales_to_unit_range_and_handles_constants():
    assert np.allclose(min_max(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert np.allclose(min_max(np.array([5.0, 5.0])), [1.0, 1.0])
    assert np.allclose(min_max(np.array([0.0, 0.0])), [0.0, 0.0])


def test_bm25_is_a_share_of_the_questions_bound():
    assert np.allclose(bounded(np.array([2.0, 1.0, 0.0]), 4.0), [0.5, 0.25, 0.0])
    assert np.allclose(bounded(np.array([2.0, 1.0]), 0.0), [0.0, 0.0])


def test_fuse_weights_each_signal():
    dense = np.array([0.9, 0.1])
    lexical = np.array([0.0, 10.0])
    assert np.argmax(fuse(dense, lexical, 10.0, 0.8)) == 0
    assert np.argmax(fuse(dense, lexical, 10.0, 0.2)) == 1


def test_a_weak_word_match_stays_weak_among_few_candidates():
    """Min-max gave the best of two weak matches lexical 1.0; a share of the bound does not,
    so the passage that means the question more still wins."""
    dense = np.array([0.62, 0.55])
    lexical = np.array([0.4, 1.0])  # both far below the bound of 10
    assert np.argmax(fuse(dense, lexical, 10.0, 0.5)) == 0
    assert np.allclose(fuse(dense, lexical, 10.0, 0.5), [0.66, 0.65])


def test_scores_keep_their_level_across_questions():
    """The same candidates score lower for a question they match less well."""
    dense = np.array([0.7, 0.5])
    strong = fuse(dense, np.array([6.0, 3.0]), 8.0, 0.5)
    weak = fuse(dense - 0.3, np.array([2.0, 1.0]), 8.0, 0.5)
    assert (weak < strong).all()
