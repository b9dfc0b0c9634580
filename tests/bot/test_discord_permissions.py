"""End to end: commands that name a channel for the bot to post in check, there and then, that
the bot may post in it (channel overwrites included), and say which permissions it lacks."""

from __future__ import annotations

import asyncio

from tests.bot.harness import Harness
from tests.fake_discord import payloads as p

SEND, EMBED = p.SEND_MESSAGES, p.EMBED_LINKS
THREADS = p.CREATE_PUBLIC_THREADS | p.SEND_MESSAGES_IN_THREADS


async def reply_to(h: Harness, name: str, options: dict) -> dict:
    """The admin's `/name options` and the bot's immediate answer (data of its callback)."""
    sent = await h.server.send_interaction(name, options, user="admin")
    return (await h.server.wait_for(lambda c: c.path == sent.callback_path, timeout=20)).json


async def deny_the_bot(h: Harness, channel_id: str, permissions: int) -> None:
    """An admin takes `permissions` from the bot's role in the channel; Discord tells the bot."""
    await h.server.set_channel_permissions(channel_id, h.server.bot_role_id, deny=permissions)
    await asyncio.sleep(0.2)  # CHANNEL_UPDATE reaches the bot's cache


def test_a_channel_the_bot_cannot_post_in_is_refused_naming_what_it_lacks(run, tmp_path):
    async def scenario(h: Harness) -> None:
        channel = h.server.channel_id
        await deny_the_bot(h, channel, SEND | EMBED)
        schedule = await reply_to(h, "digest", {"schedule": {"channel": channel,
                                                             "time": "08:00"}})
        feed = await reply_to(h, "feed", {"add": {"url": "http://127.0.0.1:9/rss.xml",
                                                  "channel": channel}})
        here = await reply_to(h, "feed", {"add": {"url": "http://127.0.0.1:9/rss.xml",
                                                  "post": True}})
        lacking = (f"I can't post in <#{channel}>: a server admin needs to give me the Send "
                   "Messages and Embed Links permissions there.")
        for reply in (schedule, feed, here):
            assert reply["data"]["flags"] & 64 and reply["data"]["content"] == lacking
        assert h.bot.get_cog("Feeds").store.all() == []

        await deny_the_bot(h, channel, THREADS)  # may post again, but not open threads
        autothread = await reply_to(h, "conversation", {"autothread": {"enabled": True}})
        assert autothread["data"]["content"] == (
            f"I can't post in <#{channel}>: a server admin needs to give me the Create Public "
            "Threads and Send Messages in Threads permissions there.")
        assert not h.bot.channel_modes.get(int(channel)).autothread
        schedule = await reply_to(h, "digest", {"schedule": {"channel": channel,
                                                             "time": "08:00"}})
        assert "every day at 08:00 UTC" in schedule["data"]["content"]

        await deny_the_bot(h, channel, 0)
        autothread = await reply_to(h, "conversation", {"autothread": {"enabled": True}})
        assert autothread["data"]["content"].startswith(
            f"Every new question in <#{channel}> now gets its own thread.")

    run(scenario)


def test_a_channel_the_bot_cannot_see_is_refused_as_such(run):
    async def scenario(h: Harness) -> None:
        channel = h.server.channel_id
        await deny_the_bot(h, channel, p.VIEW_CHANNEL)
        reply = await reply_to(h, "digest", {"schedule": {"channel": channel, "time": "08:00"}})
        assert reply["data"]["content"] == (
            f"I can't post in <#{channel}>: a server admin needs to give me the View Channel "
            "permission there.")

    run(scenario)
