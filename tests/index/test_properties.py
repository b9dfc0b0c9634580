"""Property-based: hostile questions and articles never crash and keep offsets verbatim."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import InvalidQuestion
from index.articles import ArticleError, parse_article
from index.splitting import sentence_spans, split_article
from index.summarize import summarize_body

EXAMPLES = 1000
RUN = settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

nasty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "\n\n\n", "\t\r\n", "@everyone", "<@&123456>", "<@!42> hi",
                     "```py\nprint(1)\n```", "**bold** _it_ ~~s~~ ||spoiler||",
                     "'; DROP TABLE passages; --", "../../etc/passwd", "C:\\Windows\\system32",
                     "\u202eevil\u202c", "e\u0301\u0301\u0301", "👩‍👩‍👧‍👦" * 50, "\x00\x01\x02",
                     "مرحبا بالعالم", "x" * 10_000]),
)
line_endings = st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"])


@st.composite
def articles(draw) -> bytes:
    """Article files: maybe front matter (maybe lying), paragraphs, mixed line endings."""
    parts = []
    if draw(st.booleans()):
        front = draw(st.sampled_from([
            "title: Fine\n", "title: [1, 2\n", "- a list\n", "title: 123\npublished: notadate\n",
            "title:\n  nested: {a: b}\n", ": : :\n", "title: \"unterminated\n"]))
        parts.append(f"---\n{front}---\n")
    for _ in range(draw(st.integers(0, 6))):
        parts.append(draw(nasty_text))
        parts.append(draw(line_endings))
    raw = "".join(parts).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=20))  # maybe invalid UTF-8 or NUL bytes
    return raw


@RUN
@given(raw=articles(), suffix=st.sampled_from([".md", ".txt"]))
def test_any_article_parses_or_is_refused_cleanly_and_offsets_stay_verbatim(raw, suffix):
    try:
        article = parse_article(raw, "a", "a" + suffix, suffix)
    except ArticleError:
        return
    assert article.title
    for start, end in article.paragraphs:
        assert article.body[start:end].strip() == article.body[start:end]
    for passage in split_article(article):
        assert article.body[passage.start:passage.end] == passage.text
        assert passage.text.strip()
        for start, end in passage.sentences:
            sentence = passage.text[start:end]
            assert sentence and sentence.strip() == sentence


@RUN
@given(text=nasty_text)
def test_sentences_are_verbatim_slices(text):
    for start, end in sentence_spans(text):
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]


@RUN
@given(question=nasty_text)
def test_any_question_is_answered_or_refused_with_a_clear_error(seed_index, question):
    try:
        answer = seed_index.ask(question)
    except InvalidQuestion as err:
        assert str(err)
        return
    for hit in answer.hits:
        assert hit.highlight in hit.text
    if not question.strip():
        pytest.fail("an empty question must be refused")


@RUN
@given(raw=articles(), sentences=st.integers(1, 10))
def test_any_article_summarizes_to_verbatim_sentences(embedder, raw, sentences):
    try:
        article = parse_article(raw, "a", "a.md", ".md")
    except ArticleError:
        return
    picked = summarize_body(article.body, article.paragraphs, embedder, sentences)
    assert len(picked) <= sentences
    assert [s.start for s in picked] == sorted(s.start for s in picked)
    for span in picked:
        text = article.body[span.start:span.end]
        assert text.strip() == text and text
        start, end = article.paragraphs[span.paragraph - 1]
        assert start <= span.start and span.end <= end
