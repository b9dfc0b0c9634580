"""BM25 folds diacritics and finds names however they are spelt."""

import numpy as np

from index.store.lexical import LexicalIndex, _stopwords, fold, tokenize
from tests.support import ROOT


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


def test_a_saved_index_reads_back_as_bm25s_reads_it_without_importing_scipy(tmp_path):
    import subprocess
    import sys

    import bm25s

    LexicalIndex.build(TEXTS).save(tmp_path)
    ours, theirs = LexicalIndex.load(tmp_path), bm25s.BM25.load(str(tmp_path), mmap=True)
    assert ours.vocabulary() == list(theirs.vocab_dict)
    for question in ("Erdogan Putin", "Putin Putin grain"):
        tokens = tokenize(question)
        assert np.array_equal(ours.scores_of_tokens(tokens),
                              theirs.get_scores(theirs.get_tokens_ids(tokens)))
    probe = ("import sys; from pathlib import Path; from index.store.lexical import "
             "LexicalIndex; LexicalIndex.load(Path(sys.argv[1])).scores('Erdogan'); "
             "print(sorted({'bm25s', 'scipy'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"
    from bm25s.stopwords import STOPWORDS_EN

    assert _stopwords() == frozenset(STOPWORDS_EN) | {"s", "t"}


def test_fold_still_maps_letters_unicode_does_not_decompose():
    assert fold("Łódź Øresund Straße Æsir þing") == "lodz oresund strasse aesir thing"


def test_span_tokens_are_each_spans_tokenize_and_the_whole_texts_when_spans_hold_it():
    import random

    from index.store.lexical import span_tokens

    rng = random.Random(0)
    alphabet = "ab Cd_é,.1 'ßİ-"
    words = ["Erdogan", "met", "the", "Putin", "running", "runs", "1.5", "x_y", "café"]
    for _ in range(2000):
        text = " ".join(rng.choice(words) if rng.random() < 0.7 else
                        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
                        for _ in range(rng.randint(0, 8)))
        cuts = sorted(rng.randint(-1, len(text) + 2) for _ in range(rng.randint(0, 5)))
        spans = list(zip(cuts[::2], cuts[1::2], strict=False))
        if rng.random() < 0.2:
            spans.reverse()
        assert tokenize(text) == _reference_tokenize(text), text
        per_span, whole = span_tokens(text, spans)
        assert per_span == [set(tokenize(text[s:e])) for s, e in spans], (text, spans)
        assert whole is None or whole == set(tokenize(text)), (text, spans)
    text = "Putin met Erdogan. Grain exports fell."
    assert span_tokens(text, [(0, 18), (19, len(text))])[1] == set(tokenize(text))
    assert span_tokens(text, [(0, 15), (15, len(text))])[1] is None  # "Erdogan" cut
    assert span_tokens(text, [(0, 18)])[1] is None  # words after the last span


def _reference_tokenize(text: str) -> list[str]:
    """`tokenize` as first written: the Unicode pattern everywhere, PyStemmer on every call
    (months' abbreviations then read as their names)."""
    from index.store.lexical import _TOKEN, _same_word, _stemmer, _stopwords

    words = [w for w in _TOKEN.findall(fold(text)) if w not in _stopwords()]
    return [_same_word(s) for s in _stemmer().stemWords(words)] if words else []


def test_tokenize_remembers_stems_without_changing_them(monkeypatch):
    from index.store import lexical

    monkeypatch.setattr(lexical, "STEM_CACHE", 3)
    text = "Running runners ran quickly; the Straße, ℌilbert and ＡＢＣ ran again."
    for _ in range(3):
        assert tokenize(text) == _reference_tokenize(text)
    assert len(lexical._STEMS) <= 3 + len(set(_reference_tokenize(text)))


def test_a_months_abbreviation_is_its_name_and_an_ordinal_its_number():
    """News writes "Oct. 24" and "Sept. 4"; a reader asks about October, September or "the
    24th"."""
    lexical = LexicalIndex.build(["The leaders spoke by phone on Oct. 24.",
                                  "They met in Sochi on September 4.", "Jan Egeland spoke."])
    october = lexical.scores("What did they say in October?")
    assert october is not None and october[0] > 0 and october[1] == 0
    sept = lexical.scores("the Sept. 4 meeting")
    assert sept is not None and sept[1] > 0 and sept[0] == 0
    assert lexical.scores("January") is None  # "Jan" is a first name as often as a month
    on_the_24th = lexical.scores("who spoke on the 24th")
    assert on_the_24th is not None and on_the_24th[0] > 0 and on_the_24th[1] == 0
