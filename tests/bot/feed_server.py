"""A local news site for the feed tests: RSS and Atom feeds and article pages on 127.0.0.1.

The server runs on its own event loop in a thread, so the `briefing` command (its own process
or its own `asyncio.run`) and the bot can both poll it. Routes can be changed while it runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape

from aiohttp import web

STORIES = {
    "tugboats": ("Rotterdam port trials hydrogen tugboats", [
        "The Port of Rotterdam began trials of two hydrogen-powered tugboats on Monday, the "
        "first vessels of their kind to work the busiest harbour in Europe, port officials "
        "said.",
        "The tugs, built by a shipyard in Gorinchem, carry compressed hydrogen in tanks behind "
        "the wheelhouse and can push a container ship for six hours before refuelling at a "
        "new station on the Maasvlakte.",
        "Harbour master Renske de Vries said the trial would run until March and that the "
        "port hoped to replace a third of its diesel tug fleet by 2030 if the boats proved "
        "reliable in winter storms.",
    ]),
    "tahoe": ("Lake Tahoe clarity reaches a twenty-year high", [
        "Scientists at the University of California, Davis reported that Lake Tahoe's water "
        "was clearer last year than at any time in two decades, with a white disc visible "
        "at a depth of 71 feet.",
        "The researchers credited tiny zooplankton called daphnia, which returned in large "
        "numbers after a die-off of invasive mysis shrimp and grazed on the fine particles "
        "that cloud the water.",
        "They warned that the gain may not last: wildfire smoke and warmer winters wash more "
        "sediment and algae into the lake, and the shrimp population has begun to recover.",
    ]),
    "estonia": ("Estonian parliament passes digital ID overhaul", [
        "Estonia's parliament approved a law on Wednesday that moves the country's national "
        "digital identity cards to a new chip and lets citizens sign documents with a phone "
        "app instead of a card reader.",
        "The overhaul follows a security flaw found in 2017 that forced the government to "
        "suspend nearly 800,000 certificates, a setback officials said had shaken trust in "
        "the e-government services Estonians use daily.",
        "The interior minister said the first new cards would be issued in September and "
        "that existing cards would remain valid until they expire.",
    ]),
    "copper": ("Chilean copper miners end three-week strike", [
        "Workers at the Escondida copper mine in northern Chile voted on Friday to end a "
        "three-week strike after the operator agreed to a bonus of 18 million pesos per "
        "worker and a four percent wage increase.",
        "The stoppage at the world's largest copper mine had cut output by about a fifth and "
        "pushed copper prices on the London Metal Exchange to their highest level in a year.",
        "Union leaders said production would resume over the weekend, with full output "
        "expected within ten days as crews restart the concentrator plants.",
    ]),
}

BOMB = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
        + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 20}">'
                  for p, n in zip("abcdefgh", "bcdefghi", strict=True))
        + ']><rss version="2.0"><channel><title>Bomb</title><item><title>&i;</title>'
        '<link>http://example.org/x</link></item></channel></rss>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<rss version="2.0"><channel><title>&x;</title><item><title>t &x;</title>'
            '<description>&x;</description></item></channel></rss>')


@dataclass
class Item:
    """A feed item: its story (for the page) and how the feed lists it."""

    key: str
    path: str
    guid: str = ""
    published: datetime | None = None
    summary: str = ""
    title: str | None = None
    relative: bool = False  # the feed gives the link as a path, not a URL
    has_link: bool = True


def page_html(key: str, byline: str = "By staff reporters") -> str:
    """An article page with navigation and footer around the story."""
    title, paragraphs = STORIES[key]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<html><head><title>{escape(title)}</title></head><body><nav>Home | World | "
            f"Business | Sport</nav><article><h1>{escape(title)}</h1><p>{byline}</p>{body}"
            "</article><footer>Copyright Example News. All rights reserved.</footer>"
            "</body></html>")


def rss(items: list[Item], base: str) -> str:
    """An RSS 2.0 document of `items`."""
    entries = []
    for item in items:
        title = item.title or STORIES[item.key][0]
        parts = [f"<title>{escape(title)}</title>"]
        if item.has_link:
            link = item.path if item.relative else base + item.path
            parts.append(f"<link>{escape(link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published)}</pubDate>")
        parts.append(f"<description>{escape(item.summary or STORIES[item.key][1][0])}"
                     "</description>")
        entries.append("<item>" + "".join(parts) + "</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Example '
            f'News</title><link>{base}/</link><description>News</description>'
            + "".join(entries) + "</channel></rss>")


def atom(items: list[Item], base: str) -> str:
    """An Atom document of `items`."""
    entries = []
    for item in items:
        title = item.title or STORIES[item.key][0]
        when = (item.published or datetime(2000, 1, 1)).isoformat()
        link = escape(base + item.path)
        entries.append(f"<entry><title>{escape(title)}</title><link href=\"{link}\"/><id>"
                       f"{escape(item.guid or base + item.path)}</id><updated>{when}"
                       f"</updated><summary>{escape(item.summary or STORIES[item.key][1][0])}"
                       "</summary></entry>")
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Wire</title><id>{base}/atom</id><updated>2025-01-01T00:00:00Z</updated>"
            + "".join(entries) + "</feed>")


Handler = Callable[[web.Request], web.StreamResponse]


class FeedServer:
    """`with FeedServer() as site:` serves `site.routes` (path -> handler) on 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.base = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> FeedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path_qs, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        result = handler(request)
        return await result if asyncio.iscoroutine(result) else result

    def text(self, path: str, body: Callable[[], str] | str, content_type: str) -> None:
        """Serve `body` (or what it returns at each request) at `path`."""
        self.routes[path] = lambda _r: web.Response(
            text=body() if callable(body) else body, content_type=content_type)

    def pages(self, *keys: str) -> None:
        """Serve the article page of each story at /news/<key>.html."""
        for key in keys:
            self.text(f"/news/{key}.html", page_html(key), "text/html")

    def hits(self, path: str) -> int:
        """How many requests `path` (with any query) received."""
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path)
