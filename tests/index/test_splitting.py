"""Passages and sentences keep verbatim offsets and respect abbreviations."""

from index.ingest.articles import article_from_text, read_corpus
from index.ingest.splitting import (
    MAX_PASSAGE_WORDS,
    paragraph_sentences,
    sentence_spans,
    split_article,
    word_count,
)
from tests.support import ROOT


def test_every_corpus_passage_is_a_verbatim_slice_of_its_body():
    articles, _ = read_corpus(ROOT / "corpus")
    for article in articles:
        passages = split_article(article)
        assert passages
        for passage in passages:
            assert article.body[passage.start:passage.end] == passage.text
            assert passage.paragraphs and min(passage.paragraphs) >= 1
            assert passage.sentences and passage.sentences[0][0] == 0
            assert passage.sentences[-1][1] == len(passage.text)


def test_seed_article_gives_one_passage_per_paragraph():
    articles, _ = read_corpus(ROOT / "corpus")
    seed = next(a for a in articles if a.id == "russia-turkiye-israel-hamas-war")
    assert [p.paragraphs for p in split_article(seed)] == [(n,) for n in range(1, 18)]


def test_abbreviations_do_not_end_sentences():
    text = ("The Oct. 24 call was short. The U.S. embassy said nothing. "
            "Mr. Putin, however, spoke at length.")
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == ["The Oct. 24 call was short.", "The U.S. embassy said nothing.",
                         "Mr. Putin, however, spoke at length."]


def test_times_amounts_and_lower_case_restarts_stay_in_their_sentence():
    """The segmenter cuts after "a.m.", "approx." and "per cent." whatever follows; a
    summary then quoted "The Senate will vote at 10 a.m." without its day."""
    text = ("The Senate will vote at 10 a.m. Thursday, aides said. The package is worth approx. "
            "$3 billion. Trading opened at 9:30 a.m. ET on Monday. Shares closed 5 per cent. "
            "higher. The meeting ended at 10 p.m. Officials said little. He lives in Africa. "
            "Then he left.")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The Senate will vote at 10 a.m. Thursday, aides said.",
        "The package is worth approx. $3 billion.",
        "Trading opened at 9:30 a.m. ET on Monday.",
        "Shares closed 5 per cent. higher.",
        "The meeting ended at 10 p.m.", "Officials said little.", "He lives in Africa.",
        "Then he left."]


def test_a_state_a_region_or_a_name_s_particle_still_starts_a_sentence():
    text = ("The firm is based in Sacramento, CA. It employs 500 people. The strike began at "
            "6 a.m. Eastern Europe braced for delays. He spoke Monday. de Blasio said nothing. "
            "It started at 3:16 a.m. Pacific Daylight Time, officials said.")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The firm is based in Sacramento, CA.", "It employs 500 people.",
        "The strike began at 6 a.m.", "Eastern Europe braced for delays.", "He spoke Monday.",
        "de Blasio said nothing.", "It started at 3:16 a.m. Pacific Daylight Time, officials said."]


def test_an_image_s_leading_mark_is_not_a_sentence_of_its_own():
    text = "![Flood barrier at St. Pauli](https://example.org/a.jpg) The barrier held."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences[0].startswith("![Flood barrier")
    assert all(any(c.isalpha() for c in s) for s in sentences)


def test_long_paragraph_is_cut_at_sentence_boundaries():
    sentence = "Officials in Ankara met their counterparts from Moscow on Oct. 24 for talks. "
    body = (sentence * 40).strip()
    article = article_from_text("long", "Long", body)
    passages = split_article(article)
    assert len(passages) > 1
    for p in passages:
        assert body[p.start:p.end] == p.text
        assert p.text.endswith("talks.") and p.paragraphs == (1,)
        assert word_count(p.text) <= MAX_PASSAGE_WORDS


def test_paragraph_without_punctuation_is_cut_between_words():
    body = " ".join(f"word{i}" for i in range(1000))
    passages = split_article(article_from_text("flat", "Flat", body))
    assert len(passages) >= 1000 // MAX_PASSAGE_WORDS
    assert all(body[p.start:p.end] == p.text for p in passages)
    assert " ".join(p.text for p in passages) == body


