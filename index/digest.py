"""Digests: what was indexed since a given time, one short cited summary per article."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from index.embedding import Embedder
from index.metadata import ArticleRecord
from index.snapshot import Snapshot
from index.summarize import SummarySentence, summarize_article

DIGEST_SENTENCES = 3


@dataclass(frozen=True)
class DigestEntry:
    """One article of a digest: its title, dates and key sentences."""

    article: str
    title: str
    published: str
    indexed_at: str
    sentences: tuple[SummarySentence, ...]

    @property
    def date(self) -> str:
        """The date to show: the published date when the article has one, else when indexed."""
        return self.published or self.indexed_at[:10]


@dataclass(frozen=True)
class Digest:
    """Articles indexed since `since`, newest first; `total` counts them all before any limit."""

    since: datetime
    entries: tuple[DigestEntry, ...]
    total: int


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def indexed_since(records: Iterable[ArticleRecord], since: datetime) -> list[ArticleRecord]:
    """The records indexed at or after `since`, newest first (ties in id order)."""
    since = as_utc(since)
    recent = [(indexed, r) for r in records
              if (indexed := _parse_time(r.indexed_at)) is not None and indexed >= since]
    recent.sort(key=lambda pair: pair[1].id)
    recent.sort(key=lambda pair: pair[0], reverse=True)
    return [r for _, r in recent]


def build_digest(snapshot: Snapshot, embedder: Embedder, since: datetime,
                 sentences: int = DIGEST_SENTENCES, limit: int | None = None) -> Digest:
    """A digest of the articles indexed since `since` (at most `limit` of them, newest first)."""
    recent = indexed_since(snapshot.metadata.articles(), since)
    entries = []
    for record in recent[:limit] if limit is not None else recent:
        summary = summarize_article(snapshot, embedder, record.id, sentences)
        entries.append(DigestEntry(record.id, record.title, record.published, record.indexed_at,
                                   summary.sentences))
    return Digest(as_utc(since), tuple(entries), len(recent))


def _parse_time(text: str) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        return None
