"""Fetching an article URL for `/add` without letting a user reach the bot's private network.

Only http(s); every address a host resolves to must be public (loopback may be allowed for
tests); redirects are followed by hand and re-checked; size, time and content type are capped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import urldefrag

import aiohttp
import courlan
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import UserError

CONTENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt",
                 "text/markdown": ".md"}
REDIRECTS = {301, 302, 303, 307, 308}
MIN_PAGE_CHARS = 200  # less text than this is a teaser, a cookie wall or a login, not an article


class FetchError(UserError):
    """The URL was refused or could not be fetched; the message is for the user. `transient`
    when another try may succeed (a timeout, no connection, HTTP 408, 425, 429 or 5xx)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def transient_status(status: int) -> bool:
    """Whether an HTTP status says "not now" rather than "not this page"."""
    return status in (408, 425, 429) or status >= 500


def _status_advice(status: int) -> str:
    """What to do about an HTTP error status, after its reason ("" when nothing helps)."""
    if transient_status(status):
        return ": try again later"
    return ": check the link" if status in (404, 410) else ""


class NotPublic(FetchError):
    """The URL's address is private, loopback, link-local or otherwise not the internet's."""


@dataclass(frozen=True)
class FetchPolicy:
    """Limits on what `/add url:` may fetch."""

    max_bytes: int = 5_000_000
    timeout_s: float = 15.0
    max_redirects: int = 5
    allow_loopback: bool = False


@dataclass(frozen=True)
class Fetched:
    """A fetched page: its bytes, the URL it finally came from and the suffix its type implies."""

    body: bytes
    url: str
    suffix: str


def clean_url(url: str) -> str:
    """`url` without tracking parameters (utm_*, fbclid) or fragment, normalised (courlan);
    "" for no URL. One article is one URL, however it was shared."""
    if not url:
        return ""
    with contextlib.suppress(ValueError, AttributeError):
        url = courlan.normalize_url(url)
    return urldefrag(url)[0]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a 6to4 or Teredo address leads to (NAT64 and IPv4-compatible
    addresses lie in ::/8, which `is_reserved` refuses already)."""
    return [v4 for v4 in (ip.sixtofour, *(ip.teredo or ())) if v4 is not None]


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    if ip.is_loopback:
        return allow_loopback
    return not (ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or getattr(ip, "is_site_local", False) or not ip.is_global)


def check_address(address: str, allow_loopback: bool = False) -> None:
    """Refuse private, loopback, link-local, site-local, multicast, reserved and unspecified
    addresses, and IPv6 addresses that lead to such an IPv4 address (mapped, 6to4, Teredo)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 address, nothing else
            ip = ip.ipv4_mapped
        elif not all(_is_public(v4, allow_loopback=False) for v4 in _embedded_ipv4(ip)):
            raise NotPublic(f"refused: {address} is not a public address")
    if not _is_public(ip, allow_loopback):
        raise NotPublic(f"refused: {address} is not a public address")


# A host name as yarl gives it (IDNA-encoded): labels of letters, digits, "-" and "_".
_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
                        r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?")


