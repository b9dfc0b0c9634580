"""The relevance gate's model, its fitting and its threshold, on small made-up evidence."""

from dataclasses import replace

import numpy as np

from index.evaluation.labelled import Asked, choose_threshold, fit_gate, rescore, score
from index.evaluation.labelled_sets import LabelledQuestion
from index.search.gate import COEFFICIENTS, DEFAULT_THRESHOLD, FEATURES, GateEvidence, probability
from index.search.hybrid import Answer

TYPICAL = GateEvidence(similarity=0.5, passage_coverage=0.5, article_coverage=0.6,
                       best_similarity=0.5, article_lead=0.05)


def test_more_evidence_never_lowers_the_probability():
    base = probability(TYPICAL)
    for name, weight in zip(FEATURES, COEFFICIENTS, strict=True):
        assert weight >= 0, name
        stronger = replace(TYPICAL, **{name: getattr(TYPICAL, name) + 0.2})
        assert probability(stronger) >= base


def test_a_passage_that_shares_meaning_and_words_is_covered_and_one_that_does_not_is_not():
    strong = GateEvidence(0.7, 0.9, 1.0, 0.7, 0.2)
    weak = GateEvidence(0.2, 0.1, 0.2, 0.25, 0.0)
    assert probability(strong) > DEFAULT_THRESHOLD > probability(weak)
    assert 0.0 <= probability(weak) < probability(strong) <= 1.0


def _asked(evidence: GateEvidence, covered: bool) -> Asked:
    question = LabelledQuestion("q", covered, "fit", "a")
    return Asked(question, Answer("q", False, (), probability(evidence), evidence))


def _made_up_set(seed: int, n: int = 200) -> list[Asked]:
    """Covered questions have higher similarity and coverage, with overlap."""
    rng = np.random.default_rng(seed)
    asked = []
    for i in range(n):
        covered = i % 2 == 0
        centre = 0.6 if covered else 0.35
        values = np.clip(rng.normal(centre, 0.12, size=len(FEATURES)), 0, 1)
        values[-1] = values[-1] / 5  # the article lead is small
        asked.append(_asked(GateEvidence(*values), covered))
    return asked


def test_fitted_gate_separates_what_it_was_fitted_on_and_a_fresh_sample():
    intercept, coefficients = fit_gate([_made_up_set(1), _made_up_set(2)])
    assert intercept < 0 and all(c > 0 for c in coefficients)
    fresh = rescore(_made_up_set(3), intercept, coefficients)
    result = score(fresh, 0.5)
    assert result["answered_when_covered"] > 0.9 and result["refused_when_not_covered"] > 0.9


def test_threshold_sits_in_the_middle_of_the_range_that_meets_the_targets():
    sets = [_made_up_set(4), _made_up_set(5)]
    intercept, coefficients = fit_gate(sets)
    rescored = [rescore(s, intercept, coefficients) for s in sets]
    threshold = choose_threshold(rescored, answered=0.9, refused=0.9)
    for asked in rescored:
        result = score(asked, threshold)
        assert result["answered_when_covered"] >= 0.9
        assert result["refused_when_not_covered"] >= 0.9
    lower = choose_threshold(rescored, answered=0.99, refused=0.5)
    assert lower < threshold  # asking to answer more moves the threshold down
