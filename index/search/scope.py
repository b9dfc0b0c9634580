"""Scoping a question to some articles (one article, one outlet, a time window) and
preferring recent articles when a question asks for the latest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import numpy as np

from index.errors import ArticleNotFound
from index.ingest.dates import article_date, credible_published
from index.store.metadata import MetadataStore

# Words by which a question asks for the newest news rather than any.
_LATEST = re.compile(r"\b(latest|newest|most recent|recent(ly)?|today|tonight|yesterday|"
                     r"right now|now|currently|current(ly)?|this (week|month|morning)|"
                     r"so far|any news|update[sd]?|still)\b", re.IGNORECASE)
# How fast the recency preference fades with an article's age behind the newest article.
RECENCY_HALF_LIFE_DAYS = 7.0


@dataclass(frozen=True)
class Scope:
    """Which articles a question may be answered from.

    `source`: an article id, or an outlet: the host of the articles' source URLs
    ("reuters.com", with or without "www."), or a source given by name ("Reuters"), in any
    case. `since`: articles from that moment on (their published date, else the day they
    were indexed).
    """

    source: str | None = None
    since: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.source) or self.since is not None


@dataclass(frozen=True)
class Catalog:
    """Per article number (the order articles were written in): id, outlet (see
    `outlet_or_name`) and date."""

    ids: tuple[str, ...]
    outlets: tuple[str, ...]
    days: np.ndarray       # ordinal day of each article's date (published, else indexed)
    published: np.ndarray  # ordinal day of its published date, NaN when it has none

    @classmethod
    def of(cls, metadata: MetadataStore) -> Catalog:
        records = {r.id: r for r in metadata.articles()}
        ids = tuple(metadata.article_ids_in_order())
        outlets = tuple(outlet_or_name(records[i].source) for i in ids)
        days = np.array([_ordinal(article_date(records[i].published, records[i].indexed_at))
                         for i in ids], dtype=float)
        published = np.array([_ordinal(credible_published(records[i].published,
                                                          records[i].indexed_at))
                              for i in ids], dtype=float)
        return cls(ids, outlets, days, published)

    def allowed(self, scope: Scope) -> np.ndarray:
        """Numbers of the articles in `scope`; raises ArticleNotFound for an unknown source."""
        keep = np.ones(len(self.ids), dtype=bool)
        if scope.source:
            wanted = scope.source.strip()
            if not wanted:
                raise ArticleNotFound("the source is blank: give an article id or an outlet")
            by_id = np.array([i == wanted for i in self.ids], dtype=bool)
            host = outlet(wanted) or wanted.casefold().removeprefix("www.")
            by_outlet = np.array([o.casefold().removeprefix("www.") == host
                                  for o in self.outlets], dtype=bool)
            chosen = by_id if by_id.any() else by_outlet
            if not chosen.any():
                raise ArticleNotFound(f"no indexed article or outlet is {wanted!r}")
            keep &= chosen
        if scope.since is not None:
            since = scope.since if scope.since.tzinfo else scope.since.replace(tzinfo=UTC)
            with np.errstate(invalid="ignore"):
                keep &= self.days >= since.astimezone(UTC).date().toordinal()
            if not keep.any():
                where = " from that source" if scope.source else ""
                raise ArticleNotFound(f"no indexed article{where} is dated "
                                      f"{since.date().isoformat()} or later")
        return np.flatnonzero(keep)

    def freshness(self, articles: np.ndarray) -> np.ndarray:
        """For each of `articles` (numbers, candidates of one question): 1 for the most
        recently published among them, halving every RECENCY_HALF_LIFE_DAYS behind it; 0 for
        articles without a published date (the day one was indexed says nothing of its news).
        """
        days = self.published[articles]
        if not len(days) or np.isnan(days).all():
            return np.zeros(len(days))
        return np.nan_to_num(0.5 ** ((np.nanmax(days) - days) / RECENCY_HALF_LIFE_DAYS),
                             nan=0.0)


def asks_for_latest(question: str) -> bool:
    """Does the question ask for the newest news ("what's the latest on…", "today", "now")?"""
    return bool(_LATEST.search(question))


def outlet(source: str) -> str:
    """The outlet of a source URL: its host without "www." ("" when it has none)."""
    try:
        host = urlsplit(source.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def outlet_or_name(source: str) -> str:
    """The outlet of a source URL, or a source given by name ("source: Reuters") as it is
    written: a named source is still a source. "" for none, or a link without a host."""
    if host := outlet(source):
        return host
    name = source.strip()
    return "" if "://" in name or name.lower().startswith(("http:", "https:")) else name


def _ordinal(day: date | None) -> float:
    return float(day.toordinal()) if day else float("nan")
