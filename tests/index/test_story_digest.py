"""Digests by story: one entry per event across outlets, no fact twice, only what is new."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.render import digest_embed, stories_embed
from bot.terminal import format_digest
from index import BriefingIndex
from index.ingest.corpus import to_markdown
from index.summarise.mmr import SAME_FACT, mmr
from tests.bot.feed_server import STORIES

TUG_TITLE, HARBOUR = STORIES["tugboats"]
WIRE = ["By Wire staff.",
        "Two hydrogen-powered tugboats began trials at the Port of Rotterdam on Monday, the "
        "first such vessels to work in Europe's busiest harbour, port officials said.",
        "The tugs were built by a shipyard in Gorinchem and carry compressed hydrogen in tanks "
        "behind the wheelhouse. Each tug cost about 12 million euros, a third more than a "
        "diesel tug, and the European Union paid half of the bill."]
NEW_FACT = ("One of Rotterdam's hydrogen tugboats towed a 400-metre container ship into the "
            "Maasvlakte terminal on Thursday, the first hydrogen-powered tow of a ship that "
            "size, the port said.")
FOLLOW_UP = [NEW_FACT,
             "The port began trials of the two hydrogen-powered tugboats on Monday, the first "
             "vessels of their kind to work the busiest harbour in Europe.",
             "The tugs, built by a shipyard in Gorinchem, carry compressed hydrogen in tanks "
             "behind the wheelhouse."]


def write(corpus: Path, name: str, title: str, source: str, day: str, paragraphs) -> None:
    (corpus / f"{name}.md").write_text(to_markdown(title, source, day, "\n\n".join(paragraphs)),
                                       "utf-8")


@pytest.fixture
def two_outlets(tmp_path, embedder) -> tuple[BriefingIndex, Path]:
    """Two outlets' versions of the tugboat trial and an unrelated article, indexed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, "tug-harbour", TUG_TITLE, "https://www.harbour.example/tugs", "2025-03-03",
          HARBOUR)
    write(corpus, "tug-wire", "Hydrogen tugs start work in Rotterdam",
          "https://wire.example/rotterdam-hydrogen", "2025-03-03", WIRE)
    write(corpus, "tahoe", STORIES["tahoe"][0], "https://harbour.example/tahoe", "2025-03-04",
          STORIES["tahoe"][1])
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    return index, corpus


def test_two_outlets_one_event_is_one_entry_without_repeating_a_fact(two_outlets, embedder):
    index, _ = two_outlets
    digest = index.digest(datetime(2000, 1, 1))
    assert (digest.total, digest.stories, len(digest.entries)) == (3, 2, 2)
    tugs, tahoe = digest.entries
    assert tugs.title == TUG_TITLE and tugs.outlets == ("harbour.example", "wire.example")
    assert set(tugs.reports) == {"tug-harbour", "tug-wire"} and tahoe.outlets == (
        "harbour.example",)
    texts = [s.text for s in tugs.sentences]
    assert len(texts) == 3 and "By Wire staff." not in texts
    assert {s.article for s in tugs.sentences} == {"tug-harbour", "tug-wire"}  # across both
    assert sum("began trials" in t for t in texts) == 1  # the lede once, not both versions
    vectors = embedder.embed(texts)
    assert (vectors @ vectors.T - np.eye(3)).max() < SAME_FACT
    for s in tugs.sentences:  # verbatim and cited
        body, _ = index.snapshot().metadata.article_body(s.article)
        assert body[s.start:s.end] == s.text
    text = format_digest(digest)
    assert text.startswith("2 stories from 3 articles indexed since")
    assert f"{TUG_TITLE} · reported by 2 sources (harbour.example, wire.example)" in text
    assert "(Hydrogen tugs start work in Rotterdam, ¶" in text
    embed = digest_embed(digest)
    assert embed.fields[0].name.startswith(f"{TUG_TITLE} · reported by 2 sources")
    assert embed.fields[1].name.startswith("Lake Tahoe") and "reported by 1 source " in (
        embed.fields[1].name)


def test_a_follow_up_shows_only_the_fact_earlier_reports_did_not_carry(two_outlets):
    index, corpus = two_outlets
    first = max(datetime.fromisoformat(r.indexed_at) for r in index.sources())
    time.sleep(1.1)  # indexed_at has a resolution of one second
    write(corpus, "tug-tow", "Hydrogen tug tows a giant container ship",
          "https://news.example/tug-tow", "2025-03-05", FOLLOW_UP)
    index.reindex(corpus)
    digest = index.digest(first + timedelta(seconds=1))
    [entry] = digest.entries
    assert entry.title == TUG_TITLE and entry.reports == ("tug-tow",)
    assert set(entry.earlier) == {"tug-harbour", "tug-wire"}
    assert len(entry.outlets) == 3
    assert [s.text for s in entry.sentences] == [NEW_FACT]
    text = format_digest(digest)
    assert "reported by 3 sources" in text and "new since" in text
    assert "Gorinchem" not in text and "began trials" not in text


def test_a_source_named_without_a_link_is_shown_as_that_source(tmp_path, embedder):
    """`source: Reuters` names a source that is not a URL: the digest counted the article
    "without a source"; it is that source, shown as plain text (no link)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, "tahoe", STORIES["tahoe"][0], "Reuters", "2025-03-04", STORIES["tahoe"][1])
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    digest = index.digest(datetime(2000, 1, 1))

    assert digest.entries[0].outlets == ("Reuters",)
    text = format_digest(digest)
    assert "reported by 1 source (Reuters)" in text and "without a source" not in text
    assert "reported by 1 source ·" in digest_embed(digest).fields[0].name
    story = stories_embed(index.stories()).description
    assert "· Reuters" in story and "](" not in story and "no source" not in story


def test_pick_never_takes_a_near_duplicate_even_when_it_is_most_relevant():
    vectors = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=np.float64)
    assert mmr(np.array([1.0, 0.9, 0.1]), vectors @ vectors.T, 3, same=SAME_FACT) == [0, 2]
    assert mmr(np.array([1.0, 0.9, 0.1]), vectors @ vectors.T, 3,
               available=np.array([False, True, True])) == [1, 2]


def test_one_reindex_lists_the_latest_published_first_and_shows_dates_it_can_read(
        tmp_path, embedder):
    """Articles of one reindex share their index time: the digest listed them by file name
    and showed a published text it could not read ("yesterday") as it was."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, key, day in (("a-copper", "copper", "2015-04-01"),
                           ("b-estonia", "estonia", "2015-04-05"),
                           ("c-tahoe", "tahoe", "yesterday")):
        write(corpus, name, STORIES[key][0], f"https://{key}.example/x", day, STORIES[key][1])
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus)
    digest = index.digest(datetime(2000, 1, 1))
    indexed_day = index.sources()[0].indexed_at[:10]
    # Newest first by the date shown: the unreadable one is shown, and sorted, as indexed.
    assert [(e.article, e.date) for e in digest.entries] == [
        ("c-tahoe", indexed_day), ("b-estonia", "2015-04-05"), ("a-copper", "2015-04-01")]
