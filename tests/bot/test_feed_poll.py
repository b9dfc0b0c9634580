"""Polling feeds served on 127.0.0.1: what a pass adds, recognises, refuses and remembers."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from aiohttp.abc import AbstractResolver

from bot.feeds.parse import parse_feed
from bot.feeds.poll import PAGE_TRIES, Poller, PollOptions, PollReport, next_poll_delay
from bot.feeds.store import Feed, FeedStore
from bot.fetch import FetchPolicy
from tests.bot.feed_server import BOMB, EXTERNAL, STORIES, FeedServer, Item, atom, page_html, rss
from tests.postgres import fresh_database

NOW = datetime.now(UTC)
RECENT = NOW - timedelta(hours=3)

class Resolver(AbstractResolver):
    """Every name is 127.0.0.1, except intranet.example: the discard-only address 100::1, so
    nothing could answer there even if the guard let a request through."""

    async def resolve(self, host, port=0, family=socket.AF_INET):
        address = "100::1" if host == "intranet.example" else "127.0.0.1"
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": family,
                 "proto": 0, "flags": 0}]

    async def close(self) -> None:
        pass


def options(**overrides) -> PollOptions:
    policy = FetchPolicy(allow_loopback=True, timeout_s=10)
    values = {"feed_policy": policy, "page_policy": policy, "max_items": 50,
              "max_age_days": 14.0}
    return PollOptions(**{**values, **overrides})


def follow(store: FeedStore, url: str, **fields) -> None:
    values = {"guild_id": None, "channel_id": None, "include": "", "exclude": "",
              "post": False, "paused": False, "interval_s": 600.0}
    store.add(Feed(url, **{**values, **fields}))


def poll(store: FeedStore, corpus: Path, *, due_only: bool = False, now: float | None = None,
         **opts) -> PollReport:
    poller = Poller(store, corpus, options(**opts), Resolver())
    return asyncio.run(poller.poll(due_only=due_only, now=now))


def saved(corpus: Path) -> dict[str, dict]:
    """The feed articles in the corpus: file stem -> front matter plus body."""
    out = {}
    for path in sorted((corpus / "feeds").glob("*.md")) if (corpus / "feeds").is_dir() else []:
        _, front, body = path.read_text("utf-8").split("---\n", 2)
        out[path.stem] = {**yaml.safe_load(front), "body": body}
    return out


@pytest.fixture
def site():
    with FeedServer() as server:
        server.pages("tugboats", "tahoe", "estonia", "copper")
        yield server


@pytest.fixture
def store(tmp_path, state_url):
    feeds = FeedStore(tmp_path / "feeds.sqlite", database_url=state_url)
    yield feeds
    feeds.close()


def test_each_story_once_bomb_is_its_feeds_error_second_pass_adds_nothing(site, store,
                                                                         tmp_path):
    corpus = tmp_path / "corpus"
    rss_items = [Item("tugboats", "/news/tugboats.html", guid="rss-1", published=RECENT),
                 Item("tahoe", "/news/tahoe.html", guid="rss-2", published=RECENT)]
    site.text("/rss.xml", lambda: rss(rss_items, site.base), "application/rss+xml")
    atom_items = [Item("tugboats", "/news/tugboats.html?utm_source=wire&utm_medium=atom#top",
                       guid="urn:wire:77", published=RECENT),
                  Item("estonia", "/news/estonia.html", published=RECENT)]
    site.text("/atom.xml", atom(atom_items, site.base), "application/atom+xml")
    site.text("/bomb.xml", BOMB, "application/rss+xml")
    for path in ("/rss.xml", "/atom.xml", "/bomb.xml"):
        follow(store, site.base + path)

    first = poll(store, corpus)
    assert first.as_json() == {"feeds": 3, "new": 3, "updated": 0, "duplicates": 1, "later": 0,
                               "too_short": 0, "filtered": 0, "errors": [
        {"feed": site.base + "/bomb.xml",
         "error": "refused: the feed declares XML entities (EntitiesForbidden)"}]}
    articles = saved(corpus)
    assert sorted(a["title"] for a in articles.values()) == [
        "Estonian parliament passes digital ID overhaul",
        "Lake Tahoe clarity reaches a twenty-year high",
        "Rotterdam port trials hydrogen tugboats"]
    tug = next(a for a in articles.values() if a["title"].startswith("Rotterdam"))
    assert tug["source"] == site.base + "/news/tugboats.html"
    assert "Home | World" not in tug["body"] and "Gorinchem" in tug["body"]
    assert datetime.fromisoformat(tug["published"]) == RECENT.replace(microsecond=0)

    second = poll(store, corpus)
    assert (len(second.new), second.duplicates, second.updated) == (0, 0, 0)
    assert len(second.errors) == 1

    rss_items.append(Item("copper", "/news/copper.html", guid="rss-3", published=NOW))
    third = poll(store, corpus)
    assert [a.title for a in third.new] == ["Chilean copper miners end three-week strike"]
    assert len(saved(corpus)) == 4


def serve_syndicated_copy(site: FeedServer) -> None:
    """/b.xml: the tahoe story from a wire agency, under another URL and title."""
    site.text("/partner/tahoe-clarity", page_html("tahoe", byline="By Wire Agency, Reno"),
              "text/html")
    site.text("/b.xml", rss([Item("tahoe", "/partner/tahoe-clarity", guid="b1",
                                  title="Tahoe water clearest in 20 years")], site.base),
              "application/rss+xml")


def test_syndicated_copy_under_another_url_in_another_feed_is_a_duplicate(site, store,
                                                                         tmp_path):
    corpus = tmp_path / "corpus"
    site.text("/a.xml", rss([Item("tahoe", "/news/tahoe.html", guid="a1")], site.base),
              "application/rss+xml")
    serve_syndicated_copy(site)
    follow(store, site.base + "/a.xml")
    assert len(poll(store, corpus).new) == 1
    follow(store, site.base + "/b.xml")  # the next pass compares with what the store holds
    report = poll(store, corpus)
    assert (len(report.new), report.duplicates) == (0, 1)
    assert len(saved(corpus)) == 1


def test_republished_item_replaces_its_earlier_version(site, store, tmp_path):
    corpus = tmp_path / "corpus"
    items = [Item("estonia", "/news/estonia.html", guid="e1", published=RECENT)]
    site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    assert len(poll(store, corpus).new) == 1
    [before] = saved(corpus).values()
    items[0] = Item("estonia", "/news/estonia.html", guid="e1", published=NOW,
                    title="Estonia passes digital ID overhaul; cards from September")
    site.text("/news/estonia.html", page_html("estonia").replace(
        "in September", "in September, with phone signing from October"), "text/html")
    report = poll(store, corpus)
    assert (len(report.new), report.updated, report.duplicates) == (0, 1, 0)
    [after] = saved(corpus).values()
    assert after["title"] == "Estonia passes digital ID overhaul; cards from September"
    assert "phone signing from October" in after["body"]
    assert "phone signing" not in before["body"]


def test_a_removed_article_stays_removed_and_a_copy_of_its_story_is_new(site, store,
                                                                        tmp_path):
    """What `briefing remove` and `/remove` do for a feed article (delete its file, then
    `mark_removed`): re-published, it is not written back, in its feed or in another that
    carries the same link; a syndicated copy of its story is a new article, not a duplicate
    of the one that is gone."""
    corpus = tmp_path / "corpus"
    items = [Item("tahoe", "/news/tahoe.html", guid="a1", published=RECENT)]
    site.text("/a.xml", lambda: rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/a.xml")
    [taken] = poll(store, corpus).new
    (corpus / f"{taken.article}.md").unlink()
    assert store.mark_removed([taken.article, "feeds/never-taken"]) == 1
    assert store.signatures() == []

    items[0] = Item("tahoe", "/news/tahoe.html", guid="a1", published=NOW,
                    title="Lake Tahoe clarity reaches a twenty-year high, scientists say")
    again = poll(store, corpus)
    assert (len(again.new), again.updated, again.duplicates) == (0, 0, 0)
    assert again.errors == [] and saved(corpus) == {}
    assert not poll(store, corpus).changed  # the new fingerprint is remembered

    site.text("/c.xml", rss([Item("tahoe", "/news/tahoe.html", guid="c1")], site.base),
              "application/rss+xml")  # the same link in another feed
    follow(store, site.base + "/c.xml")
    same = poll(store, corpus)
    assert (len(same.new), same.duplicates) == (0, 0) and saved(corpus) == {}

    serve_syndicated_copy(site)
    follow(store, site.base + "/b.xml")
    copy = poll(store, corpus)
    assert [a.title for a in copy.new] == ["Tahoe water clearest in 20 years"]
    assert copy.duplicates == 0 and copy.new[0].article != taken.article
    assert [a["title"] for a in saved(corpus).values()] == ["Tahoe water clearest in 20 years"]


def hostile_feeds(site: FeedServer) -> dict[str, tuple[object, str]]:
    """path -> (handler, expected error)."""

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- " + b"x" * (1 << 20) + b" -->"
        try:
            for _ in range(50):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://intranet.example/feed"})

    def malformed(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://[::1/feed"})

    def text(body: str, kind: str = "application/rss+xml"):
        return lambda _r: web.Response(text=body, content_type=kind)

    return {
        "/bomb.xml": (text(BOMB), "declares XML entities"),
        "/external.xml": (text(EXTERNAL), "declares XML entities"),
        "/malformed.xml": (text("<rss version='2.0'><channel><<title>>broken & </ch"),
                           "malformed feed (not well-formed"),
        "/truncated.xml": (text('<?xml version="1.0"?><rss><channel><item><title>x'),
                           "malformed feed (no element found)"),
        "/page.html": (text(page_html("copper"), "text/html"),
                       "not an RSS or Atom feed (an HTML page)"),
        "/huge.xml": (huge, "refused: the feed is larger than 5,000,000 bytes"),
        "/redirect.xml": (redirect, "refused: intranet.example is not on the public internet"),
        "/malformed-redirect.xml": (malformed, "refused: a redirect to a malformed URL"),
    }


@pytest.mark.parametrize("path", ["/bomb.xml", "/external.xml", "/malformed.xml",
                                  "/truncated.xml", "/page.html", "/huge.xml", "/redirect.xml",
                                  "/malformed-redirect.xml"])
def test_hostile_feed_gets_one_error_line_and_harms_no_other_feed(site, store, tmp_path, path):
    corpus = tmp_path / "corpus"
    handler, expected = hostile_feeds(site)[path]
    site.routes[path] = handler
    site.text("/good.xml", rss([Item("copper", "/news/copper.html", guid="g1")], site.base),
              "application/rss+xml")
    follow(store, site.base + path)
    follow(store, site.base + "/good.xml")
    started = time.monotonic()
    report = poll(store, corpus, feed_policy=FetchPolicy(allow_loopback=True, timeout_s=10,
                                                         max_bytes=5_000_000))
    assert time.monotonic() - started < 10
    [(feed, error)] = report.errors
    assert feed == site.base + path and expected in error
    assert [a.title for a in report.new] == ["Chilean copper miners end three-week strike"]
    assert "passwd" not in str(saved(corpus)) and "root:" not in str(saved(corpus))
    assert store.get(site.base + path).failures == 1


def test_items_without_dates_guids_links_future_dates_and_relative_links(site, store,
                                                                        tmp_path):
    corpus = tmp_path / "corpus"
    long_summary = " ".join(["Officials in Reykjavik said the new geothermal plant at "
                             "Hellisheidi would supply heat to twelve thousand homes."] * 3)
    site.routes["/page-redirect"] = lambda _r: web.Response(
        status=302, headers={"Location": "http://intranet.example/secret"})
    site.routes["/page-malformed"] = lambda _r: web.Response(  # ended the feed's whole pass
        status=302, headers={"Location": "http://[::1/secret"})
    items = [
        Item("tugboats", "/news/tugboats.html"),  # no guid, no date
        Item("tahoe", "/news/tahoe.html", guid="t", published=NOW + timedelta(days=400)),
        Item("estonia", "/news/estonia.html", guid="rel", relative=True),
        Item("copper", "/page-redirect", guid="red",
             summary=" ".join(STORIES["copper"][1])),  # page refused: the feed's text is used
        Item("copper", "", guid="nolink", has_link=False, title="Geothermal heat for "
             "Reykjavik", summary=long_summary),
        Item("copper", "", guid="empty", has_link=False, title="Teaser", summary="Short."),
        Item("copper", "/page-malformed", guid="bad", title="Teaser with a broken page",
             summary="Short."),
    ]
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    report = poll(store, corpus)
    assert report.errors == []
    by_title = {a["title"]: a for a in saved(corpus).values()}
    assert set(by_title) == {"Rotterdam port trials hydrogen tugboats",
                             "Lake Tahoe clarity reaches a twenty-year high",
                             "Estonian parliament passes digital ID overhaul",
                             "Chilean copper miners end three-week strike",
                             "Geothermal heat for Reykjavik"}
    assert "published" not in by_title["Rotterdam port trials hydrogen tugboats"]
    future = datetime.fromisoformat(by_title["Lake Tahoe clarity reaches a twenty-year high"]
                                    ["published"])
    assert future <= datetime.now(UTC)
    estonia = by_title["Estonian parliament passes digital ID overhaul"]
    assert estonia["source"] == site.base + "/news/estonia.html"
    assert "new chip" in estonia["body"]  # the page, fetched from the resolved link
    assert "Escondida" in by_title["Chilean copper miners end three-week strike"]["body"]
    assert "Hellisheidi" in by_title["Geothermal heat for Reykjavik"]["body"]
    assert len(report.new) == 5 and report.duplicates == 0
    # the future-dated item is not "re-published" at each poll (its clamped date moved on)
    again = poll(store, corpus, now=time.time() + 600)
    assert (again.new, again.updated, again.errors) == ([], 0, [])


def failing_then(site: FeedServer, path: str, failures: int, status: int = 503) -> None:
    """`path` answers `status` `failures` times, then serves its page as before."""
    serve, left = site.routes[path], {"n": failures}

    def handler(request: web.Request):
        if left["n"] > 0:
            left["n"] -= 1
            return web.Response(status=status, headers={"Retry-After": "60"})
        return serve(request)

    site.routes[path] = handler


def test_an_item_whose_page_is_down_for_now_waits_for_it_instead_of_being_lost(site, store,
                                                                                tmp_path):
    """A page answering 503 once made the item SKIPPED for good (its feed teaser was too
    short): the story never reached the corpus, though the page came back minutes later."""
    corpus = tmp_path / "corpus"
    failing_then(site, "/news/tahoe.html", failures=2)
    site.text("/rss.xml", rss([Item("tahoe", "/news/tahoe.html", guid="t1", published=RECENT,
                                    summary="Lake Tahoe is clearer.")], site.base),
              "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    for _ in range(2):
        waiting = poll(store, corpus)
        assert (waiting.new, waiting.later, waiting.errors, saved(corpus)) == ([], 1, [], {})
    third = poll(store, corpus)
    assert [a.title for a in third.new] == ["Lake Tahoe clarity reaches a twenty-year high"]
    [article] = saved(corpus).values()
    assert "zooplankton" in article["body"]  # the page's text, not the feed's one line
    assert poll(store, corpus).new == [] and site.hits("/news/tahoe.html") == 3


def test_a_page_that_stays_down_gives_way_to_the_feed_text_and_never_replaces_an_article(
        site, store, tmp_path):
    """After PAGE_TRIES passes a new item takes the feed's own text; an article already
    saved from its page is not overwritten by the feed's teaser while the page is down."""
    corpus = tmp_path / "corpus"
    teaser = " ".join(["Officials in Reykjavik said the new geothermal plant at Hellisheidi "
                       "would supply heat to twelve thousand homes."] * 3)
    items = [Item("tahoe", "/news/tahoe.html", guid="t1", published=RECENT),
             Item("copper", "/news/copper.html", guid="c1", published=RECENT,
                  title="Geothermal heat for Reykjavik", summary=teaser)]
    site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    failing_then(site, "/news/copper.html", failures=99, status=429)
    reports = [poll(store, corpus) for _ in range(PAGE_TRIES + 1)]
    assert [r.later for r in reports] == [1] * PAGE_TRIES + [0]
    assert [a.title for a in reports[-1].new] == ["Geothermal heat for Reykjavik"]
    assert "Hellisheidi" in next(a["body"] for a in saved(corpus).values()
                                 if a["title"].startswith("Geothermal"))

    failing_then(site, "/news/tahoe.html", failures=99, status=500)
    items[0] = Item("tahoe", "/news/tahoe.html", guid="t1", published=RECENT,
                    title="Lake Tahoe clarity: update", summary=teaser.replace("heat", "cold"))
    for _ in range(PAGE_TRIES + 1):
        poll(store, corpus)
    tahoe = next(a for a in saved(corpus).values() if a["title"].startswith("Lake Tahoe"))
    assert "zooplankton" in tahoe["body"] and "Hellisheidi" not in tahoe["body"]


