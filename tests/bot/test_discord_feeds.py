"""End to end: `/feed` against the fake Discord, feeds served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import statistics
from datetime import UTC, datetime, timedelta
from html import escape

from bot.feeds.store import Feed, FeedStore
from tests.bot.feed_server import FeedServer, Item, rss
from tests.bot.harness import Harness, answer_of, failing_worker

HOSTILE_TITLE = "@everyone <@&123> **Rotterdam** [tugboats](http://evil.example) @here"
QUESTIONS = ["Why did Erdoğan approve Sweden?", "How has Erdogan supported Hamas?",
             "Who won the 2018 World Cup?", "What happened to the Azov commanders?",
             "Did the Sochi talks revive the grain deal?"]


def test_feed_commands_are_refused_without_manage_server(run, tmp_path):
    async def scenario(h: Harness) -> None:
        for options in ({"add": {"url": "http://127.0.0.1:9/rss.xml"}}, {"list": {}},
                        {"remove": {"url": "http://127.0.0.1:9/rss.xml"}}):
            sent = await h.server.send_interaction("feed", options, user="member")
            reply = await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path)
            assert reply.json["data"]["flags"] & 64
            assert "Manage Server" in reply.json["data"]["content"]

    run(scenario)
    store = FeedStore(tmp_path / "feeds.sqlite")
    assert store.all() == []
    store.close()


def test_added_feed_is_polled_indexed_and_posted_without_any_possible_ping(run):
    """What the feed held when added is one line (it posted up to 20 old items); an item
    published after that is posted with its key sentence, and can ping no one."""
    with FeedServer() as site:
        site.pages("tugboats", "tahoe", "copper")
        items = [Item("tahoe", "/news/tahoe.html", guid="0", title="Tahoe snow",
                      published=datetime.now(UTC) - timedelta(hours=5))]
        site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")
        url = site.base + "/rss.xml"

        async def scenario(h: Harness) -> None:
            channel = h.server.channel_id
            posts = f"/channels/{channel}/messages"
            sent = await h.server.send_interaction(
                "feed", {"add": {"url": url, "channel": channel}}, user="admin")
            reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
            assert reply.json["data"]["content"].startswith("Following ")
            backlog = await h.server.wait_for(
                lambda c: c.method == "POST" and c.path == posts, timeout=90)
            assert backlog.json["content"].startswith("Now following http") and (
                ": 1 recent item indexed" in backlog.json["content"])
            items[:0] = [Item("copper", "/news/copper.html", guid="2", title="Copper strike ends",
                              published=datetime.now(UTC) - timedelta(minutes=10)),
                         Item("tugboats", "/news/tugboats.html", guid="1", title=HOSTILE_TITLE,
                              published=datetime.now(UTC) - timedelta(hours=1))]
            start = len(h.server.calls)
            await h.bot.get_cog("Feeds").poll_once(due_only=False)
            post = await h.server.wait_for(
                lambda c: c.method == "POST" and c.path == posts, timeout=90, start=start)
            later = await h.server.wait_for(  # posted in time order: the older item first
                lambda c: c.method == "POST" and c.path == posts and c is not post, timeout=90,
                start=start)
            assert "Copper strike ends" in later.json["content"]
            assert post.json["allowed_mentions"] == {"parse": []}
            content = post.json["content"]
            assert "@everyone" in content  # shown, but inert ...
            assert "](http://evil.example)" not in content  # ... and it links nowhere
            assert f"]({site.base}/news/tugboats.html)" in content  # the item's own link
            assert "\n> " in content and "(¶" in content  # one cited key sentence
            asked = await h.server.send_interaction(
                "ask", {"question": "Where were the hydrogen tugboats built?"})
            answer = await answer_of(h.server, asked, timeout=30)
            field = answer["embeds"][0]["fields"][0]
            assert field["name"].startswith("1. @everyone") and "Rotterdam" in field["name"]
            assert f"{site.base}/news/tugboats.html" in field["value"]  # cites its URL

            listed = await h.server.send_interaction("feed", {"list": {}}, user="admin")
            shown = await h.server.wait_for(lambda c: c.path == listed.callback_path)
            assert "127.0.0.1" in shown.json["data"]["content"]

        run(lambda h: scenario(h), feed_check_s=0.2)


def test_an_item_whose_reindex_failed_is_indexed_and_posted_by_the_next_pass(run):
    """The pass saved the item, its reindex failed, and the item was never posted (nor
    indexed until someone ran /reindex): later passes saw nothing new."""
    with FeedServer() as site:
        site.pages("tugboats")
        items: list[Item] = []  # followed while empty: no backlog, no reindex
        site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")

        async def scenario(h: Harness) -> None:
            channel = h.server.channel_id
            posts = f"/channels/{channel}/messages"
            cog = h.bot.get_cog("Feeds")
            sent = await h.server.send_interaction(
                "feed", {"add": {"url": site.base + "/rss.xml", "channel": channel}},
                user="admin")
            await h.server.wait_for(lambda c: c.path == sent.callback_path)
            await cog.poll_once(due_only=False)
            items.insert(0, Item("tugboats", "/news/tugboats.html", guid="1",
                                 title="Hydrogen tugboats", published=datetime.now(UTC)))
            working = h.bot.reindexer.command
            h.bot.reindexer.command = failing_worker({"failed": "OSError: disk full"})
            start = len(h.server.calls)
            await cog.poll_once(due_only=False)
            assert not [c for c in h.server.calls[start:] if c.method == "POST"
                        and c.path == posts]
            assert "Hydrogen tugboats" not in [r.title for r in h.bot.index.sources()]
            h.bot.reindexer.command = working
            await cog.poll_once(due_only=False)  # the feed has nothing new: 304 or same items
            post = await h.server.wait_for(
                lambda c: c.method == "POST" and c.path == posts, timeout=90, start=start)
            assert "Hydrogen tugboats" in post.json["content"]
            assert "Hydrogen tugboats" in [r.title for r in h.bot.index.sources()]

        run(scenario, expect_errors=True)


def test_questions_are_deferred_at_once_during_a_poll_of_200_items(run, shared_eval, capsys):
    data = json.loads((shared_eval / "squad-v1.1-dev" / "dev-v1.1.json").read_text("utf-8"))
    paragraphs = [p["context"] for entry in data["data"] for p in entry["paragraphs"]
                  if len(p["context"]) >= 250][:200]  # shorter ones are teasers, not taken
    with FeedServer() as site:
        items = []
        for n, text in enumerate(paragraphs):
            path = f"/story/{n}.html"
            title = f"Report {n}: " + " ".join(text.split()[:6])
            html = (f"<html><head><title>{escape(title)}</title></head><body><article>"
                    f"<h1>{escape(title)}</h1><p>{escape(text)}</p></article></body></html>")
            site.text(path, html, "text/html")
            items.append(Item("tahoe", path, guid=f"s{n}", title=title, summary=text[:150]))
        site.text("/big.xml", rss(items, site.base), "application/rss+xml")

        async def scenario(h: Harness) -> None:
            cog = h.bot.get_cog("Feeds")
            sent = await h.server.send_interaction(
                "feed", {"add": {"url": site.base + "/big.xml"}}, user="admin")
            await h.server.wait_for(lambda c: c.path == sent.callback_path)
            for _ in range(200):  # wait until the pass is well under way
                await asyncio.sleep(0.05)
                if site.hits("/story/20.html"):
                    break
            delays, still_polling = [], []
            for round_ in range(3):
                asks = [await h.server.send_interaction("ask", {"question": q})
                        for q in QUESTIONS]
                callbacks = [await h.server.wait_for(lambda c, s=s: c.path == s.callback_path)
                             for s in asks]
                delays += [c.time - s.created for c, s in zip(callbacks, asks, strict=True)]
                still_polling.append(cog.polling.locked())
                for s in asks:
                    await answer_of(h.server, s, timeout=60)
                await asyncio.sleep(1.0 if round_ == 0 else 3.0)
            for _ in range(1200):
                await asyncio.sleep(0.1)
                if not cog.polling.locked():
                    break
            added = [r for r in h.bot.index.sources() if r.id.startswith("feeds/")]
            with capsys.disabled():
                print(f"\ndefer during a 200-item poll: median "
                      f"{statistics.median(delays) * 1000:.1f} ms, max {max(delays) * 1000:.1f}"
                      f" ms (poll running at rounds: {still_polling}; {len(added)} indexed)")
            assert still_polling[0], "the poll ended before the questions were asked"
            assert max(delays) < 0.5
            assert len(added) == 200

        run(lambda h: scenario(h), feed_check_s=0.2, feed_max_items=200, fetch_timeout_s=30)


async def feed_reply(h: Harness, options: dict, **where: object) -> dict:
    """What the admin sees after a `/feed` command: the callback's message data."""
    sent = await h.server.send_interaction("feed", options, user="admin", **where)
    reply = await h.server.wait_for(lambda c: c.path == sent.callback_path, 10)
    return reply.json["data"]


