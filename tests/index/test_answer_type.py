"""Questions that ask for a date or a number, and the passages whose best sentence holds one."""

from dataclasses import replace

import pytest

from index.evaluation.labelled import ask_all, score
from index.search import answer_type
from index.search.answer_type import Kind
from index.search.hybrid import DEFAULT_WEIGHTS


@pytest.mark.parametrize(("question", "kind"), [
    ("When did Sweden officially become a NATO member?", Kind.DATE),
    ("In what year did the grain deal collapse?", Kind.DATE),
    ("and when was the sochi summit", Kind.DATE),
    ("How many hostages were freed?", Kind.NUMBER),
    ("About how much trade is there between Russia and Turkey?", Kind.NUMBER),
    ("What percentage of the vote did Erdogan win?", Kind.NUMBER),
    ("Why did Russia pull out of the grain deal?", None),
    ("What came out of the Sochi summit?", None),
    ("Who said that in 2023?", None),  # names a year, does not ask for one
])
def test_the_kind_a_question_asks_for(question, kind):
    assert answer_type.expected(question) is kind


def test_a_sentence_holds_a_date_or_number_the_question_does_not_name():
    question = "When did Turkey ratify Sweden's bid after the October 7 attack?"
    assert answer_type.holds(Kind.DATE, "Parliament voted on January 23, 2024.", question)
    assert answer_type.holds(Kind.DATE, "It passed two decades ago.", question)
    assert not answer_type.holds(Kind.DATE, "Parliament voted after long delays.", question)
    assert not answer_type.holds(Kind.DATE, "It came after October 7.", question)
    assert not answer_type.holds(Kind.DATE, "Turkey may ratify it soon.", question)
    question = "How many grain ships left Odesa?"
    assert answer_type.holds(Kind.NUMBER, "Some 1,000 ships sailed.", question)
    assert answer_type.holds(Kind.NUMBER, "Three dozen ships sailed.", question)
    assert answer_type.holds(Kind.NUMBER, "Exports fell 40%.", question)
    assert not answer_type.holds(Kind.NUMBER, "Ships sailed from the port.", question)


def test_the_answer_kind_puts_the_answering_paragraph_first_more_often(squad_sample):
    index, questions = squad_sample
    asking = [q for q in questions if answer_type.expected(q.text) is not None]
    assert DEFAULT_WEIGHTS.answer_kind > 0 and len(asking) > 100
    without = score(ask_all(index, asking, weights=replace(DEFAULT_WEIGHTS, answer_kind=0.0)),
                    index.gate_threshold)
    shipped = score(ask_all(index, asking), index.gate_threshold)
    assert shipped["recall@1"] > without["recall@1"] + 0.01, (shipped, without)
    assert shipped["recall@3"] >= without["recall@3"] - 0.005, (shipped, without)