def test_a_guid_that_is_no_web_address_is_not_taken_for_the_item_s_link():
    """RSS reads a guid as a permalink unless it says isPermaLink="false"; feedparser then
    made "item-42" a page beside the feed (https://news.example/feeds/item-42, a 404 cited as
    the article's link)."""
    raw = (b"<rss version='2.0'><channel><title>Wire</title>"
           b"<item><title>A</title><guid>item-42</guid><description>Text.</description></item>"
           b"<item><title>B</title><guid>https://news.example/b</guid></item>"
           b"</channel></rss>")
    items = parse_feed(raw, "https://news.example/feeds/rss.xml").items
    assert [(i.guid, i.link) for i in items] == [("item-42", ""),
                                                 ("https://news.example/b",
                                                  "https://news.example/b")]


def test_an_item_with_too_little_text_is_counted_not_silently_dropped(site, store, tmp_path):
    corpus = tmp_path / "corpus"
    items = [Item("tahoe", "/news/tahoe.html", guid="t1", published=RECENT),
             Item("copper", "/news/gone.html", guid="g1", published=RECENT, title="Gone",
                  summary="A short teaser.")]  # its page is a 404: nothing to take
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    report = poll(store, corpus)
    assert (len(report.new), report.too_short, report.filtered) == (1, 1, 0)
    assert poll(store, corpus).too_short == 0  # once, not at every poll


