"""Digests: what was indexed since a given time, one entry per story with its key sentences.

The articles indexed since `since` are grouped into the stories of `index/summarise/stories.py` (the
grouping of the whole index, so a follow-up joins the story it continues). Each story's key
sentences are chosen from its new articles by maximal marginal relevance over sentence
embeddings, so several outlets' versions of one event give its facts once: a sentence whose
cosine to one already chosen reaches `SAME_FACT` is never chosen. A story that has articles
indexed before `since` was in an earlier digest (a scheduled digest covers exactly the time
since its last post): only sentences its earlier articles did not carry are shown, i.e. those
whose cosine to every sentence of those articles stays below `SAME_FACT`. No state is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from index.errors import ArticleNotFound
from index.ingest.dates import article_date, credible_published
from index.ingest.embedding import Embedder
from index.ingest.splitting import word_count
from index.spans import SummarySentence
from index.store.lexical import tokenize
from index.store.metadata import ArticleRecord
from index.store.snapshot import Snapshot
from index.summarise import salience
from index.summarise.article import (
    DEFAULT_WEIGHTS,
    body_sentences,
    static_scores,
    summarize_article,
)
from index.summarise.mmr import SAME_FACT, mmr
from index.summarise.stories import Story, all_stories

DIGEST_SENTENCES = 3
STORY_CENTRALITY = 0.5  # weight of a sentence's closeness to its story's centroid


@dataclass(frozen=True)
class DigestEntry:
    """One story of a digest: its title, its newest article's dates, its key sentences.

    `article` is the story's newest article indexed since the digest's time, `reports` all of
    them (oldest first), `outlets` every outlet that reported the story (the hosts of source
    URLs, or sources named without a link), `unsourced` how many of its articles have no
    source, `earlier` its articles
    indexed before: when there are any, `sentences` hold only what those did not say (possibly
    nothing).
    """

    article: str
    title: str
    published: str
    indexed_at: str
    sentences: tuple[SummarySentence, ...]
    story: int = -1
    outlets: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    earlier: tuple[str, ...] = ()
    unsourced: int = 0

    @property
    def date(self) -> str:
        """The date to show (YYYY-MM-DD): the published date when the article's can be read
        ("yesterday" or "2023-02-30" cannot), else the day it was indexed, as /stories shows."""
        day = article_date(self.published, self.indexed_at)
        return day.isoformat() if day else self.indexed_at[:10]


@dataclass(frozen=True)
class Digest:
    """Stories with articles indexed since `since`, the most widely reported first (then the
    most recent); `total` counts the articles and `stories` the stories, both before any
    limit."""

    since: datetime
    entries: tuple[DigestEntry, ...]
    total: int
    stories: int = 0


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def indexed_since(records: Iterable[ArticleRecord], since: datetime) -> list[ArticleRecord]:
    """The records indexed at or after `since`, newest first: articles of one reindex share
    their index time, so among them the latest published comes first (then id order)."""
    since = as_utc(since)
    recent = [(indexed, r) for r in records
              if (indexed := _parse_time(r.indexed_at)) is not None and indexed >= since]
    recent.sort(key=lambda pair: pair[1].id)
    # An article without a credible published date is dated the day it was indexed, as its
    # entry shows it (it was sorted as the oldest, below entries it is shown newer than).
    recent.sort(key=lambda pair: (pair[0], credible_published(pair[1].published,
                                                              pair[1].indexed_at)
                                  or pair[0].date()), reverse=True)
    return [r for _, r in recent]


def build_digest(snapshot: Snapshot, embedder: Embedder, since: datetime,
                 sentences: int = DIGEST_SENTENCES, limit: int | None = None) -> Digest:
    """A digest of the stories with articles indexed since `since` (at most `limit` stories)."""
    recent = indexed_since(snapshot.metadata.articles(), since)
    if not recent:
        return Digest(as_utc(since), (), 0, 0)
    newest = {r.id: n for n, r in enumerate(recent)}  # 0 is the newest
    records = {r.id: r for r in recent}
    touched: list[Story] = [s for s in all_stories(snapshot)
                            if any(a.article in newest for a in s.articles)]
    # Most widely reported first: each article without a source counts as an outlet of its own.
    touched.sort(key=lambda s: (-len(s.outlets) - s.unsourced,
                                min(newest[a.article] for a in s.articles if a.article in newest)))
    chosen = touched[:limit] if limit is not None else touched
    entries = []
    for story in chosen:
        new = [a.article for a in story.articles if a.article in newest]
        earlier = [a.article for a in story.articles if a.article not in newest]
        lead = records[min(new, key=newest.__getitem__)]
        entries.append(DigestEntry(
            lead.id, story.title, lead.published, lead.indexed_at,
            story_sentences(snapshot, embedder, new, earlier, sentences), story.id,
            story.outlets, tuple(new), tuple(earlier), story.unsourced))
    return Digest(as_utc(since), tuple(entries), len(recent), len(touched))


def story_sentences(snapshot: Snapshot, embedder: Embedder, articles: Sequence[str],
                    earlier: Sequence[str] = (), k: int = DIGEST_SENTENCES
                    ) -> tuple[SummarySentence, ...]:
    """Up to `k` key sentences of `articles` (one story), none stating a fact twice nor one
    that the `earlier` articles stated; in story order, then article order."""
    if len(articles) == 1 and not earlier:  # one report: its own summary, as /summary gives
        try:
            return summarize_article(snapshot, embedder, articles[0], k).sentences
        except ArticleNotFound:
            return ()
    candidates: list[SummarySentence] = []
    vectors: list[np.ndarray] = []
    relevance: list[np.ndarray] = []
    for article in articles:
        found = _sentences(snapshot, embedder, article)
        if found is None:
            continue
        sentences, embedded = found
        tokens = [set(tokenize(s.text)) for s in sentences]
        texts = [s.text for s in sentences]
        candidates += sentences
        vectors.append(embedded)
        relevance.append(static_scores(texts, embedded, tokens, DEFAULT_WEIGHTS))
    if not candidates:
        return ()
    matrix = np.vstack(vectors)
    # Across reports, a sentence central to the whole story beats each report's own lede
    # (a byline or dateline is a report's first sentence too, and is never a key sentence).
    scores = np.concatenate(relevance) + STORY_CENTRALITY * salience.centrality(matrix)
    texts = [s.text for s in candidates]
    available = salience.sentences_proper(texts) & np.array(
        [word_count(t) >= DEFAULT_WEIGHTS.shortest for t in texts]) & ~salience.inside_quotation(
        texts, [(s.article, s.paragraph) for s in candidates])
    if not available.any():
        available[:] = True
    seen = [found[1] for a in earlier
            if (found := _sentences(snapshot, embedder, a)) is not None]
    if seen:
        available &= (matrix @ np.vstack(seen).T).max(axis=1) < SAME_FACT
    picks = mmr(scores, matrix @ matrix.T, k, DEFAULT_WEIGHTS.diversity, same=SAME_FACT,
                available=available)
    order = {a: n for n, a in enumerate(articles)}
    return tuple(sorted((candidates[i] for i in picks),
                        key=lambda s: (order[s.article], s.start)))


def _sentences(snapshot: Snapshot, embedder: Embedder, article: str
               ) -> tuple[list[SummarySentence], np.ndarray] | None:
    """An article's sentences and their embeddings, or None when it has no text."""
    record = snapshot.metadata.article(article)
    stored = snapshot.metadata.article_body(article) if record else None
    if record is None or stored is None:
        return None
    body, paragraphs = stored
    sentences = body_sentences(body, paragraphs, article=record.id, title=record.title)
    if not sentences:
        return None
    return sentences, embedder.embed([s.text for s in sentences])


def _parse_time(text: str) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None
