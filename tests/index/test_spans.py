"""The one span type: every stage's span is a Span that lies verbatim in its article."""

import dataclasses

import pytest

from index.search.hybrid import DEFAULT_WEIGHTS, search
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


def test_a_highlight_opening_its_article_starts_after_the_dateline(tmp_path, embedder):
    """"Norfolk, Virginia (CNN)The second mate…" was bolded and quoted with its dateline
    (24 of 40 top highlights in a CNN archive); summaries already left it out."""
    from index import BriefingIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ship.md").write_text(
        "---\ntitle: Ship crash\n---\n\nNorfolk, Virginia (CNN)The second mate of the cargo "
        "ship was charged on Monday with negligence after the collision in the harbor.\n\n"
        "LONDON (Reuters) — Lloyd's said the claim would be paid.\n", "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    hit = index.ask("Who was charged after the ship collision?", 1).hits[0]
    assert hit.text.startswith("Norfolk, Virginia (CNN)The second mate")  # the passage, whole
    assert hit.highlight.startswith("The second mate of the cargo ship was charged")
    later = index.ask("What did Lloyd's say about the claim?", 1).hits[0]
    assert later.highlight == "LONDON (Reuters) — Lloyd's said the claim would be paid."


def test_a_question_asking_for_a_number_bolds_the_sentence_that_holds_one(tmp_path, embedder):
    """"How old was Mary Kay Letourneau when she met Vili?" bolded the lede, which repeats
    every name of the question, not the sentence giving her age."""
    from index import BriefingIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "letourneau.md").write_text(
        "---\ntitle: A teacher's story\n---\n\nMary Kay Letourneau, the former Seattle teacher, "
        "married Vili Fualaau after her release from prison. Letourneau was 34 when she met "
        "Fualaau, then her student.\n", "utf-8")
    (corpus / "school.md").write_text(
        "---\ntitle: School news\n---\n\nThe Seattle school board met on Monday and said the "
        "teacher contracts would be signed in spring.\n", "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    hit = index.ask("How old was Mary Kay Letourneau when she met Vili?", 1).hits[0]
    assert hit.highlight.startswith("Letourneau was 34 when she met Fualaau")
    who = index.ask("Who did Mary Kay Letourneau marry?", 1).hits[0]
    assert who.highlight.startswith("Mary Kay Letourneau, the former Seattle teacher")
    # The weights searched with choose the highlight too: without the answer-kind weight the
    # lede, holding more of the question's words, is bolded (they were ignored, always default).
    unweighted = search(index.snapshot(), index.embedder,
                        "How old was Mary Kay Letourneau when she met Vili?", 1,
                        weights=dataclasses.replace(DEFAULT_WEIGHTS, answer_kind=0.0))
    assert unweighted.hits[0].highlight.startswith("Mary Kay Letourneau, the former Seattle")