def test_a_consent_wall_page_loses_to_the_feeds_full_text(site, store, tmp_path):
    """Every item's page was the publisher's cookie wall: each was saved as the wall's text
    (and the second one dropped as its duplicate) though the feed carried the whole story."""
    corpus = tmp_path / "corpus"
    wall = ("<html><head><title>Before you continue</title></head><body><article><p>We and our "
            "partners use cookies and data to deliver and maintain our services, measure "
            "audience engagement, and show personalised advertising. Select Accept all to "
            "agree, or More options to choose. If you choose Reject all, we will not use cookies "
            "for these additional purposes. Non-personalised content is influenced by things "
            "like the content you are viewing and your location. Visit our privacy page to "
            "learn more at any time.</p></article></body></html>")
    for key in ("tahoe", "estonia"):
        site.text(f"/news/{key}.html", wall, "text/html")
    items = [Item(key, f"/news/{key}.html", guid=key, published=RECENT,
                  summary="\n\n".join(STORIES[key][1])) for key in ("tahoe", "estonia")]
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    report = poll(store, corpus)
    assert (len(report.new), report.duplicates) == (2, 0)
    bodies = " ".join(a["body"] for a in saved(corpus).values())
    assert "cookies" not in bodies and "zooplankton" in bodies


def test_unchanged_feed_is_a_304_and_errors_back_off_with_jitter(site, store, tmp_path):
    corpus = tmp_path / "corpus"
    body = rss([Item("tahoe", "/news/tahoe.html", guid="t1")], site.base)
    answers = {"status": 200}

    def feed(request: web.Request) -> web.Response:
        if answers["status"] == 429:
            return web.Response(status=429, headers={"Retry-After": "7200"})
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text=body, content_type="application/rss+xml",
                            headers={"ETag": '"v1"'})

    site.routes["/rss.xml"] = feed
    url = site.base + "/rss.xml"
    follow(store, url)
    assert len(poll(store, corpus).new) == 1
    pages = site.hits("/news/tahoe.html")
    second = poll(store, corpus)
    assert (len(second.new), second.errors) == (0, [])
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'
    assert site.hits("/news/tahoe.html") == pages  # nothing re-fetched

    answers["status"] = 429
    now = time.time()
    third = poll(store, corpus, now=now)
    assert third.errors == [(url, "the server is throttling us (HTTP 429)")]
    after = store.get(url)
    assert after.failures == 1 and after.next_poll >= now + 7200
    hits = site.hits("/rss.xml")
    assert poll(store, corpus, due_only=True, now=now + 60).feeds == 0  # backing off
    assert site.hits("/rss.xml") == hits


