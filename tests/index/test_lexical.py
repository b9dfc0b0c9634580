"""BM25 folds diacritics and finds names however they are spelt."""

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