def test_a_feed_another_server_follows_is_refused_not_taken_over(run, tmp_path):
    url = "http://127.0.0.1:9/rss.xml"

    async def scenario(h: Harness) -> None:
        other = h.server.add_guild("Other Guild")
        await h.restart()  # commands are global (guild_ids=[]): the new guild has them too
        first = await feed_reply(h, {"add": {"url": url, "channel": h.server.channel_id}})
        assert first["content"].startswith("Following http")
        taken = await feed_reply(h, {"add": {"url": url}}, guild_id=other)
        assert taken["flags"] & 64 and taken["content"].startswith("Another server already")
        listed = await feed_reply(h, {"list": {}})
        assert "rss.xml" in listed["content"] and f"<#{h.server.channel_id}>" in listed["content"]
        assert (await feed_reply(h, {"list": {}}, guild_id=other))["content"] == (
            "No feeds are followed.")

    run(scenario, guild_ids=[])
    store = FeedStore(tmp_path / "feeds.sqlite")
    [feed] = store.all()
    store.close()
    assert feed.guild_id is not None and feed.post and feed.channel_id is not None


def test_a_command_line_update_keeps_the_feeds_server_unless_it_moves_the_channel(tmp_path):
    """`briefing feed add URL --include …` on a server's feed (the command line knows no
    server) used to clear the server: every other server then listed it and could take it."""
    store = FeedStore(tmp_path / "feeds.sqlite")
    url = "http://127.0.0.1:9/rss.xml"
    try:
        assert store.add(Feed(url, 1, 10, "", "", True, False, 600)) == "added"
        assert store.add(Feed(url, None, 10, "nato", "", True, False, 600)) == "updated"
        assert store.get(url).guild_id == 1 and store.get(url).include == "nato"
        assert [f.url for f in store.all(guild_id=2)] == []
        assert store.add(Feed(url, 2, 20, "", "", True, False, 600)) is None  # still refused
        assert store.add(Feed(url, None, None, "", "", False, False, 600)) == "updated"
        assert store.get(url).guild_id == 1  # stopped posting, still the server's feed
        assert store.add(Feed(url, None, 30, "", "", True, False, 600)) == "updated"
        assert store.get(url).guild_id is None  # another channel: its server is found anew
    finally:
        store.close()