def test_backoff_grows_per_failure_with_jitter_and_caps():
    rng = random.Random(7)
    for failures in range(1, 8):
        delays = [next_poll_delay(600, failures, rng=rng) for _ in range(200)]
        ceiling = min(24 * 3600, 600 * 2 ** failures)
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        assert len({round(d) for d in delays}) > 50  # jittered, not in lockstep
    assert next_poll_delay(600, 1, retry_after_s=9000, rng=rng) == 9000
    # "Retry-After: 9999…" (a year, or more seconds than a float holds) waits a day at most:
    # the feed was never polled again and `feed list --json` crashed on its next poll time
    for absurd in (3.2e7, float("9" * 400)):
        assert next_poll_delay(600, 1, retry_after_s=absurd, rng=rng) == 24 * 3600
    stored = Feed("https://x.example/rss", None, None, "", "", False, False, 600.0,
                  next_poll=1e300)
    assert stored.as_json()["next_poll"].startswith("9999-12-31")
    assert 540 <= next_poll_delay(600, 0, rng=rng) <= 660


def test_feeds_and_what_was_taken_survive_a_restart(site, tmp_path, state_url):
    corpus = tmp_path / "corpus"
    site.text("/rss.xml", rss([Item("tahoe", "/news/tahoe.html", guid="t1")], site.base),
              "application/rss+xml")
    first = FeedStore(tmp_path / "feeds.sqlite", database_url=state_url)
    follow(first, site.base + "/rss.xml", include="lake, zooplankton", interval_s=900.0)
    assert len(poll(first, corpus).new) == 1
    first.close()
    again = FeedStore(tmp_path / "feeds.sqlite", database_url=state_url)
    try:
        [feed] = again.all()
        assert (feed.url, feed.include, feed.interval_s) == (site.base + "/rss.xml",
                                                             "lake, zooplankton", 900.0)
        assert feed.last_polled and feed.next_poll > time.time()
        report = poll(again, corpus)
        assert (len(report.new), report.duplicates) == (0, 0)
    finally:
        again.close()


