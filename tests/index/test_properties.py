"""Property-based: hostile questions and articles never crash and keep offsets verbatim."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import InvalidQuestion
from index.ingest.articles import ArticleError, parse_article
from index.ingest.splitting import sentence_spans, split_article
from index.summarise.article import summarize_body

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
    if not any(c.isalnum() for c in question):
        pytest.fail("a question without a letter or digit must be refused")


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


FOLDER_RUN = settings(max_examples=150, derandomize=True, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow,
                                             HealthCheck.function_scoped_fixture])


@st.composite
def html_pages(draw) -> bytes:
    """HTML as pages come: maybe a charset, unclosed tags, scripts, entities, no body at all."""
    charset = draw(st.sampled_from(["", '<meta charset="utf-8">', '<meta charset="latin-1">',
                                    '<meta http-equiv="Content-Type" content="text/html; '
                                    'charset=windows-1252">']))
    title = draw(nasty_text)
    blocks = []
    for _ in range(draw(st.integers(0, 5))):
        tag = draw(st.sampled_from(["p", "div", "h2", "li", "script", "style", "article", "td"]))
        closing = draw(st.sampled_from([f"</{tag}>", "", "</p>"]))
        blocks.append(f"<{tag}>{draw(nasty_text)}{closing}")
    html = (f"<html><head>{charset}<title>{title}</title></head><body>{''.join(blocks)}"
            + draw(st.sampled_from(["</body></html>", "", "<!--", "<![CDATA["])))
    return html.encode("utf-8", "surrogatepass")


@st.composite
def encoded_articles(draw) -> bytes:
    """Article text in the encodings files arrive in, not only UTF-8 (most are refused)."""
    text = draw(st.text(max_size=400))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1",
                                     "cp1252", "shift_jis"]))
    return text.encode(encoding, "replace")


@st.composite
def large_articles(draw) -> bytes:
    """Large files: one long line, thousands of tiny paragraphs, or one huge paragraph."""
    unit = draw(st.sampled_from(["Word. ", "Ships waited in the harbour for grain ", "x",
                                 "A sentence.\n\n", "Line\n", "¶ ", "  \n"]))
    return (unit * draw(st.integers(1, 60_000))).encode("utf-8")


any_file = st.one_of(articles(), html_pages(), encoded_articles(), large_articles(),
                     st.binary(max_size=2000))
file_names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                            blacklist_characters="/\\:"), min_size=1,
                     max_size=30).filter(lambda name: name not in {".", ".."})


@FOLDER_RUN
@given(files=st.lists(st.tuples(file_names, st.sampled_from([".md", ".txt", ".html"]),
                                any_file), max_size=6),
       limit=st.sampled_from([None, 50_000]))
def test_any_corpus_folder_indexes_every_readable_file_and_names_every_other(
        tmp_path_factory, files, limit):
    from index.ingest.articles import read_corpus

    corpus = tmp_path_factory.mktemp("corpus")
    written = set()
    for name, suffix, raw in files:
        path = corpus / f"{name}{suffix}"
        try:
            path.write_bytes(raw)
        except OSError:  # a name the file system refuses (too long in bytes)
            continue
        if not name.startswith("."):
            written.add(path.relative_to(corpus).as_posix())
    read, skipped = read_corpus(corpus, limit)
    accounted = [a.path for a in read] + [s.path for s in skipped]
    assert sorted(accounted) == sorted(written)  # each file exactly once
    assert all(s.reason for s in skipped)
    for article in read:
        assert article.title and article.paragraphs
        if limit is not None:
            assert (corpus / article.path).stat().st_size <= limit
        for passage in split_article(article):
            assert article.body[passage.start:passage.end] == passage.text


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(first=nasty_text, follow_up=nasty_text)
def test_any_follow_up_is_answered_or_refused_with_a_clear_error(seed_index, first, follow_up):
    from index import Turn

    try:
        turns = [Turn.of(seed_index.ask(first), True)]
    except InvalidQuestion:
        turns = [Turn("Why did Erdoğan approve Sweden?", True,
                      (("russia-turkiye-israel-hamas-war", (15,)),))]
    try:
        answer, _ = seed_index.ask_followup(follow_up, turns)
    except InvalidQuestion as err:
        assert str(err)
        return
    assert answer.question.strip()
    for hit in answer.hits:
        assert hit.highlight in hit.text
