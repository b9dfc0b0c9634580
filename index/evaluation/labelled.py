"""Scoring an index on labelled in/out sets, and fitting the ranking and the gate on them.

Everything here reads questions of one half at a time: `fit_*` functions see only the fit
halves, and `evaluate_labelled` reports whichever half it is given.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index import BriefingIndex
from index.evaluation.labelled_sets import LabelledQuestion, LabelledSet
from index.ingest.reindex import Progress
from index.search.gate import COEFFICIENTS, FEATURES, INTERCEPT, calibrate, probability
from index.search.hybrid import DEFAULT_WEIGHTS, Answer, RankWeights, search
from index.spans import Hit


def prepare(index: BriefingIndex, labelled: LabelledSet, progress: Progress | None = None
            ) -> None:
    """Index the set's articles (incrementally: a cached index is reused)."""
    index.index_articles(labelled.articles, progress)


def is_relevant(question: LabelledQuestion, hit: Hit) -> bool:
    """Does a hit answer the question: contains a SQuAD answer, cites an answering
    paragraph, or (for highlights) comes from the question's own article?"""
    if question.answers:
        return any(a in hit.text for a in question.answers)
    if hit.article != question.article:
        return False
    return not question.paragraphs or bool(set(question.paragraphs) & set(hit.paragraphs))


@dataclass(frozen=True)
class Asked:
    """One question's answer, kept for scoring under other thresholds."""

    question: LabelledQuestion
    answer: Answer


def ask_all(index: BriefingIndex, questions: Sequence[LabelledQuestion], k: int = 3,
            weights: RankWeights = DEFAULT_WEIGHTS,
            on_question: Callable[[int, int], None] | None = None) -> list[Asked]:
    """Each question asked of the index (whole passages as highlights, which is cheaper)."""
    snapshot = index.snapshot()
    asked = []
    for i, question in enumerate(questions):
        answer = search(snapshot, index.embedder, question.text, k, index.gate_threshold,
                        highlights=False, weights=weights)
        asked.append(Asked(question, answer))
        if on_question:
            on_question(i + 1, len(questions))
    return asked