def test_include_exclude_age_and_cap(site, store, tmp_path, state_url, request):
    corpus = tmp_path / "corpus"
    old = NOW - timedelta(days=30)
    items = [Item("tugboats", "/news/tugboats.html", guid="1", published=RECENT),
             Item("tahoe", "/news/tahoe.html", guid="2", published=RECENT),
             Item("estonia", "/news/estonia.html", guid="3", published=old),
             Item("copper", "/news/copper.html", guid="4", published=NOW)]
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    site.text("/rss2.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml", include="hydrogen, daphnia, copper",
           exclude="Escondida")
    report = poll(store, corpus)
    # estonia is too old, copper is excluded (its text names Escondida); "daphnia" is only in
    # the page text, not in the feed's summary
    assert sorted(a.title for a in report.new) == [
        "Lake Tahoe clarity reaches a twenty-year high",
        "Rotterdam port trials hydrogen tugboats"]
    assert (report.filtered, report.too_short) == (1, 0)  # said, not silently dropped
    other_url = state_url and fresh_database(request.getfixturevalue("postgres_url"))
    other = FeedStore(tmp_path / "capped.sqlite", database_url=other_url)
    try:
        follow(other, site.base + "/rss2.xml")
        capped = poll(other, tmp_path / "corpus2", max_items=2)
        assert [a.title for a in capped.new] == ["Chilean copper miners end three-week strike",
                                                 "Rotterdam port trials hydrogen tugboats"]
        assert len(poll(other, tmp_path / "corpus2", max_items=2).new) == 1  # then the rest
    finally:
        other.close()


