"""Article-level evidence: BM25 over whole articles, and the ranking it steers in an archive."""

import numpy as np
import pytest

from index import BriefingIndex
from index.evaluation.labelled import ask_all, score
from index.evaluation.labelled_sets import archive_set
from index.evaluation.retrieval import read_jsonl
from index.ingest.articles import read_corpus
from index.store.article_level import ArticleEvidence
from index.store.lexical import tokenize
from tests.support import ROOT

TEXTS = ["Sochi summit: Putin and Erdogan met at the Black Sea resort and discussed grain.",
         "The Summit of the Americas opened in Panama with talks on trade and migration.",
         "Grain prices rose in Chicago as traders watched the weather."]


@pytest.fixture
def evidence(tmp_path) -> ArticleEvidence:
    ArticleEvidence.write(tmp_path, np.array([0, 0, 1, 2, 2]), TEXTS)
    return ArticleEvidence.load(tmp_path)


def test_each_row_gets_its_articles_share_of_the_most_it_could_score(evidence):
    articles = evidence.articles_of(np.arange(5))
    assert articles.tolist() == [0, 0, 1, 2, 2]
    scores = evidence.scores(tokenize("Sochi summit grain"), articles)
    assert scores[0] == scores[1] > scores[2] > 0  # rows of one article score alike
    assert scores[0] > scores[3]


def test_an_article_saturated_with_the_question_words_scores_close_to_one(tmp_path):
    ArticleEvidence.write(tmp_path, np.array([0, 1]),
                          [" ".join(["Putin"] * 200), "A story about the grain harvest."])
    scores = ArticleEvidence.load(tmp_path).scores(tokenize("Putin"), np.array([0, 1]))
    assert 0.9 < scores[0] <= 1.0 and scores[1] == 0.0


def test_words_absent_from_every_article_score_nothing(evidence):
    assert not evidence.scores(tokenize("volcano eruption"), np.arange(3)).any()


def test_coverage_mask_reads_the_whole_article(evidence):
    tokens = tokenize("Putin grain Panama")
    assert evidence.coverage_mask(tokens, 0).tolist() == [True, True, False]
    assert evidence.coverage_mask(tokens, 1).tolist() == [False, False, True]


def test_no_articles_writes_no_lexical_index(tmp_path):
    ArticleEvidence.write(tmp_path, np.zeros(0), [])
    loaded = ArticleEvidence.load(tmp_path)
    assert len(loaded) == 0 and not loaded.scores(["grain"], np.zeros(0, dtype=int)).any()
    assert not loaded.coverage_mask(["grain"], 0).any()
    assert not loaded.coverage_mask(["grain"], 0).any()


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory, embedder, shared_eval):
    """The seed article among the first 100 CNN articles."""
    corpus, _ = read_corpus(ROOT / "corpus")
    rows = read_jsonl(shared_eval / "seed_dev_questions.jsonl")
    labelled = archive_set(shared_eval / "cnn-1000" / "test.jsonl", corpus, rows)
    labelled.articles = labelled.articles[:101]
    labelled.questions = [q for q in labelled.questions
                          if q.article in {a.id for a in labelled.articles}]
    index = BriefingIndex(tmp_path_factory.mktemp("archive") / "index", embedder=embedder)
    index.index_articles(labelled.articles)
    return index, labelled


def test_seed_questions_keep_their_paragraph_first_among_other_news(small_archive):
    index, labelled = small_archive
    seed = [q for q in labelled.questions if q.article == labelled.articles[0].id]
    result = score(ask_all(index, seed), index.gate_threshold)
    assert result["article_recall@1"] == 1.0, result  # the right story, every time
    assert result["recall@1"] >= 0.9, result
    assert result["answered_when_covered"] >= 0.9, result


def test_highlights_find_their_own_story(small_archive):
    index, labelled = small_archive
    highlights = [q for q in labelled.questions if q.article != labelled.articles[0].id]
    result = score(ask_all(index, highlights), index.gate_threshold)
    assert result["recall@1"] >= 0.92 and result["recall@3"] >= 0.98, result
    assert result["answered_when_covered"] >= 0.9, result


def test_shares_cover_every_article_and_none_when_no_word_occurs(evidence):
    shares = evidence.shares(tokenize("Sochi summit grain"))
    assert shares is not None and len(shares) == 3
    assert np.array_equal(evidence.scores(tokenize("Sochi summit grain"), np.array([2, 0])),
                          shares[[2, 0]])
    assert evidence.shares(tokenize("volcano eruption")) is None
