"""Checking, when a feed is added, that its URL serves a feed rather than a web page.

The URL is downloaded once and read with the poller's own parser. Only a document that is not
a feed is refused: a URL that cannot be read now is followed as before, and its first poll
says why (the bot may reach what the command line cannot, and may allow other addresses).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin

from aiohttp.abc import AbstractResolver

from bot.feeds.download import download
from bot.feeds.parse import FeedError, parse_feed
from bot.fetch import FetchPolicy

FEED_TYPES = {"application/rss+xml", "application/atom+xml"}
HEAD_CHARS = 500_000  # of a page searched for its feed link (a <link> sits in the <head>)


class NotAFeed(FeedError):
    """The URL serves something the poller cannot read as a feed; `advertised` is the feed a
    web page names in its `<link rel="alternate">`, when it names one."""

    def __init__(self, reason: str, advertised: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advertised = advertised

    def refusal(self, shown: Callable[[str], str] = str) -> str:
        """The one line that refuses the URL, naming the advertised feed (through `shown`,
        which makes a page's URL safe to show) when there is one."""
        named = f"; the page names its feed: {shown(self.advertised)}" if self.advertised else ""
        reason = self.reason if self.reason.startswith("refused") else f"refused: {self.reason}"
        return f"{reason}{named}"


async def check_feed(url: str, policy: FetchPolicy,
                     resolver: AbstractResolver | None = None) -> None:
    """Raise NotAFeed when `url` answers with a document that is not an RSS or Atom feed."""
    try:
        response = await download(url, policy, resolver=resolver)
    except FeedError:
        return  # not read now: the polls will say why
    body = response.body or b""
    try:
        await asyncio.to_thread(parse_feed, body, response.url, None, response.content_type)
    except FeedError as err:
        raise NotAFeed(str(err), advertised_feed(body, response.url)) from None


def advertised_feed(page: bytes, page_url: str) -> str | None:
    """The first RSS or Atom feed an HTML page links to as its alternate, as an absolute
    http(s) URL; None when it links to none."""
    finder = _AlternateLinks()
    with contextlib.suppress(AssertionError):  # html.parser's own check of some bad markup
        finder.feed(page[:HEAD_CHARS].decode("utf-8", errors="replace"))
    for href in finder.hrefs:
        absolute = urljoin(page_url, href.strip())
        if absolute.startswith(("http://", "https://")):
            return absolute
    return None


class _AlternateLinks(HTMLParser):
    """Collects the href of each `<link rel="alternate">` whose type is RSS or Atom."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name: (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        if ("alternate" in rels and values.get("type", "").strip().lower() in FEED_TYPES
                and values.get("href", "").strip()):
            self.hrefs.append(values["href"])