class SlowStore:
    """A feed store whose every call takes `delay_s` (a database far away, or busy)."""

    def __init__(self, store: FeedStore, delay_s: float) -> None:
        self._store, self._delay_s = store, delay_s

    def __getattr__(self, name: str):
        method = getattr(self._store, name)

        def slow(*args, **kwargs):
            time.sleep(self._delay_s)
            return method(*args, **kwargs)

        return slow


def test_a_slow_feed_store_never_holds_up_the_event_loop(site, store, tmp_path):
    items = [Item("tugboats", "/news/tugboats.html", guid="1", published=RECENT),
             Item("tahoe", "/news/tahoe.html", guid="2", published=RECENT)]
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    poller = Poller(SlowStore(store, 0.5), tmp_path / "corpus", options(), Resolver())

    async def main() -> tuple[PollReport, float]:
        longest, last, done = 0.0, time.monotonic(), asyncio.Event()

        async def tick() -> None:  # what questions see: how long the loop is held at most
            nonlocal longest, last
            while not done.is_set():
                await asyncio.sleep(0.01)
                longest, last = max(longest, time.monotonic() - last), time.monotonic()

        ticker = asyncio.create_task(tick())
        try:
            return await poller.poll(), longest
        finally:
            done.set()
            await ticker

    report, longest = asyncio.run(main())
    assert len(report.new) == 2 and not report.errors
    assert longest < 0.4, f"the event loop was held for {longest:.2f} s"