def test_feed_urls_in_any_spelling_and_of_any_length_are_one_feed_and_fit_replies(run):
    long_url = "http://127.0.0.1:9/" + "a" * 2500 + ".xml"

    async def scenario(h: Harness) -> None:
        added = await feed_reply(h, {"add": {"url": "  HTTP://127.0.0.1:9/Feed.xml  "}})
        assert added["content"].startswith("Following http\\://127.0.0.1:9/Feed.xml")
        again = await feed_reply(h, {"add": {"url": "http://127.0.0.1:9/Feed.xml"}})
        assert again["content"].startswith("Updated")  # the same feed, not a second one
        paused = await feed_reply(h, {"pause": {"url": "http://127.0.0.1:9/Feed.xml"}})
        assert paused["content"] == "Paused http\\://127.0.0.1:9/Feed.xml."
        for i in range(30):
            await feed_reply(h, {"add": {"url": f"http://127.0.0.1:9/{i:02d}/" + "b" * 90}})
        added = await feed_reply(h, {"add": {"url": long_url}})
        assert added["content"].startswith("Following") and len(added["content"]) <= 2000
        listed = (await feed_reply(h, {"list": {}}))["content"]
        assert len(listed) <= 2000 and "paused" in listed.splitlines()[0]
        assert listed.splitlines()[-1].startswith("…and ") and "more" in listed
        offered = await h.server.send_interaction("feed", {"remove": {"url": "aaaa"}},
                                                  user="admin", type=4, focused="url")
        [choice] = (await h.server.wait_for(lambda c: c.path == offered.callback_path)
                    ).json["data"]["choices"]
        assert len(choice["value"]) <= 100
        removed = await feed_reply(h, {"remove": {"url": choice["value"]}})
        assert removed["content"].startswith("Stopped following http") and len(
            removed["content"]) <= 2000

    run(scenario)


