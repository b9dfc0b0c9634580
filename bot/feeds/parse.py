"""Reading a downloaded RSS or Atom document into items, refusing hostile XML first.

feedparser does the parsing (RSS 0.9x/1.0/2.0, Atom). Before it sees the bytes, defusedxml
refuses any document that declares entities (expansion bombs, external entities) or DTD
references to other files; a malformed but harmless document is left to feedparser's lenient
parser. Items come out with absolute links, a date no later than now, and text without markup.
"""

from __future__ import annotations

import calendar
import html
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.sax import parseString

from bot.errors import UserError

_TAG = re.compile(r"<[^>]*>")


class FeedError(UserError):
    """A feed could not be read; the message is the one line shown for that feed."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as the feed gives it."""

    guid: str
    link: str
    title: str
    published: datetime | None  # no later than when the feed was read
    text: str  # the item's own content, or else its summary, as plain paragraphs
    stated: datetime | None = None  # the date as the feed gives it, even in the future


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's title and items, in document order."""

    title: str
    items: tuple[FeedItem, ...]


def check_xml(raw: bytes) -> None:
    """Raise FeedError when the document declares entities or reaches outside itself."""
    try:
        parseString(raw, xml.sax.ContentHandler(), forbid_dtd=False, forbid_entities=True,
                    forbid_external=True)
    except DefusedXmlException as err:
        raise FeedError(f"refused: the feed declares XML entities ({type(err).__name__})"
                        ) from None
    except (xml.sax.SAXException, ValueError):
        return  # malformed: feedparser's lenient parser may still read it


def parse_feed(raw: bytes, url: str, now: datetime | None = None,
               content_type: str = "") -> ParsedFeed:
    """The items of the feed document `raw` fetched from `url`, served as `content_type`
    (whose charset feedparser weighs against the document's own, RFC 7303); raises
    FeedError."""
    check_xml(raw)
    # No content-location: feedparser would resolve a guid against it too, making the id
    # "item-42" a page beside the feed. Relative links are resolved in `_item`.
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(raw, response_headers=headers, sanitize_html=True)
    now = now or datetime.now(UTC)
    items = tuple(_item(entry, url, now) for entry in parsed.entries)
    # Malformed XML that the lenient parser still read an item from is taken; one whose
    # "items" hold nothing (a truncated or garbled document) is named as malformed.
    if not any(item.guid or item.link or item.text for item in items):
        if not parsed.entries and _looks_like_html(raw):
            raise FeedError("not an RSS or Atom feed (an HTML page)")
        problem = parsed.get("bozo_exception")
        if isinstance(problem, xml.sax.SAXException):  # not a missing Content-Type: broken XML
            raise FeedError(f"malformed feed ({problem.getMessage()})")
        if not parsed.entries and not parsed.get("version"):
            raise FeedError("not an RSS or Atom feed")
    return ParsedFeed(plain(parsed.feed.get("title", "")), items)


def _item(entry: feedparser.FeedParserDict, feed_url: str, now: datetime) -> FeedItem:
    link = (entry.get("link") or "").strip()
    if entry.get("guidislink") and not link.lower().startswith(("http://", "https://")):
        link = ""  # a guid such as "item-42" is an id, not a page beside the feed's URL
    if link:
        link = urljoin(feed_url, link)
        if not link.startswith(("http://", "https://")):
            link = ""
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    stated = None
    if when is not None:
        try:
            stated = datetime.fromtimestamp(calendar.timegm(when), UTC)
        except (OverflowError, ValueError, OSError):
            stated = None
    contents = [c.get("value", "") for c in entry.get("content", []) or []]
    text = max((plain(c) for c in contents), key=len, default="")
    summary = plain(entry.get("summary", ""))
    return FeedItem(guid=(entry.get("id") or "").strip(), link=link,
                    title=" ".join(plain(entry.get("title", "")).split()),
                    published=min(stated, now) if stated else None,
                    text=text if len(text) >= len(summary) else summary, stated=stated)


def plain(markup: str) -> str:
    """HTML or text as plain paragraphs: tags removed, entities decoded, blocks kept apart."""
    text = re.sub(r"(?i)<\s*(?:/p|br\s*/?|/div|/li|/h[1-6])\s*>", "\n\n", markup or "")
    text = html.unescape(_TAG.sub(" ", text))
    blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(b for b in blocks if b)


def _looks_like_html(raw: bytes) -> bool:
    head = raw[:2000].lower()
    return b"<html" in head or b"<!doctype html" in head