def test_a_well_formed_feed_with_no_items_is_not_an_error(site, store, tmp_path):
    site.text("/empty.xml", rss([], site.base), "application/rss+xml")
    follow(store, site.base + "/empty.xml")
    report = poll(store, tmp_path / "corpus")
    assert report.errors == [] and report.new == []
    assert store.get(site.base + "/empty.xml").failures == 0


@pytest.mark.parametrize("charset", ["iso-8859-9", "windows-1252"])
def test_a_feed_whose_charset_is_only_in_the_http_header_is_read_in_it(site, store, tmp_path,
                                                                       charset):
    """Without an XML declaration the feed was read as UTF-8 or Latin-1: "Erdoğan" came out
    as "Erdoðan" in the saved title and in every answer citing it."""
    title = {"iso-8859-9": "Erdoğan backs Sweden's bid",
             "windows-1252": "Café owners’ “strike” ends"}[charset]
    site.routes["/rss.xml"] = lambda _r: web.Response(
        body=rss([Item("tahoe", "/news/tahoe.html", guid="t", title=title)],
                 site.base).replace('<?xml version="1.0" encoding="utf-8"?>', "")
        .encode(charset), headers={"Content-Type": f"application/rss+xml; charset={charset}"})
    follow(store, site.base + "/rss.xml")
    corpus = tmp_path / "corpus"
    assert [a.title for a in poll(store, corpus).new] == [title]
    assert [a["title"] for a in saved(corpus).values()] == [title]


