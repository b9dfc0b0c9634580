"""Reading the dates articles carry: front matter and page metadata write them many ways."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from index.store.metadata import ArticleRecord

# How published dates are written in front matter and page metadata besides ISO 8601.
DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
                "%d/%m/%Y", "%Y/%m/%d", "%B %Y", "%b %Y", "%Y-%m", "%Y")


def published_date(text: str) -> date | None:
    """The date a free-text ``published`` value names (an ISO date or time, "2 November
    2023", "Nov 2, 2023", "2023", ...), or None when it names none."""
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", " ".join(text.split()).rstrip("."))
    if not cleaned:
        return None
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def credible_published(published: str, indexed_at: str) -> date | None:
    """The published date, unless it falls after the day the article was indexed (a day of
    slack for time zones): nothing is read before it is published, so such a date is a typo
    or a wrong clock, and would put the article above every real one as the newest."""
    day, indexed = published_date(published), published_date(indexed_at)
    if day is not None and indexed is not None and day > indexed + timedelta(days=1):
        return None
    return day


def article_date(published: str, indexed_at: str) -> date | None:
    """When an article is from: its (credible) published date, else the day it was indexed
    (articles that feeds and `/add` bring in are indexed the day they appear)."""
    return credible_published(published, indexed_at) or published_date(indexed_at)


def newest_first(records: Sequence[ArticleRecord]) -> list[ArticleRecord]:
    """Articles by published date, newest first; those without a readable (or credible: not
    after the day indexed) date last, the most recently indexed first."""
    dated = [(credible_published(r.published, r.indexed_at), r) for r in records]
    with_date = sorted(((d, r) for d, r in dated if d), key=lambda p: p[0], reverse=True)
    undated = sorted((r for d, r in dated if d is None), key=lambda r: r.indexed_at,
                     reverse=True)
    return [r for _, r in with_date] + undated
