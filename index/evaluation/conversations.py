"""Measuring follow-ups: each pair's follow-up asked alone and after its first question."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from index import BriefingIndex, Hit, Turn
from index.evaluation.labelled_sets import ConversationPair
from index.search.followup import DEFAULT_CONTEXT, ContextWeights, ask_followup
from index.search.hybrid import Answer, search

KINDS = ("dependent", "standalone", "new_subject")


def answers_pair(answer: Answer, answers: tuple[str, ...], paragraphs: tuple[int, ...],
                 article: str | None = None) -> bool:
    """Is the first hit right (it holds an answer span, or cites an expected paragraph) and
    the question answered?"""
    if not answer.answered or not answer.hits:
        return False
    return _right(answer.hits[0], answers, paragraphs, article)


def _right(hit: Hit, answers: tuple[str, ...], paragraphs: tuple[int, ...],
           article: str | None) -> bool:
    if answers:
        return any(a in hit.text for a in answers)
    if article is not None and hit.article != article:
        return False
    return bool(set(paragraphs) & set(hit.paragraphs))


@dataclass(frozen=True)
class PairResult:
    """How one pair went: first question, follow-up alone, follow-up after the first."""

    pair: ConversationPair
    first: bool
    alone: bool
    in_context: bool


def run_pairs(index: BriefingIndex, pairs: Sequence[ConversationPair], k: int = 3,
              context: ContextWeights = DEFAULT_CONTEXT,
              article: str | None = None) -> list[PairResult]:
    """Ask every pair; `article` restricts paragraph labels to one article (the seed sets)."""
    snapshot = index.snapshot()
    threshold = index.gate_threshold
    results = []
    for pair in pairs:
        first = search(snapshot, index.embedder, pair.first, k, threshold, highlights=False)
        alone = search(snapshot, index.embedder, pair.followup, k, threshold, highlights=False)
        turn = Turn(pair.first, True, tuple((h.article, h.paragraphs) for h in first.hits))
        followed, _ = ask_followup(snapshot, index.embedder, pair.followup, [turn], k,
                                   threshold, highlights=False, context=context)
        results.append(PairResult(
            pair,
            answers_pair(first, pair.first_answers, pair.first_paragraphs, article),
            answers_pair(alone, pair.answers, pair.paragraphs, article),
            answers_pair(followed, pair.answers, pair.paragraphs, article)))
    return results


def summarize(results: Sequence[PairResult]) -> dict:
    """Per kind and overall: pairs, first questions right, follow-ups right alone and in
    context (right = found first and answered)."""
    table = {}
    for kind in (*KINDS, "all"):
        chosen = [r for r in results if kind in ("all", r.pair.kind)]
        if not chosen:
            continue
        table[kind] = {
            "pairs": len(chosen),
            "first@1": _share(r.first for r in chosen),
            "followup@1 alone": _share(r.alone for r in chosen),
            "followup@1 in context": _share(r.in_context for r in chosen),
        }
    return table


def _share(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 3) if values else 0.0


def fit_context(index: BriefingIndex, pairs: Sequence[ConversationPair],
                grid: dict[str, Sequence[float]] | None = None) -> tuple[ContextWeights, float]:
    """The context weights under which most follow-ups of `pairs` (a fit half) are found
    first and answered, every kind of pair counting equally; ties go to the earlier grid
    point (smaller weights)."""
    grid = grid or {"earlier": (0.25, 0.5, 0.75), "article": (0.0, 0.3, 0.6),
                    "nearby": (0.0, 0.15, 0.3)}
    best, best_score = DEFAULT_CONTEXT, -1.0
    for earlier, article, nearby in itertools.product(*grid.values()):
        weights = ContextWeights(earlier, article, nearby)
        results = run_pairs(index, pairs, context=weights)
        by_kind = summarize(results)
        score = sum(by_kind[kind]["followup@1 in context"] for kind in KINDS
                    if kind in by_kind) / sum(kind in by_kind for kind in KINDS)
        if score > best_score:
            best, best_score = weights, score
    return best, round(best_score, 3)
