"""Stories: reports of one event across outlets grouped, chains and old news kept apart."""

from __future__ import annotations

import numpy as np

from index import BriefingIndex
from index.ingest.corpus import to_markdown
from index.summarise.stories import build_stories, cluster, pairwise, single_link
from tests.bot.feed_server import STORIES


def unit(*rows):
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_average_link_does_not_chain_through_a_bridge_as_single_link_does():
    vectors = unit([1, 0, 0], [0.75, 0.66, 0], [0.1, 1, 0])  # a~b, b~c, a!~c
    assert single_link(vectors, [0, 0, 0], 0.6) == [0, 0, 0]
    assert cluster(vectors, [0, 0, 0], 0.6) == [0, 0, 1]


def test_the_same_text_weeks_apart_is_another_story():
    vectors = unit([1, 0], [1, 0.01])
    assert cluster(vectors, [0, 1], 0.6) == [0, 0]
    assert cluster(vectors, [0, 30], 0.6) == [0, 1]


def test_an_undated_copy_joins_its_story_whenever_it_was_indexed():
    """An undated article is dated by the day it was indexed: a copy of an old report,
    indexed weeks later, was a story of its own (listed twice in /stories and /digest)."""
    vectors = unit([1, 0], [1, 0.01], [0, 1])
    assert cluster(vectors, [0, 30, 30], 0.6, undated=[False, True, True]) == [0, 0, 1]
    assert cluster(vectors, [0, 30, 30], 0.6) == [0, 1, 2]  # dated a month apart: two
    # ... and it does not reopen the old story to another report of its own day, in either
    # order: old report a, undated copy u, new dated report d (close to a, 100 days later)
    a, u, d = [1, 0], [1, 0.01], [1, 0.4]
    assert cluster(unit(a, u, d), [0, 100, 100], 0.6, undated=[False, True, False]) == [0, 0, 1]
    assert cluster(unit(a, d, u), [0, 100, 100], 0.6, undated=[False, False, True]) == [0, 1, 0]


def test_pairwise_precision_and_recall():
    assert pairwise([0, 0, 1, 1], [0, 0, 0, 1]) == {"precision": 0.5, "recall": 0.3333,
                                                    "f1": 0.4}


def test_indexed_reports_of_one_event_are_one_story_reported_by_two_sources(tmp_path,
                                                                            embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, key, source, day in (
            ("tug-a", "tugboats", "https://harbour.example/tugs", "2025-03-03"),
            ("tug-b", "tugboats", "https://wire.example/rotterdam-hydrogen", "2025-03-04"),
            ("tahoe", "tahoe", "https://harbour.example/tahoe", "2025-03-04")):
        title, paragraphs = STORIES[key]
        text = "\n\n".join(paragraphs if name != "tug-b" else
                           ["By Wire staff.", *paragraphs[:2]])
        (corpus / f"{name}.md").write_text(to_markdown(title, source, day, text), "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    stories = build_stories(index.snapshot())
    assert sorted(len(s.articles) for s in stories) == [1, 2]
    tugs = next(s for s in stories if len(s.articles) == 2)
    assert tugs.outlets == ("harbour.example", "wire.example")
    assert [a.article for a in tugs.articles] == ["tug-a", "tug-b"]


def test_a_published_date_after_the_day_indexed_is_not_believed(tmp_path, embedder):
    """An article dated 2031 led /stories and counted as the freshest for "the latest"."""
    from datetime import UTC, datetime

    from index.ingest.dates import article_date, credible_published

    today = datetime.now(UTC).isoformat(timespec="seconds")
    assert credible_published("2031-06-01", today) is None
    assert article_date("2031-06-01", today).isoformat() == today[:10]
    assert credible_published("2015-04-01", today).isoformat() == "2015-04-01"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, key, day in (("copper", "copper", "2015-04-01"), ("tahoe", "tahoe", "2031-06-01")):
        title, paragraphs = STORIES[key]
        (corpus / f"{name}.md").write_text(to_markdown(title, f"https://{key}.example/a", day,
                                                       "\n\n".join(paragraphs)), "utf-8")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    stories = index.stories()
    assert [s.articles[0].date for s in stories] == [today[:10], "2015-04-01"]
