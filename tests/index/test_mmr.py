"""Maximal marginal relevance on small hand-made arrays."""

import numpy as np
import pytest

from index.summarise.mmr import REPEAT, marginal_relevance, mmr


def unit(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_first_pick_is_the_most_relevant_and_no_diversity_ranks_by_relevance():
    relevance = np.array([0.2, 0.9, 0.5, 0.7])
    similarity = np.eye(4)
    assert mmr(relevance, similarity, 4, diversity=0.0) == [1, 3, 2, 0]


def test_a_near_duplicate_of_a_chosen_item_loses_to_a_different_one():
    vectors = unit([1, 0], [0.99, 0.01], [0, 1])
    relevance = np.array([0.9, 0.85, 0.6])
    assert mmr(relevance, vectors @ vectors.T, 2, diversity=0.0) == [0, 1]
    assert mmr(relevance, vectors @ vectors.T, 2, diversity=0.3) == [0, 2]


def test_full_diversity_takes_the_item_least_like_the_chosen():
    vectors = unit([1, 0], [1, 0.2], [1, 1], [0, 1])
    relevance = np.array([1.0, 0.9, 0.8, 0.1])
    assert mmr(relevance, vectors @ vectors.T, 2, diversity=1.0) == [0, 3]


def test_ties_go_to_the_lower_index():
    assert mmr(np.ones(3), np.eye(3), 3) == [0, 1, 2]


@pytest.mark.parametrize(("k", "expected"), [(0, []), (-1, []), (5, [0, 1])])
def test_k_is_clipped_to_the_number_of_items(k, expected):
    assert mmr(np.array([0.5, 0.4]), np.eye(2), k) == expected


def test_no_items_gives_nothing():
    assert mmr(np.zeros(0), np.zeros((0, 0)), 3) == []


def test_each_item_is_chosen_at_most_once():
    vectors = unit([1, 0], [1, 0], [1, 0])
    assert sorted(mmr(np.array([0.3, 0.2, 0.1]), vectors @ vectors.T, 3, 0.9)) == [0, 1, 2]


def test_bad_shapes_and_diversity_are_refused():
    with pytest.raises(ValueError, match="2x2"):
        mmr(np.ones(2), np.eye(3), 1)
    with pytest.raises(ValueError, match="diversity"):
        mmr(np.ones(2), np.eye(2), 1, diversity=1.5)


def test_marginal_relevance_weighs_relevance_against_redundancy():
    got = marginal_relevance(np.array([1.0, 0.5]), np.array([0.0, 1.0]), 0.25)
    np.testing.assert_allclose(got, [0.75, 0.125])


def test_with_a_repeat_cutoff_a_repeat_is_never_chosen_even_when_most_relevant():
    vectors = unit([1, 0], [1, 0.001], [0, 1])
    relevance = np.array([0.9, 0.89, 0.2])
    assert mmr(relevance, vectors @ vectors.T, 3, diversity=0.3) == [0, 1, 2]
    assert mmr(relevance, vectors @ vectors.T, 3, diversity=0.3, same=REPEAT) == [0, 2]
