"""End to end: replies stay within Discord's limits, and reach their reader, with hostile inputs."""

from __future__ import annotations

import asyncio

from bot.cogs.feeds import _feed_line
from bot.feeds.store import Feed
from tests.bot.harness import Harness
from tests.support import local_pages


def test_feed_list_of_many_feeds_stays_within_2000_characters(run):
    """Nine paused feeds whose first eight lines fill /feed list's room to the character:
    the "…and N more" line must still fit in Discord's 2,000."""
    async def scenario(h: Harness) -> None:
        guild = int(h.server.guild_id)
        store = h.bot.get_cog("Feeds").store

        def feed(url: str) -> Feed:
            return Feed(url, guild, None, "", "", False, True, 3600.0)

        base = "https://news.example.org/"
        probe = _feed_line(feed(base))
        per_line = 1960 // 8  # 8 lines of 244 chars + newlines fill 1960 exactly
        for i in range(9):
            url = base + f"f{i}" + "a" * (per_line - 1 - len(probe) - 2)
            assert len(_feed_line(feed(url))) == per_line - 1
            await asyncio.to_thread(store.add, feed(url))
        sent = await h.server.send_interaction("feed", {"list": {}}, user="admin")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path, 10)
        assert reply.status == 200, reply.json
        content = reply.json["data"]["content"]
        assert len(content) <= 2000 and content.endswith("more (`briefing feed list` shows all)")

    run(scenario)


def test_add_refusal_with_a_long_content_type_still_reaches_the_admin(run):
    """A page served with a 2,500-character Content-Type is refused; the admin must be told
    why (privately), not left with only the public neutral line."""
    from aiohttp import web

    async def scenario(h: Harness) -> None:
        async def page(request):
            return web.Response(body=b"<p>hello</p>",
                                headers={"Content-Type": "text/" + "x" * 2500})

        async with local_pages({"/a.html": page}) as base:
            start = len(h.server.calls)
            sent = await h.server.send_interaction("add", {"url": base + "/a.html"},
                                                   user="admin")
            await h.server.wait_for(lambda c: c.method == "PATCH"
                                    and c.path == sent.original_path, 30, start=start)
            await asyncio.sleep(1.0)
        followups = [c for c in h.server.calls[start:]
                     if c.method == "POST" and c.path == sent.webhook_path]
        assert followups and all(c.status == 200 or c.status == 204 for c in followups), \
            [(c.status, len(c.json.get("content", ""))) for c in followups]
        private = [m for m in h.server.messages.values()
                   if m["flags"] & 64 and "is not an article page" in m["content"]]
        assert private

    run(scenario)


def test_add_reply_keeps_the_reindex_outcome_under_a_very_long_title(run):
    """A Markdown file whose heading runs to 2,500 characters: the reply still says whether
    the reindex worked, and how many paragraphs were added."""
    async def scenario(h: Harness) -> None:
        heading = "# " + " ".join(["Harbour"] * 320) + "\n\n"
        body = ("The port authority opened a new container terminal on Tuesday after "
                "three years of dredging work in the estuary.\n\n") * 3
        att = h.server.upload("long.md", (heading + body).encode())
        sent = await h.server.send_interaction("add", {"file": att}, user="admin")
        from tests.bot.harness import answer_of
        done = await answer_of(h.server, sent, timeout=120)
        assert len(done["content"]) <= 2000
        assert "Reindex done" in done["content"], done["content"][-300:]

    run(scenario)


def test_reindex_outcome_is_not_an_error_when_its_message_was_deleted(run):
    """A moderator deletes the public "Reindexing the articles…" message while it runs: the
    outcome is still shown (in the channel), not "Something went wrong" with a logged error."""
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.path == sent.callback_path, 10)
        original = sent.original_id
        del h.server.messages[original]
        await h.server.dispatch("MESSAGE_DELETE", {"id": original, "channel_id":
                                                   h.server.channel_id,
                                                   "guild_id": h.server.guild_id})
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path
                                and c.json.get("content", "").startswith("Reindex"), 120)
        await asyncio.sleep(1.5)
        seen = "\n".join(m["content"] for m in h.server.messages.values())
        assert "Something went wrong" not in seen
        assert any(m["content"].startswith("Reindex done") for m in
                   h.server.public_messages()), seen
        assert [r.getMessage() for r in h.errors] == []

    run(scenario, expect_errors=True)
