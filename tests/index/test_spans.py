"""The one span type: every stage's span is a Span that lies verbatim in its article."""

import dataclasses

import pytest

from index.spans import Hit, Passage, PassageRecord, Span, SummarySentence


def test_every_result_is_a_span_of_its_article(seed_index):
    snapshot = seed_index.snapshot()
    answer = seed_index.ask("Why did Erdoğan approve Sweden?")
    summary = seed_index.summarize("russia-turkiye-israel-hamas-war", 3)
    for span in (*answer.hits, *summary.sentences):
        assert isinstance(span, Span)
        body, _ = snapshot.metadata.article_body(span.article)
        assert body[span.start:span.end] == span.text


def test_a_hit_is_its_stored_passage_plus_how_it_ranked():
    record = PassageRecord(id=7, article="a", title="T", source="", paragraphs=(2, 3), start=4,
                           end=9, text="words", sentences=((0, 5),))
    hit = Hit(**vars(record), rank=1, score=0.5, highlight="words", similarity=0.25)
    assert isinstance(hit, Passage)
    assert {f.name: getattr(hit, f.name) for f in dataclasses.fields(PassageRecord)} == vars(record)


def test_a_summary_sentence_lies_in_one_paragraph():
    sentence = SummarySentence(article="a", title="T", paragraphs=(3,), start=0, end=1, text="x")
    assert sentence.paragraph == 3
    with pytest.raises(ValueError, match="one paragraph"):
        SummarySentence(article="a", title="T", paragraphs=(3, 4), start=0, end=1, text="x")
    with pytest.raises(TypeError):
        Span("a", (1,), 0, 1, "x")  # keyword-only: a span is never built by position