def test_short_subheading_joins_the_next_paragraph():
    body = "Background\n\nThe grain deal let Ukraine ship wheat through the Black Sea for a year."
    [passage] = split_article(article_from_text("sub", "Sub", body))
    assert passage.paragraphs == (1, 2)
    assert passage.text == body


def test_stray_quote_is_not_a_sentence_of_its_own():
    text = "He said it was over. ” Then he left the room."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert all(any(c.isalpha() for c in s) for s in sentences)
    assert sentences[-1] == "Then he left the room."


def test_an_unclosed_quote_does_not_make_one_sentence_of_the_rest_of_the_paragraph():
    """The segmenter pairs quote marks: after one unclosed quote (common in wire copy) it
    paired the wrong ones and kept seven sentences as one, quoted whole by summaries."""
    text = ('"There is still smoke," said a farmer. "On a clear day I can see eight volcanoes. '
            '"The rain would have been a disaster," he added. About 1,500 people were evacuated '
            'on Thursday. A 20-kilometre exclusion zone has been set up around the crater. Ash '
            'reached Argentina after the second eruption. Farmers moved their animals to safer '
            'ground. The first eruption caused panic in the region. "At the beginning it was '
            'small, and later the cloud grew.')
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        '"There is still smoke," said a farmer.',
        '"On a clear day I can see eight volcanoes.',
        '"The rain would have been a disaster," he added.',
        "About 1,500 people were evacuated on Thursday.",
        "A 20-kilometre exclusion zone has been set up around the crater.",
        "Ash reached Argentina after the second eruption.",
        "Farmers moved their animals to safer ground.",
        "The first eruption caused panic in the region.",
        '"At the beginning it was small, and later the cloud grew.']


def test_a_numbered_item_s_number_is_not_a_sentence_of_its_own():
    """"1." was a sentence: a summary line "1. (¶5)" with nothing else in it."""
    for text in ("1. Auditors listed the costs of the repairs.", "(2) Ministers met on Monday."):
        assert [text[s:e] for s, e in sentence_spans(text)] == [text]
    assert len(sentence_spans("He won 2. The rest lost.")) == 2  # a number can end a sentence


def test_an_opening_mark_at_a_paragraph_s_end_stays_in_its_paragraph():
    body = 'The minister spoke to reporters on Monday. "\n\nWe have found the money," she said.'
    spans = paragraph_sentences(body, [(0, 44), (46, len(body))])
    assert [body[s:e] for s, e in spans] == ['The minister spoke to reporters on Monday. "',
                                             'We have found the money," she said.']


def test_a_long_quoted_sentence_stays_whole():
    text = ('"We will rebuild every house that the river took, and every school, every clinic '
            'and every bridge, whatever it costs and however long it takes," the governor told '
            'a crowd of several thousand people gathered outside the flooded town hall on Monday '
            'morning. Then she left.')
    assert [text[s:e] for s, e in sentence_spans(text)][-1] == "Then she left."
    assert len(sentence_spans(text)) == 2


def _split_seconds(paragraphs: int) -> float:
    """Best of three times to split an article of `paragraphs` one-sentence paragraphs."""
    import time

    article = article_from_text("many", "Many", "\n\n".join(
        f"Harbour number {i} reopened today." for i in range(paragraphs)))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        passages = split_article(article)
        best = min(best, time.perf_counter() - started)
    assert sum(len(p.sentences) for p in passages) == paragraphs
    return best


def test_splitting_time_grows_linearly_with_the_number_of_paragraphs():
    """Four times the paragraphs may take about four times as long, not sixteen (it was
    quadratic: 300k tiny paragraphs took minutes). A ratio, so the machine's speed cancels."""
    ratio = _split_seconds(32_000) / _split_seconds(8_000)
    assert ratio < 8, f"4x the paragraphs took {ratio:.1f}x as long"
