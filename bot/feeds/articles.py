"""Turning a feed item into a corpus article: its page's main text, else the feed's own text.

The page is fetched through the guarded fetcher of `/add` (public addresses only, size, time
and type capped) and its main text extracted with trafilatura. The article is written as
Markdown with title, source URL and publication date, at a path derived from the item's
identity, so a re-published item overwrites its earlier version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp.abc import AbstractResolver

from bot.feeds.parse import FeedItem
from bot.fetch import MIN_PAGE_CHARS, FetchError, FetchPolicy, fetch
from index.errors import ArticleError
from index.ingest.articles import parse_article
from index.ingest.corpus import slug, to_markdown

log = logging.getLogger(__name__)

FEED_FOLDER = "feeds"  # under the corpus folder


@dataclass(frozen=True)
class ItemText:
    """What an item will be saved as."""

    title: str
    source: str
    published: str  # ISO date-time, or "" when neither feed nor page gives one
    body: str
    from_page: bool


@dataclass(frozen=True)
class PageFetch:
    """What fetching an item's page gave: its bytes and suffix, or None; `later` when it
    failed in a way another pass may not (timeout, no connection, HTTP 429 or 5xx)."""

    page: tuple[bytes, str] | None
    later: bool = False


async def fetch_page(url: str, policy: FetchPolicy,
                     resolver: AbstractResolver | None = None) -> PageFetch:
    """The page of an item (when it cannot be fetched, the reason is logged)."""
    if not url:
        return PageFetch(None)
    try:
        page = await fetch(url, policy, resolver)
    except FetchError as err:
        log.info("item page %s not fetched: %s", url, err)
        return PageFetch(None, later=err.transient)
    except Exception:  # a bug in one page's download must not cost the feed its other items
        log.warning("item page %s not fetched: unexpected error", url, exc_info=True)
        return PageFetch(None)
    return PageFetch((page.body, page.suffix))


def item_text(item: FeedItem, source: str, page: tuple[bytes, str] | None,
              now: datetime) -> ItemText | None:
    """The article text of an item (the page's, unless the feed's own text is longer: then
    the page is a cookie wall, a login or a teaser of the feed's full text), or None when
    neither has enough text. Runs trafilatura: call it off the event loop."""
    title, published, body, from_page = item.title, item.published, "", False
    if page is not None:
        raw, suffix = page
        try:
            article = parse_article(raw, "incoming", "incoming" + suffix, suffix)
        except ArticleError as err:
            log.info("item page %s has no article text: %s", source, err)
        else:
            if len(article.body) >= max(MIN_PAGE_CHARS, len(item.text)):
                body, from_page = article.body, True
                title = title or article.title
                published = published or _page_date(article.published, now)
    if not body and len(item.text) >= MIN_PAGE_CHARS:
        body = item.text
    if not body:
        return None
    stamp = published.isoformat(timespec="seconds") if published else ""
    return ItemText(title or "Untitled", source, stamp, body, from_page)


def article_path(corpus_dir: Path, title: str, key: str) -> tuple[str, Path]:
    """The article id and file for an item identified by `key` (its first guid or URL)."""
    stem = f"{slug(title)}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
    return f"{FEED_FOLDER}/{stem}", Path(corpus_dir) / FEED_FOLDER / f"{stem}.md"


def write_article(path: Path, text: ItemText) -> None:
    """Write (or overwrite) the article file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(3)}.tmp"
    tmp.write_text(to_markdown(text.title, text.source, text.published, text.body),
                   encoding="utf-8")
    os.replace(tmp, path)


def _page_date(text: str, now: datetime) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return min(when, now)
