"""`/add url:` fetching: private addresses, redirects, size, time and type are refused."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver

from bot.fetch import FetchError, FetchPolicy, check_address, check_url, fetch
from index.ingest.articles import parse_article
from tests.support import local_pages

ARTICLE = "<html><head><title>T</title></head><body><p>Hello world.</p></body></html>"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.8", "172.16.5.4", "192.168.1.1",
                                     "169.254.169.254", "::1", "fe80::1", "224.0.0.1",
                                     "0.0.0.0", "::ffff:10.0.0.1", "100.64.0.1", "fc00::1",
                                     "fec0::1", "2002:c0a8:101::1", "::10.0.0.1",
                                     "2001:0:4136:e378:8000:63bf:3f57:fefe"])
def test_non_public_addresses_are_refused(address):
    """fec0:: is site-local; 2002:c0a8:101:: is 6to4 for 192.168.1.1, the Teredo address's
    client is 192.168.1.1 too: a relay would carry the request into a private network."""
    with pytest.raises(FetchError, match="not a public address"):
        check_address(address)


def test_public_addresses_pass_and_loopback_only_when_allowed():
    check_address("93.184.216.34")
    check_address("2606:4700::6810:85e5")
    check_address("2002:808:808::1")  # 6to4 for 8.8.8.8
    check_address("127.0.0.1", allow_loopback=True)
    with pytest.raises(FetchError):
        check_address("10.0.0.1", allow_loopback=True)


@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "only http"), ("ftp://example.org/a", "only http"),
    ("gopher://x", "only http"), ("http://[::1]/", "not a public"),
    ("http://127.0.0.1:8080/", "not a public"), ("https:///nohost", "no host"),
    ("https://exa mple.com/x", "not a valid host name"),
    ("https://a..b/x", "not a valid host name"), ("https://-dash.org/", "not a valid host name"),
    ("https://xn--/", "not a valid host name"), ("https://xn--a.org/", "not a valid host name"),
])
def test_bad_urls_are_refused_before_any_connection(url, reason):
    with pytest.raises(FetchError, match=reason):
        check_url(url, FetchPolicy())


@pytest.mark.parametrize("url", ["https://bücher.de/a", "https://news_site.example.org/a",
                                 "https://example.org./a", "http://localhost:8080/a"])
def test_host_names_of_every_usual_form_pass(url):
    assert check_url(url, FetchPolicy()).scheme in ("http", "https")


class MapResolver(AbstractResolver):
    """Resolves every name to one address, as a hostile DNS record would."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [{"hostname": host, "host": self.address, "port": port, "family": family,
                 "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


def test_public_looking_name_resolving_to_a_private_address_is_refused_without_naming_it():
    """The refusal named the private address the name resolved to: a user could map the
    bot's internal network one /add at a time."""
    with pytest.raises(FetchError) as refused:
        asyncio.run(fetch("http://news.example.com/a", FetchPolicy(), MapResolver("10.9.8.7")))
    assert str(refused.value) == "refused: news.example.com is not on the public internet"


def fetch_from_local(routes, path: str, **policy):
    async def main():
        async with local_pages(routes) as base:
            return await fetch(base + path, FetchPolicy(allow_loopback=True, **policy),
                               MapResolver("127.0.0.1"))

    return asyncio.run(main())


async def article(request):
    return web.Response(text=ARTICLE, content_type="text/html")


async def to_private(request):
    raise web.HTTPFound("http://10.0.0.5/secret")


async def to_unclosed_bracket(request):
    return web.Response(status=302, headers={"Location": "http://[::1/secret"})


async def to_bad_idna(request):
    return web.Response(status=301, headers={"Location": "https://xn--/"})


async def to_bad_port(request):
    return web.Response(status=301, headers={"Location": "http://example.org:99999/"})


async def to_article(request):
    raise web.HTTPFound("/article")


async def huge(request):
    """A 50 MB page, streamed without a length: the cap must stop the download itself."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"x" * 1_000_000
    for _ in range(50):
        await response.write(chunk)
    return response


async def endless(request):
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(200):
        await response.write(b"<p>more</p>")
        await asyncio.sleep(0.05)
    return response


async def pdf(request):
    return web.Response(body=b"%PDF-1.4", content_type="application/pdf")


def test_local_page_is_fetched_and_redirects_are_followed():
    fetched = fetch_from_local({"/article": article, "/moved": to_article}, "/moved")
    assert fetched.suffix == ".html" and fetched.url.endswith("/article")
    assert b"Hello world." in fetched.body


TURKISH = ("<html><head><title>Ankara</title></head><body><article><p>Erdoğan’s party met "
           "in Ankara on Tuesday to discuss the budget, officials said, after weeks of "
           "talks.</p></article></body></html>")


@pytest.mark.parametrize(("charset", "declared_in"), [
    ("iso-8859-9", "header"), ("windows-1252", "header"), ("utf-16", "header"),
    ("iso-8859-9", "meta")])
def test_a_page_in_another_encoding_is_read_as_its_charset_says(charset, declared_in):
    """Pages served as ISO-8859-1 or windows-1252 were refused as "not valid UTF-8"."""
    text = TURKISH.replace("’", "'") if charset != "windows-1252" else TURKISH.replace("ğ", "g")
    if declared_in == "meta":
        text = text.replace("<head>", f'<head><meta charset="{charset}">')

    async def page(request):
        kind = "text/html" + (f"; charset={charset}" if declared_in == "header" else "")
        return web.Response(body=text.encode(charset), headers={"Content-Type": kind})

    fetched = fetch_from_local({"/page": page}, "/page")
    article = parse_article(fetched.body, "page", "page.html", fetched.suffix)
    expected = text.split("<p>")[1].split("</p>")[0]
    assert article.body[slice(*article.paragraphs[0])] == expected


@pytest.mark.parametrize(("path", "policy", "reason"), [
    ("/redirect", {}, "10.0.0.5 is not a public address"),
    ("/huge", {}, "larger than 5,000,000 bytes"),
    ("/endless", {"timeout_s": 1.0}, "longer than 1 s"),
    ("/pdf", {}, "application/pdf is not an article page"),
    ("/missing", {}, "HTTP 404"),
    ("/unclosed", {}, "^refused: a redirect to a malformed URL$"),
    ("/bad-port", {}, "^refused: a redirect to a malformed URL$"),
    ("/bad-idna", {}, "^refused: that is not a valid host name$"),
])
def test_hostile_responses_are_refused(path, policy, reason):
    """A malformed Location raised ValueError past the fetcher (/add failed with a traceback
    in the log, a feed's whole pass ended)."""
    routes = {"/redirect": to_private, "/huge": huge, "/endless": endless, "/pdf": pdf,
              "/unclosed": to_unclosed_bracket, "/bad-port": to_bad_port,
              "/bad-idna": to_bad_idna}
    with pytest.raises(FetchError, match=reason):
        fetch_from_local(routes, path, **policy)


class NoSuchName(AbstractResolver):
    """A resolver that finds no address for any name, as for a mistyped domain."""

    async def resolve(self, host, port=0, family=socket.AF_INET):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        pass


def test_a_host_name_that_does_not_exist_is_said_in_words():
    """It read "could not fetch the page (unknown error -2)": a resolver's number is not an
    operating-system error number."""
    with pytest.raises(FetchError, match=r"\(the host name was not found\)$"):
        asyncio.run(fetch("https://no-such-host.example/a", FetchPolicy(), NoSuchName()))