def test_a_feed_whose_server_is_down_says_so_in_words(store, tmp_path):
    follow(store, "http://127.0.0.1:9/feed.xml")  # loopback port 9: nothing listens
    report = poll(store, tmp_path / "corpus")
    assert report.errors == [("http://127.0.0.1:9/feed.xml",
                              "could not fetch the feed (connection refused)")]


def test_only_what_a_feed_held_at_its_first_good_poll_is_backlog(site, store, tmp_path):
    """The backlog rule held back every item of a feed that had been empty when followed (no
    item was ever recorded), and a failed first poll must not turn the backlog into posts."""
    now = datetime.now(UTC)
    items: list[Item] = []
    site.text("/quiet.xml", lambda: rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/quiet.xml")
    assert poll(store, tmp_path / "corpus").new == []  # followed while empty
    items.append(Item("copper", "/news/copper.html", guid="c", title="Copper strike ends",
                      published=now - timedelta(minutes=10)))
    [fresh] = poll(store, tmp_path / "corpus").new
    assert not fresh.backlog  # a real new item: posted

    held = [Item("tahoe", "/news/tahoe.html", guid="t", published=now - timedelta(hours=5))]
    site.text("/late.xml", lambda: rss(held, site.base) if held else "<rss", "application/rss+xml")
    follow(store, site.base + "/late.xml")
    held_back = held[:]
    held.clear()  # the first poll fails: a malformed document
    assert poll(store, tmp_path / "corpus").errors
    held.extend(held_back)
    [old] = [a for a in poll(store, tmp_path / "corpus").new if a.feed.endswith("/late.xml")]
    assert old.backlog and old.first_pass  # what the feed held: one line, not a post


def test_items_a_first_pass_left_past_its_cap_are_backlog_when_taken_later(site, store,
                                                                          tmp_path):
    """A feed of 3 items followed with a cap of 2: the oldest, taken by the second pass, was
    posted as if new."""
    now = datetime.now(UTC)
    items = [Item(key, f"/news/{key}.html", guid=key, published=now - timedelta(days=n + 1))
             for n, key in enumerate(["tugboats", "tahoe", "estonia"])]
    site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    first = poll(store, tmp_path / "corpus", max_items=2)
    assert [(a.backlog, a.first_pass) for a in first.new] == [(True, True)] * 2
    second = poll(store, tmp_path / "corpus", max_items=2)
    assert [(a.backlog, a.first_pass) for a in second.new] == [(True, False)]
    items.insert(0, Item("copper", "/news/copper.html", guid="new",
                         published=now - timedelta(minutes=20)))  # dated before it showed up
    [fresh] = poll(store, tmp_path / "corpus", max_items=2).new
    assert not fresh.backlog


def test_an_item_the_feed_held_when_followed_stays_backlog_while_it_waits_for_its_page(
        site, store, tmp_path):
    """The first pass announced one item in its line; the other, whose page answered 429 once,
    was posted as if new by the second pass (a site throttling the first pass's page fetches
    turned the backlog into a flood of posts)."""
    now = datetime.now(UTC)
    items = [Item("tahoe", "/news/tahoe.html", guid="t1", published=now - timedelta(minutes=30)),
             Item("copper", "/news/copper.html", guid="c1",
                  published=now - timedelta(minutes=40))]
    site.text("/rss.xml", rss(items, site.base), "application/rss+xml")
    follow(store, site.base + "/rss.xml")
    failing_then(site, "/news/copper.html", failures=1, status=429)
    first = poll(store, tmp_path / "corpus")
    assert ([(a.backlog, a.first_pass) for a in first.new], first.later) == ([(True, True)], 1)
    [copper] = poll(store, tmp_path / "corpus").new
    assert copper.title.startswith("Chilean copper") and copper.backlog
