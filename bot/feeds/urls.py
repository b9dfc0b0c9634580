"""Feed URLs as stored (one feed, one spelling) and finding a feed by a URL someone typed."""

from __future__ import annotations

from collections.abc import Iterable

import yarl

from bot.feeds.store import Feed
from index import BriefingError


def normalise_feed_url(url: str) -> str:
    """The URL as stored (scheme and host in lower case, a default port dropped: one feed, one
    spelling), or BriefingError when it is not an http(s) URL with a host."""
    from bot.fetch import FetchError, FetchPolicy, NotPublic, check_url  # aiohttp: lazily

    url = url.strip()
    try:
        return str(check_url(url, FetchPolicy(allow_loopback=True)))
    except NotPublic:  # the address is checked at each poll, with the settings of then
        return str(yarl.URL(url))
    except FetchError as err:
        raise BriefingError(str(err)) from None


def find_feed(feeds: Iterable[Feed], typed: str) -> Feed | None:
    """The feed that `typed` names: its URL as stored, or spelt as `normalise_feed_url`
    spells it (a feed stored before URLs were normalised is found either way)."""
    feeds = list(feeds)
    typed = typed.strip()
    exact = next((f for f in feeds if f.url == typed), None)
    if exact is not None:
        return exact
    try:
        wanted = normalise_feed_url(typed)
    except BriefingError:
        return None
    return next((f for f in feeds if _spelling(f.url) == wanted), None)


def _spelling(url: str) -> str:
    try:
        return str(yarl.URL(url))
    except ValueError:
        return url