def test_feed_intervals_read_in_seconds_minutes_or_hours(run):
    """With polls every 5 s by default, `/feed add` said "every 0.0833333 min"."""
    async def scenario(h: Harness) -> None:
        fast = await feed_reply(h, {"add": {"url": "http://127.0.0.1:9/fast.xml"}})
        assert fast["content"] == "Following http\\://127.0.0.1:9/fast.xml (every 5 s)."
        slow = await feed_reply(h, {"add": {"url": "http://127.0.0.1:9/slow.xml", "every": 90}})
        assert "(every 1.5 h)" in slow["content"]
        listed = (await feed_reply(h, {"list": {}}))["content"].splitlines()
        assert [line.split(" · ")[1] for line in listed] == ["every 5 s", "every 1.5 h"]

    run(scenario, feed_interval_s=5.0)


def test_a_web_page_is_refused_at_add_naming_the_feed_it_advertises(run):
    """A page, not a feed, was followed and failed only at its first poll."""
    with FeedServer() as site:
        site.text("/front.html", '<html><head><link rel="alternate" type="application/atom+xml"'
                  ' href="/atom.xml"></head><body><p>News</p></body></html>', "text/html")

        async def scenario(h: Harness) -> None:
            refused = await feed_reply(h, {"add": {"url": site.base + "/front.html"}})
            assert refused["flags"] & 64 and refused["content"] == (
                "Refused: not an RSS or Atom feed (an HTML page); the page names its feed: "
                f"{site.base}/atom.xml.".replace("://", "\\://"))
            listed = await feed_reply(h, {"list": {}})
            assert listed["content"] == "No feeds are followed."

        run(scenario)


def test_a_feed_stored_in_an_older_spelling_is_the_same_feed(run, tmp_path):
    store = FeedStore(tmp_path / "feeds.sqlite")  # as a version before normalising stored it
    store.add(Feed("HTTP://127.0.0.1:80/Old.xml", None, None, "", "", False, False, 1800.0))
    store.close()

    async def scenario(h: Harness) -> None:
        again = await feed_reply(h, {"add": {"url": "http://127.0.0.1/Old.xml"}})
        assert again["content"].startswith("Updated HTTP\\://127.0.0.1:80/Old.xml")

    run(scenario)
    store = FeedStore(tmp_path / "feeds.sqlite")
    assert [f.url for f in store.all()] == ["HTTP://127.0.0.1:80/Old.xml"]
    store.close()
