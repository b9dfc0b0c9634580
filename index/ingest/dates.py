"""Reading the dates articles carry: front matter and page metadata write them many ways."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

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


def article_date(published: str, indexed_at: str) -> date | None:
    """When an article is from: its published date, else the day it was indexed (articles
    that feeds and `/add` bring in are indexed the day they appear)."""
    return published_date(published) or published_date(indexed_at)
