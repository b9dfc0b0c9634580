"""Misspelt question words are read as the indexed words they were meant to be."""

from index.search.spelling import correct, max_edits, typed_in_lower_case
from index.store.lexical import LexicalIndex, stems, tokenize, words
from index.store.local import LocalLexical, RowIds

TEXTS = ["Erdogan agreed to travel to Sochi to meet Putin; the meeting brought no result.",
         "Russia's UN envoy Vasily Nebenzha said Israel has no right to defend itself.",
         "Football is popular in Turkey.",
         "Air strikes hit the port again; it could be hit once more."]


def _lexical() -> LocalLexical:
    return LocalLexical(LexicalIndex.build(TEXTS), RowIds(list(range(len(TEXTS)))))


def _read(question: str):
    typed = words(question)
    return correct(typed, stems(typed), _lexical(), lower_case=typed_in_lower_case(question))


def test_a_misspelt_english_word_is_read_as_the_indexed_stem_of_the_word_meant():
    read = _read("what came out of the sochi meetng")
    assert read.read_as == {"meetng": "meeting"}
    assert read.stemmed == tokenize("what came out of the sochi meeting")
    assert "meeting" in read.surface  # its rarity is that of the English word


def test_a_misspelt_name_is_read_as_the_indexed_name_one_edit_away():
    assert _read("what did nebenzya say").read_as == {"nebenzya": "nebenzha"}
    assert _read("when did erdgoan go to sochi").read_as == {"erdgoan": "erdogan"}


def test_words_the_articles_lack_stay_as_typed():
    # English words absent from the index are evidence the articles don't cover the question
    read = _read("who coaches turkey's basketball team")
    assert read.read_as == {}
    assert read.stemmed == tokenize("who coaches turkey's basketball team")
    # an unknown word with no indexed neighbour, short words, and numbers are left alone too
    assert _read("zyxwvut putn 20233 putinn").read_as == {"putinn": "putin"}


def test_a_rare_word_english_uses_is_corrected_only_to_a_far_commoner_word_in_lower_case():
    # "defund" is one edit from the indexed "defend" and not in the small word list, but
    # English text uses it (wordfreq's large list) and "defend" is only ~100 times as common
    assert _read("did they defund the envoy").read_as == {}
    assert _read("did they defnd the envoy").read_as == {"defnd": "defend"}
    # the large list holds common misspellings too: "israel" is ~400 times as common
    read = _read("did nebenzha say isreal has no right to defend itself")
    assert read.read_as == {"isreal": "israel"}
    assert read.stemmed == tokenize("did nebenzha say israel has no right to defend itself")
    # capitalised, a rare word is more likely a name the articles lack; never read as a name
    assert _read("did Isreal say so").read_as == {}
    assert _read("why couldn't they defend the port").read_as == {}  # not "could"
    assert _read("what did nebenzh say").read_as == {"nebenzh": "nebenzha"}


def test_a_typo_read_both_ways_is_shown_as_the_english_word():
    # "strieks" is one edit from the indexed token "strike" and from the word "strikes"
    read = _read("air strieks on the port")
    assert read.read_as == {"strieks": "strikes"}
    assert "strikes" in read.surface


def test_how_far_a_typed_word_may_be_from_what_it_meant():
    assert [max_edits(w) for w in ("meet", "meetng", "nebenzya", "confrontaton", "2023x")] == \
        [0, 1, 1, 2, 0]

