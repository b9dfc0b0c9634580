"""Downloading a feed document within the same guard as `/add`, with conditional GET.

Every address must be public (loopback only when allowed, for tests), redirects are followed
by hand and re-checked, size and time are capped. A 304 means "unchanged since the ETag /
Last-Modified we sent"; a 429 or 503 carries the server's Retry-After for the backoff.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver

from bot.feeds.parse import FeedError
from bot.fetch import (
    REDIRECTS,
    FetchError,
    FetchPolicy,
    GuardedResolver,
    check_url,
    connection_problem,
    redirect_target,
)

ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;"
          "q=0.9, text/xml;q=0.9, */*;q=0.5")
USER_AGENT = "BriefingBot/0.1 (+feed reader)"


@dataclass(frozen=True)
class FeedResponse:
    """What a feed request returned: the body (None when unchanged) and the caching headers."""

    status: int
    body: bytes | None
    url: str
    etag: str
    last_modified: str
    retry_after_s: float | None = None
    content_type: str = ""  # the header as sent: its charset may be the only one the feed has


class Throttled(FeedError):
    """The server asked us to slow down (429/503); `retry_after_s` when it said how long."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


async def download(url: str, policy: FetchPolicy, etag: str = "", last_modified: str = "",
                   resolver: AbstractResolver | None = None) -> FeedResponse:
    """GET a feed within `policy`; raises FeedError (or Throttled) with a one-line reason."""
    try:
        target = check_url(url, policy)
    except FetchError as err:
        raise FeedError(str(err)) from None
    guarded = GuardedResolver(resolver or aiohttp.ThreadedResolver(), policy.allow_loopback)
    connector = aiohttp.TCPConnector(resolver=guarded, use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
    headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            async with asyncio.timeout(policy.timeout_s):
                return await _follow(session, target, policy, headers)
    except FeedError:
        raise
    except FetchError as err:
        raise FeedError(str(err)) from None
    except TimeoutError:
        raise FeedError(f"the feed took longer than {policy.timeout_s:g} s") from None
    except aiohttp.ClientError as err:
        raise FeedError(f"could not fetch the feed ({connection_problem(err)})") from None


async def _follow(session: aiohttp.ClientSession, target: yarl.URL, policy: FetchPolicy,
                  headers: dict[str, str]) -> FeedResponse:
    for _ in range(policy.max_redirects + 1):
        async with session.get(target, allow_redirects=False, headers=headers) as response:
            if response.status in REDIRECTS:
                target = redirect_target(target, response.headers.get("Location", ""), policy)
                continue
            etag = response.headers.get("ETag", "")
            modified = response.headers.get("Last-Modified", "")
            if response.status == 304:
                return FeedResponse(304, None, str(target), etag, modified)
            if response.status in (429, 503):
                wait = retry_after(response.headers.get("Retry-After", ""))
                raise Throttled(f"the server is throttling us (HTTP {response.status})", wait)
            if response.status != 200:
                raise FeedError(f"could not fetch the feed (HTTP {response.status})")
            too_big = f"refused: the feed is larger than {policy.max_bytes:,} bytes"
            if (response.content_length or 0) > policy.max_bytes:
                raise FeedError(too_big)
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body.extend(chunk)
                if len(body) > policy.max_bytes:
                    raise FeedError(too_big)
            return FeedResponse(200, bytes(body), str(target), etag, modified,
                                content_type=response.headers.get("Content-Type", ""))
    raise FeedError(f"refused: more than {policy.max_redirects} redirects")


def retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
