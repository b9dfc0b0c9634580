"""BM25 folds diacritics and finds names however they are spelt."""

import numpy as np

from index.store.lexical import LexicalIndex, fold, tokenize


def test_fold_strips_turkish_diacritics():
    assert fold("Erdoğan Türkiye Işık") == "erdogan turkiye isik"


def test_query_with_diacritics_matches_text_without():
    lexical = LexicalIndex.build(["President Erdogan met Putin.", "Grain exports fell."])
    scores = lexical.scores("What did Erdoğan do?")
    assert scores is not None and scores[0] > 0 and scores[1] == 0


def test_query_with_no_known_word_scores_nothing():
    lexical = LexicalIndex.build(["President Erdogan met Putin."])
    assert lexical.scores("zzz qqq") is None
    assert tokenize("the and of") == []


TEXTS = ["President Erdogan met Putin in Sochi.", "Grain exports fell as Putin spoke.",
         "Erdogan, Erdogan and Erdogan again.", "Nothing relevant here."]


def test_scores_are_bm25s_own_to_the_bit_and_count_a_repeated_word_again():
    lexical = LexicalIndex.build(TEXTS)
    model = lexical._model
    for question in ("Erdogan Putin", "Putin Putin grain", "Sochi exports zzz"):
        tokens = tokenize(question)
        expected = model.get_scores(model.get_tokens_ids(tokens))
        assert np.array_equal(lexical.scores_of_tokens(tokens), expected)


def test_occurs_in_reads_each_rows_words_from_the_postings(tmp_path):
    LexicalIndex.build(TEXTS).save(tmp_path)
    lexical = LexicalIndex.load(tmp_path)  # memory-mapped, as served
    tokens = tokenize("Erdogan Putin grain unknownword")
    assert [lexical.occurs_in(tokens, row).tolist() for row in range(4)] == [
        [True, True, False, False], [False, True, True, False],
        [True, False, False, False], [False, False, False, False]]
    assert lexical.idf(tokens)[3] == lexical.idf(tokens).max()  # unseen: the highest IDF