def score(asked: Sequence[Asked], threshold: float) -> dict:
    """Answered-when-covered, refused-when-not-covered, and for covered questions recall@1/@3
    (a hit among the first 1 or 3 answers it) and article recall@1/@3 (the question's own
    article among the first 1 or 3 distinct articles of the hits)."""
    covered = [a for a in asked if a.question.covered]
    uncovered = [a for a in asked if not a.question.covered]
    firsts = []
    article_ranks = []
    for a in covered:
        marks = [is_relevant(a.question, h) for h in a.answer.hits]
        firsts.append(next((i + 1 for i, m in enumerate(marks) if m), None))
        articles = list(dict.fromkeys(h.article for h in a.answer.hits))
        article_ranks.append(articles.index(a.question.article) + 1
                             if a.question.article in articles else None)

    def share(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    return {
        "covered": len(covered),
        "not_covered": len(uncovered),
        "answered_when_covered": share([a.answer.confidence >= threshold for a in covered]),
        "refused_when_not_covered": share([a.answer.confidence < threshold for a in uncovered]),
        "recall@1": share([f == 1 for f in firsts]),
        "recall@3": share([f is not None and f <= 3 for f in firsts]),
        "article_recall@1": share([r == 1 for r in article_ranks]),
        "article_recall@3": share([r is not None and r <= 3 for r in article_ranks]),
        "calibrated_threshold": calibrate([a.answer.confidence for a in covered],
                                          [a.answer.confidence for a in uncovered]),
    }


def evaluate_labelled(index: BriefingIndex, labelled: LabelledSet,
                      halves: Sequence[str] = ("fit", "test")) -> dict:
    """`score` of each half at the index's gate threshold."""
    return {half: score(ask_all(index, labelled.half(half)), index.gate_threshold)
            for half in halves}


# --- fitting (fit halves only) --------------------------------------------------------------

def fit_rank_weights(runs: Sequence[tuple[BriefingIndex, list[LabelledQuestion]]],
                     grid: dict[str, Sequence[float]] | None = None) -> tuple[RankWeights, list]:
    """The RankWeights with the best mean recall@1 over `runs` (each an index and its covered
    fit questions); also returns every grid point's scores."""
    # dense 0.5: before the sentence weight, 0.4 scored about as well here (0.8985 against
    # 0.8979) but cost SciFact's train split (nDCG@10 0.729 against 0.736)
    grid = grid or {"dense": (0.5,), "article": (0.6, 1.2, 1.8),
                    "sentence": (0.0, 0.3, 0.6, 0.9)}
    names = list(grid)
    table = []
    for values in itertools.product(*(grid[n] for n in names)):
        weights = RankWeights(**dict(zip(names, values, strict=True)))
        recalls = [score(ask_all(index, questions, weights=weights), 0.5)["recall@1"]
                   for index, questions in runs]
        table.append((float(np.mean(recalls)), weights, recalls))
    best = max(table, key=lambda row: row[0])
    return best[1], table


def evidence_matrix(asked: Sequence[Asked]) -> tuple[np.ndarray, np.ndarray]:
    """The gate's features (rows) and labels (covered or not) of answered questions."""
    rows = [(a.answer.evidence.vector(), a.question.covered) for a in asked
            if a.answer.evidence is not None]
    features = np.array([r[0] for r in rows]).reshape(len(rows), len(FEATURES))
    return features, np.array([r[1] for r in rows], dtype=bool)


def fit_gate(sets: Sequence[Sequence[Asked]], regularisation: float = 10.0
             ) -> tuple[float, tuple[float, ...]]:
    """Logistic-regression intercept and coefficients over the fit questions of several sets,
    each set weighing the same whatever its size."""
    from sklearn.linear_model import LogisticRegression

    matrices = [evidence_matrix(s) for s in sets]
    features = np.concatenate([m[0] for m in matrices])
    labels = np.concatenate([m[1] for m in matrices])
    weights = np.concatenate([np.full(len(m[1]), len(labels) / (len(sets) * len(m[1])))
                              for m in matrices])
    model = LogisticRegression(C=regularisation, max_iter=2000)
    model.fit(features, labels, sample_weight=weights)
    return round(float(model.intercept_[0]), 2), tuple(round(float(c), 2)
                                                        for c in model.coef_[0])


def choose_threshold(sets: Sequence[Sequence[Asked]], answered: float = 0.95,
                     refused: float = 0.90) -> float:
    """The gate threshold that keeps the worst of every set's answered-when-covered and
    refused-when-not rates farthest above its target; the median of the best such thresholds
    (a plateau of equally good ones is common)."""
    grid = np.round(np.arange(0.05, 0.95, 0.005), 3)
    worst = np.full(len(grid), np.inf)
    for asked in sets:
        confidence = np.array([a.answer.confidence for a in asked])
        covered = np.array([a.question.covered for a in asked], dtype=bool)
        answered_rate = (confidence[covered][:, None] >= grid).mean(axis=0)
        refused_rate = (confidence[~covered][:, None] < grid).mean(axis=0)
        worst = np.minimum(worst, np.minimum(answered_rate - answered, refused_rate - refused))
    best = grid[worst >= worst.max() - 1e-9]
    return round(float(np.median(best)), 3)


def rescore(asked: Sequence[Asked], intercept: float = INTERCEPT,
            coefficients: Sequence[float] = COEFFICIENTS) -> list[Asked]:
    """The same answers with confidence recomputed under other gate coefficients."""
    return [Asked(a.question, replace(a.answer, confidence=probability(
        a.answer.evidence, intercept, coefficients) if a.answer.evidence else 0.0))
        for a in asked]
