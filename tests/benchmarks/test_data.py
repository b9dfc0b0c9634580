"""Real-text loading for the benchmarks, on tiny stand-in files (no model, no shared data)."""

import json

from benchmarks.data import (
    Doc,
    article_markdown,
    estimate_passages,
    group_sentences,
    split_sentences,
    squad_docs,
    squad_questions,
    take_passages,
)
from index.ingest.articles import parse_article


def test_split_and_group_sentences_keep_every_word():
    text = 'He said "Yes." Then he left.  The U.S. team won 3-1! Was it fair? Nobody knows.'
    sentences = split_sentences(text)
    assert sentences[0] == 'He said "Yes."'
    assert " ".join(sentences).split() == text.split()
    paragraphs = group_sentences(sentences, max_words=6)
    assert " ".join(paragraphs).split() == text.split()
    assert all(len(p.split()) <= 6 or p in sentences for p in paragraphs)


def test_take_passages_stops_once_the_estimate_reaches_the_target():
    short = Doc("a", "A", ("word " * 100,) * 3)       # 3 passages
    long = Doc("b", "B", ("word " * 400,))             # ceil(400/150) = 3 passages
    assert estimate_passages(short) == 3 and estimate_passages(long) == 3
    assert [d.id for d in take_passages([short, long, short], 4)] == ["a", "b"]
    assert [d.id for d in take_passages([short, long], 3)] == ["a"]


def test_article_markdown_reads_back_with_the_same_title_and_paragraphs():
    doc = Doc("x", 'Title: with "quotes", colons # and ü', ("First  para\ngraph.", "Second."))
    article = parse_article(article_markdown(doc).encode(), "x", "x.md", ".md")
    assert article.title == doc.title
    assert [article.body[s:e] for s, e in article.paragraphs] == ["First para graph.", "Second."]


def test_squad_docs_and_evenly_spread_questions(tmp_path):
    data = {"data": [{"title": f"Topic_{n}", "paragraphs": [
        {"context": f"Context {n}.", "qas": [{"question": f" q{n}-{i}? "} for i in range(5)]}]}
        for n in range(4)]}
    (tmp_path / "squad-v1.1-dev").mkdir()
    (tmp_path / "squad-v1.1-dev" / "dev-v1.1.json").write_text(json.dumps(data))
    docs = squad_docs(tmp_path)
    assert [d.title for d in docs] == ["Topic 0", "Topic 1", "Topic 2", "Topic 3"]
    questions = squad_questions(tmp_path, 4)
    assert questions == ["q0-0?", "q1-0?", "q2-0?", "q3-0?"]
    assert len(squad_questions(tmp_path, 100)) == 20
