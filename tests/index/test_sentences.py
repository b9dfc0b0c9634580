"""The best sentence's share of a question's words, and the ranking it steers."""

from dataclasses import replace

from index.evaluation.labelled import ask_all, score
from index.search.hybrid import DEFAULT_WEIGHTS
from index.search.sentences import best_sentence
from index.store.lexical import tokenize


def _weights(question: str) -> dict[str, float]:
    return {token: 1.0 for token in tokenize(question)}


def test_words_together_in_one_sentence_count_more_than_words_scattered():
    weights = _weights("grain deal collapse")
    together = [set(tokenize("The grain deal's collapse was announced.")),
                set(tokenize("Nothing else happened."))]
    scattered = [set(tokenize("The grain harvest was good.")), set(tokenize("A deal was near.")),
                 set(tokenize("Then came the collapse."))]
    assert best_sentence(weights, together) == (0, 3.0)
    assert best_sentence(weights, scattered)[1] == 1.0


def test_rare_words_weigh_more_and_ties_go_to_the_earlier_sentence():
    weights = {"sochi": 5.0, "meet": 1.0}
    assert best_sentence(weights, [{"meet"}, {"sochi"}]) == (1, 5.0)
    assert best_sentence(weights, [{"meet", "sochi"}, {"sochi"}]) == (0, 6.0)
    assert best_sentence(weights, [{"talks"}, {"peace"}]) == (0, 0.0)  # the earlier on ties


def test_the_sentence_weight_puts_the_answering_paragraph_first_more_often(squad_sample):
    index, questions = squad_sample
    assert DEFAULT_WEIGHTS.sentence > 0
    without = score(ask_all(index, questions, weights=replace(DEFAULT_WEIGHTS, sentence=0.0)),
                    index.gate_threshold)
    shipped = score(ask_all(index, questions), index.gate_threshold)
    assert len(questions) > 300
    assert shipped["recall@1"] > without["recall@1"] + 0.01, (shipped, without)
    assert shipped["recall@3"] >= without["recall@3"] - 0.005, (shipped, without)
