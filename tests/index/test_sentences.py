"""The best sentence's share of a question's words, and the ranking it steers."""

from dataclasses import replace

import pytest

from index import BriefingIndex
from index.evaluation.labelled import ask_all, score
from index.evaluation.labelled_sets import squad_in_out
from index.search.hybrid import DEFAULT_WEIGHTS
from index.search.sentences import best_share
from index.store.lexical import tokenize


def _weights(question: str) -> dict[str, float]:
    return {token: 1.0 for token in tokenize(question)}


def test_words_together_in_one_sentence_count_more_than_words_scattered():
    weights = _weights("grain deal collapse")
    together = [set(tokenize("The grain deal's collapse was announced.")),
                set(tokenize("Nothing else happened."))]
    scattered = [set(tokenize("The grain harvest was good.")), set(tokenize("A deal was near.")),
                 set(tokenize("Then came the collapse."))]
    assert best_share(weights, together) == 1.0
    assert best_share(weights, scattered) == pytest.approx(1 / 3)


def test_rare_words_weigh_more_and_no_words_share_nothing():
    weights = {"sochi": 5.0, "meet": 1.0}
    assert best_share(weights, [{"sochi"}, {"meet"}]) == pytest.approx(5 / 6)
    assert best_share({}, [{"sochi"}]) == 0.0
    assert best_share(weights, []) == 0.0


@pytest.fixture(scope="module")
def squad_sample(tmp_path_factory, embedder, shared_eval):
    """Six SQuAD articles indexed, with the covered questions about them."""
    labelled = squad_in_out(shared_eval / "squad-v1.1-dev" / "dev-v1.1.json")
    articles = labelled.articles[:6]
    ids = {a.id for a in articles}
    questions = [q for q in labelled.questions if q.covered and q.article in ids]
    index = BriefingIndex(tmp_path_factory.mktemp("squad") / "index", embedder=embedder)
    index.index_articles(articles)
    return index, questions


def test_the_sentence_weight_puts_the_answering_paragraph_first_more_often(squad_sample):
    index, questions = squad_sample
    assert DEFAULT_WEIGHTS.sentence > 0
    without = score(ask_all(index, questions, weights=replace(DEFAULT_WEIGHTS, sentence=0.0)),
                    index.gate_threshold)
    shipped = score(ask_all(index, questions), index.gate_threshold)
    assert len(questions) > 300
    assert shipped["recall@1"] > without["recall@1"] + 0.01, (shipped, without)
    assert shipped["recall@3"] >= without["recall@3"] - 0.005, (shipped, without)