def check_url(url: str, policy: FetchPolicy) -> yarl.URL:
    """The parsed URL if its scheme and (literal) host are allowed."""
    try:
        parsed = yarl.URL(url)
    except (ValueError, TypeError):
        raise FetchError("refused: that is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError("refused: only http:// and https:// links can be added")
    try:
        host = parsed.host  # decodes IDNA: "xn--" alone raises UnicodeError (a ValueError)
    except ValueError:
        raise FetchError("refused: that is not a valid host name") from None
    if not host:
        raise FetchError("refused: the link has no host name")
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        if not _HOST_NAME.fullmatch(parsed.raw_host or ""):  # "exa mple.com": no such host
            raise FetchError("refused: that is not a valid host name") from None
        return parsed  # a name: checked when it is resolved
    check_address(host.strip("[]"), policy.allow_loopback)
    return parsed


class GuardedResolver(AbstractResolver):
    """Resolves with `inner`, then refuses the host if any address it maps to is not public."""

    def __init__(self, inner: AbstractResolver, allow_loopback: bool) -> None:
        self._inner = inner
        self._allow_loopback = allow_loopback

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                check_address(result["host"], self._allow_loopback)
            except NotPublic:  # the address a name hides is the bot's to know, not the user's
                raise NotPublic(f"refused: {host} is not on the public internet") from None
        return results

    async def close(self) -> None:
        await self._inner.close()


# getaddrinfo's "no such name" answers (the name does not exist, or has no address)
_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def connection_problem(err: aiohttp.ClientError) -> str:
    """What went wrong with a download, in words: "connection refused" rather than the name
    of aiohttp's exception (which is kept for errors without an operating-system reason)."""
    number = getattr(getattr(err, "os_error", None), "errno", None)
    if isinstance(err, aiohttp.ClientConnectorDNSError):  # its number is a resolver's, not OS's
        return ("the host name was not found" if number in _NOT_FOUND
                else "the host name could not be looked up")
    if isinstance(err, aiohttp.ClientConnectorError) and number:
        reason = os.strerror(number)
        return reason[:1].lower() + reason[1:]
    return type(err).__name__


async def fetch(url: str, policy: FetchPolicy,
                resolver: AbstractResolver | None = None) -> Fetched:
    """Download an article page within `policy`; raises FetchError with a user-facing reason."""
    target = check_url(url, policy)
    guarded = GuardedResolver(resolver or aiohttp.ThreadedResolver(), policy.allow_loopback)
    connector = aiohttp.TCPConnector(resolver=guarded, use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            async with asyncio.timeout(policy.timeout_s):
                return await _follow(session, target, policy)
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(f"refused: the page took longer than {policy.timeout_s:g} s",
                         transient=True) from None
    except aiohttp.ClientError as err:
        raise FetchError(f"could not fetch the page ({connection_problem(err)})",
                         transient=True) from None


def redirect_target(current: yarl.URL, location: str, policy: FetchPolicy) -> yarl.URL:
    """Where a redirect's Location leads from `current`, checked as the first URL was; a
    missing or malformed Location (a bad port, an unclosed "[") is a FetchError too."""
    if not location.strip():
        raise FetchError("refused: a redirect without a Location")
    try:
        joined = str(current.join(yarl.URL(location.strip())))
    except (ValueError, TypeError):
        raise FetchError("refused: a redirect to a malformed URL") from None
    return check_url(joined, policy)


def as_utf8(body: bytes, charset: str | None) -> bytes:
    """`body` in UTF-8: as it is when it is UTF-8 already, else decoded from the charset its
    Content-Type names (ISO-8859-1, windows-1252, UTF-16); unchanged when that fails too
    (an HTML page's own `<meta charset>` is read later)."""
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    try:
        return body.decode(charset).encode("utf-8") if charset else body
    except (LookupError, UnicodeDecodeError):
        return body


async def _follow(session: aiohttp.ClientSession, target: yarl.URL,
                  policy: FetchPolicy) -> Fetched:
    for _ in range(policy.max_redirects + 1):
        async with session.get(target, allow_redirects=False,
                               headers={"Accept": "text/html, text/plain"}) as response:
            if response.status in REDIRECTS:
                target = redirect_target(target, response.headers.get("Location", ""), policy)
                continue
            if response.status != 200:
                raise FetchError(f"could not fetch the page (HTTP {response.status})"
                                 + _status_advice(response.status),
                                 transient=transient_status(response.status))
            kind = response.content_type.lower()
            if kind not in CONTENT_TYPES:
                shown = kind if len(kind) <= 100 else kind[:99] + "…"  # the site's words
                raise FetchError(f"refused: {shown or 'unknown'} is not an article page "
                                 "(HTML, plain text or Markdown)")
            if (response.content_length or 0) > policy.max_bytes:
                raise FetchError(f"refused: the page is larger than {policy.max_bytes:,} bytes")
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body.extend(chunk)
                if len(body) > policy.max_bytes:
                    raise FetchError(f"refused: the page is larger than {policy.max_bytes:,} "
                                     "bytes")
            if not body.strip():  # else the text parser's "empty file", for a page
                raise FetchError("the page came back empty (it may need a login or JavaScript "
                                 "to show its text)")
            return Fetched(as_utf8(bytes(body), response.charset), str(target),
                           CONTENT_TYPES[kind])
    raise FetchError(f"refused: more than {policy.max_redirects} redirects")
