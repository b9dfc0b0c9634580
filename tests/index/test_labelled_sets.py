"""Labelled in/out sets: stories are never split, halves share no article, labels follow the
index."""

import json

import numpy as np
import pytest

from index.evaluation.labelled_sets import assign_cells, cnn_in_out, squad_in_out, story_groups

STORY = ("The volcano on the island erupted on Tuesday, sending ash over the harbour town and "
         "closing the airport; {0} residents were moved to the mainland by ferry.")
OTHER = ["The central bank raised interest rates by half a point to fight inflation in {0}.",
         "A new species of frog was found in the rainforest canopy by researchers in {0}.",
         "The football club sacked its manager after a run of defeats ending in {0}.",
         "Engineers finished the suspension bridge over the wide river estuary in {0}."]


def test_reports_of_one_story_share_a_group_and_others_do_not():
    texts = [STORY.format(300), OTHER[0].format(2023), STORY.format(450),
             OTHER[1].format(2021), OTHER[2].format(2020), OTHER[3].format(2019)]
    groups = story_groups(texts)
    assert groups[0] == groups[2]
    assert len({groups[i] for i in (0, 1, 3, 4, 5)}) == 5


def test_similar_summaries_join_stories_whose_texts_differ():
    texts = [OTHER[i].format(2000 + i) for i in range(4)]
    summaries = ["Storm warning for the plains", "Bank raises rates",
                 "Storm warning for the plains", "Bridge opens"]
    groups = story_groups(texts, summaries)
    assert groups[0] == groups[2] and groups[1] != groups[0]


def test_cells_keep_each_story_in_one_half_and_one_side_and_stay_balanced():
    groups = np.array([0, 1, 0, 2, 3, 4, 5, 5, 6, 7, 0, 8, 9, 10, 11, 2])
    fit, indexed = assign_cells(groups)
    for group in set(groups.tolist()):
        members = groups == group
        assert len(set(fit[members].tolist())) == 1  # a story never straddles the halves
        assert len(set(indexed[members].tolist())) == 1
    for half in (fit, ~fit):
        assert 0 < indexed[half].sum() < half.sum()
    assert abs(int(fit.sum()) - int((~fit).sum())) <= 3


WORDS = ("lava ash crater magma vent bank rate loan credit bond frog toad pond tadpole newt "
         "goal pitch striker keeper league cable span pier deck truss pawn rook knight bishop "
         "queen leaf brew kettle pot infusion tail orbit nucleus coma ice")


def _squad_file(tmp_path, titles):
    data = {"data": [{"title": t, "paragraphs": [
        {"context": f"{t} {' '.join(WORDS.split()[5 * n:5 * n + 5])} {i}.",
         "qas": [{"question": f"What is {t}?", "answers": [{"text": t}]}]} for i in range(2)]}
        for n, t in enumerate(titles)]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_squad_questions_are_covered_exactly_when_their_article_is_indexed(tmp_path):
    titles = ["Volcanoes", "Banking", "Frogs", "Football", "Bridges", "Chess", "Tea", "Comets"]
    labelled = squad_in_out(_squad_file(tmp_path, titles))
    indexed = {a.id for a in labelled.articles}
    assert 0 < len(indexed) < len(titles)
    for question in labelled.questions:
        assert question.covered == (question.article in indexed)
    fit_articles = {q.article for q in labelled.half("fit")}
    test_articles = {q.article for q in labelled.half("test")}
    assert fit_articles and test_articles and not fit_articles & test_articles
    for half in ("fit", "test"):
        assert {q.covered for q in labelled.half(half)} == {True, False}


def test_cnn_in_out_halves_and_labels(shared_eval):
    labelled = cnn_in_out(shared_eval / "cnn-1000" / "test.jsonl")
    indexed = {a.id for a in labelled.articles}
    assert 400 <= len(indexed) <= 600
    assert all(q.covered == (q.article in indexed) for q in labelled.questions)
    for half in ("fit", "test"):
        questions = labelled.half(half)
        assert len(questions) == 500
        assert 0.4 <= np.mean([q.covered for q in questions]) <= 0.6


@pytest.mark.parametrize("per_line", [False, True])
def test_archive_set_holds_the_corpus_first_then_every_cnn_row(shared_eval, per_line):
    from index.evaluation.labelled_sets import archive_set
    from index.ingest.articles import read_corpus
    from tests.support import ROOT

    corpus, _ = read_corpus(ROOT / "corpus")
    rows = [{"q": "Why did Erdoğan approve Sweden?", "paras": [15]}]
    labelled = archive_set(shared_eval / "cnn-1000" / "test.jsonl", corpus, rows, per_line)
    assert labelled.articles[0].id == corpus[0].id and len(labelled.articles) == 1001
    seed = labelled.questions[0]
    assert (seed.article, seed.paragraphs, seed.half) == (corpus[0].id, (15,), "test")
    highlights = labelled.questions[1:]
    assert len(highlights) == 1000 if not per_line else len(highlights) > 2000
