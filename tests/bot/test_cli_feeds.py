"""`briefing feed …` as a script runs it, against feeds served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from index import BriefingIndex
from tests.bot.feed_server import BOMB, FeedServer, Item, atom, rss
from tests.support import ROOT

RECENT = datetime.now(UTC) - timedelta(hours=2)


def briefing(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.fixture
def env(tmp_path, seed_index) -> dict[str, str]:
    shutil.copytree(seed_index.backend.index_dir, tmp_path / "index")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
            "BRIEFING_CORPUS_DIR": str(tmp_path / "corpus"),
            "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite"),
            "BRIEFING_FETCH_ALLOW_LOOPBACK": "true"}


def test_feed_add_list_poll_ask_repoll_and_pick_up_a_new_item(env, tmp_path, embedder):
    with FeedServer() as site:
        site.pages("tugboats", "tahoe", "estonia", "copper")
        rss_items = [Item("tugboats", "/news/tugboats.html", guid="r1", published=RECENT),
                     Item("tahoe", "/news/tahoe.html", guid="r2", published=RECENT)]
        site.text("/rss.xml", lambda: rss(rss_items, site.base), "application/rss+xml")
        site.text("/atom.xml", atom([
            Item("tugboats", "/news/tugboats.html?utm_source=wire&utm_campaign=feed",
                 guid="urn:wire:1", published=RECENT),
            Item("estonia", "/news/estonia.html", guid="urn:wire:2", published=RECENT)],
            site.base), "application/atom+xml")
        bomb = [BOMB]
        site.text("/bomb.xml", lambda: bomb[0], "application/rss+xml")
        urls = [site.base + p for p in ("/rss.xml", "/atom.xml", "/bomb.xml")]

        refused = briefing(["feed", "add", urls[2]], env)  # checked before it is followed
        assert (refused.returncode, refused.stderr) == (
            1, "briefing: refused: the feed declares XML entities (EntitiesForbidden)\n")
        bomb[0] = rss([], site.base)  # a feed when added, a bomb when polled
        for url in urls:
            added = briefing(["feed", "add", url], env)
            assert added.returncode == 0, added.stderr
        bomb[0] = BOMB
        again = briefing(["feed", "add", urls[0], "--channel", "42", "--include",
                          "port, lake", "--exclude", "sport"], env)
        assert again.returncode == 0 and again.stdout.startswith("Updated")
        listed = json.loads(briefing(["feed", "list", "--json"], env).stdout)
        assert [f["url"] for f in listed] == urls
        assert listed[0]["channel"] == 42 and listed[0]["include"] == "port, lake"
        assert listed[0]["post"] is True and listed[1]["post"] is False

        first = briefing(["feed", "poll", "--json"], env)
        assert first.returncode == 1, first.stderr  # the bomb failed; the others were taken
        assert json.loads(first.stdout) == {
            "feeds": 3, "new": 3, "updated": 0, "duplicates": 1, "later": 0, "too_short": 0,
            "filtered": 0,
            "errors": [{"feed": urls[2], "error": "refused: the feed declares XML entities "
                                                  "(EntitiesForbidden)"}]}

        index = BriefingIndex(tmp_path / "index", embedder=embedder)
        answer = index.ask("Where were the hydrogen tugboats for Rotterdam built?")
        top = answer.hits[0]
        assert answer.answered and top.title == "Rotterdam port trials hydrogen tugboats"
        assert top.source == site.base + "/news/tugboats.html"  # cited without utm_*

        second = json.loads(briefing(["feed", "poll", "--json"], env).stdout)
        assert (second["new"], second["duplicates"], len(second["errors"])) == (0, 0, 1)

        rss_items.insert(0, Item("copper", "/news/copper.html", guid="r3",
                                 title="Lake of copper: Chilean miners end strike"))
        third = json.loads(briefing(["feed", "poll", "--json"], env).stdout)
        assert (third["new"], third["duplicates"]) == (1, 0)
        index.reload()
        found = index.ask("How big a bonus did Escondida workers get?").hits[0]
        assert found.source == site.base + "/news/copper.html"

        shouted = urls[2].replace("http://", "HTTP://", 1)  # any spelling of the URL
        assert briefing(["feed", "remove", f" {shouted} "], env).returncode == 0
        clean = briefing(["feed", "poll", "--json"], env)
        assert clean.returncode == 0 and json.loads(clean.stdout)["errors"] == []

    missing = briefing(["feed", "remove", urls[2]], env)
    assert missing.returncode == 1 and "not following" in missing.stderr
    assert len(json.loads(briefing(["feed", "list", "--json"], env).stdout)) == 2
    bad = briefing(["feed", "add", "file:///etc/passwd"], env)
    assert bad.returncode == 1 and "only http" in bad.stderr


def test_updating_one_option_of_a_feed_keeps_the_others(tmp_path):
    """`feed add URL --every 20` on a followed feed wiped its channel and filters."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    url = "http://127.0.0.1:9/rss.xml"  # never fetched: adding only stores it
    first = briefing(["feed", "add", url, "--channel", "123", "--include", "nato, sweden",
                      "--exclude", "sport", "--every", "10"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (f"Following {url} (every 10 min; new items are posted in channel "
                            "123).\n")
    assert briefing(["feed", "add", url, "--every", "20"], env).stdout == (
        f"Updated {url} (every 20 min; new items are posted in channel 123).\n")
    [feed] = json.loads(briefing(["feed", "list", "--json"], env).stdout)
    assert (feed["channel"], feed["post"], feed["include"], feed["exclude"],
            feed["interval_s"]) == (123, True, "nato, sweden", "sport", 1200)
    briefing(["feed", "add", url, "--include", ""], env)
    [feed] = json.loads(briefing(["feed", "list", "--json"], env).stdout)
    assert (feed["channel"], feed["include"], feed["exclude"]) == (123, "", "sport")


def test_feed_list_shows_where_a_feed_posts_and_its_words_as_the_bot_does(tmp_path):
    """Only `--json` showed a feed's channel and include/exclude words; `/feed list` names
    them, and an admin checking what `feed add --include` did saw only "every 10 min ok".
    A feed in good health has no state word, as in `/feed list` (the CLI said "ok")."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    url, quiet = "http://127.0.0.1:9/rss.xml", "http://127.0.0.1:9/atom.xml"  # never fetched
    briefing(["feed", "add", url, "--channel", "123", "--include", "nato, sweden",
              "--exclude", "sport", "--every", "10"], env)
    briefing(["feed", "add", quiet], env)
    listed = briefing(["feed", "list"], env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{url}  every 10 min  posts in channel 123  include: nato, sweden  exclude: sport",
        f"{quiet}  every 30 min"]


def test_feed_intervals_read_in_seconds_minutes_or_hours(tmp_path):
    """An interval under a minute was listed as "every 0.0833333 min"."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    fast, slow = "http://127.0.0.1:9/fast.xml", "http://127.0.0.1:9/slow.xml"  # never fetched
    briefing(["feed", "add", fast, "--every", "0.0833333"], env)
    briefing(["feed", "add", slow, "--every", "90"], env)
    assert briefing(["feed", "list"], env).stdout.splitlines() == [
        f"{fast}  every 5 s", f"{slow}  every 1.5 h"]


def test_a_web_page_is_refused_at_add_naming_the_feed_it_advertises(tmp_path):
    """A page, not a feed, was followed and failed only at its first poll."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite"),
           "BRIEFING_FETCH_ALLOW_LOOPBACK": "true"}
    with FeedServer() as site:
        site.pages("tahoe")
        site.text("/front.html", '<html><head><link rel="alternate" type="application/rss+xml"'
                  ' href="/rss.xml"></head><body><p>News</p></body></html>', "text/html")
        site.text("/rss.xml", rss([], site.base), "application/rss+xml")
        page = briefing(["feed", "add", site.base + "/news/tahoe.html"], env)
        front = briefing(["feed", "add", site.base + "/front.html"], env)
        feed = briefing(["feed", "add", site.base + "/rss.xml"], env)
    assert (page.returncode, page.stdout) == (1, "")
    assert page.stderr == "briefing: refused: not an RSS or Atom feed (an HTML page)\n"
    assert front.returncode == 1 and front.stderr == (
        f"briefing: refused: not an RSS or Atom feed (an HTML page); the page names its feed: "
        f"{site.base}/rss.xml\n")
    assert feed.returncode == 0  # with the interval it set, as /feed add says it
    assert feed.stdout == f"Following {site.base}/rss.xml (every 30 min).\n"
    assert [f["url"] for f in json.loads(briefing(["feed", "list", "--json"], env).stdout)] \
        == [site.base + "/rss.xml"]


def test_pause_and_resume_a_feed_as_feed_pause_does(tmp_path):
    """`/feed pause` had no command-line equivalent."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    url = "http://127.0.0.1:9/rss.xml"  # never fetched
    briefing(["feed", "add", url], env)
    paused = briefing(["feed", "pause", url.replace("http", "HTTP")], env)  # any spelling
    assert (paused.returncode, paused.stdout) == (0, f"Paused {url}\n")
    assert briefing(["feed", "list"], env).stdout == f"{url}  every 30 min  paused\n"
    resumed = briefing(["feed", "resume", url], env)
    assert (resumed.returncode, resumed.stdout) == (0, f"Resumed {url}\n")
    assert briefing(["feed", "list"], env).stdout == f"{url}  every 30 min\n"
    unknown = briefing(["feed", "pause", "http://127.0.0.1:9/other.xml"], env)
    assert (unknown.returncode, unknown.stderr) == (
        1, "briefing: not following http://127.0.0.1:9/other.xml\n")


def test_a_channel_id_beyond_discord_s_range_is_one_line(tmp_path):
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    result = briefing(["feed", "add", "http://127.0.0.1:9/rss.xml", "--channel", str(2**64)],
                      env)
    assert result.returncode == 2 and "Traceback" not in result.stderr  # as argparse's
    assert result.stderr.strip() == (
        "briefing: --channel must be a Discord channel id (a positive number)")


def test_a_feed_that_cannot_be_read_is_one_line_not_two(tmp_path):
    """`feed poll` printed each feed's error on stdout and again as a WARNING on stderr."""
    env = {**os.environ, "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite"),
           "BRIEFING_CORPUS_DIR": str(tmp_path), "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_FETCH_ALLOW_LOOPBACK": "true"}
    url = "http://127.0.0.1:9/rss.xml"  # the discard port: nothing listens
    assert briefing(["feed", "add", url], env).returncode == 0
    result = briefing(["feed", "poll"], env)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "1 feed polled: 0 new, 0 updated, 0 duplicates",  # not "1 feeds"
        f"  {url}: could not fetch the feed (connection refused)"]
    assert result.stderr == ""
    as_json = briefing(["feed", "poll", "--json"], env)
    assert as_json.returncode == 1 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["errors"] == [
        {"feed": url, "error": "could not fetch the feed (connection refused)"}]
    verbose = briefing(["-v", "feed", "poll"], env)  # -v still logs it, with the next try
    assert "next try in" in verbose.stderr
    listed = briefing(["feed", "list"], env).stdout  # worded as /feed list words it
    assert listed == f"{url}  every 30 min  last error: could not fetch the feed (connection " \
                     "refused)\n"
