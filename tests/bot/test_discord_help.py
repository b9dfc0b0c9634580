"""End to end: `/help` lists the commands its member may use, from the commands the bot
registered; the log at start-up gives the link that invites the bot with what it needs."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import discord

from tests.bot.harness import Harness

ADMIN_ONLY = ["/reindex", "/add", "/remove", "/digest schedule", "/digest unschedule",
              "/conversation autothread", "/conversation forum", "/feed add", "/feed list",
              "/feed remove", "/feed pause"]
EVERYONE = ["/ask", "/sources", "/summary", "/digest show", "/stories", "/help"]


async def help_for(h: Harness, user: str, **options: object) -> dict:
    """The private answer to `/help` sent by `user`."""
    sent = await h.server.send_interaction("help", user=user, **options)
    reply = (await h.server.wait_for(lambda c: c.path == sent.callback_path, timeout=20)).json
    assert reply["type"] == 4 and reply["data"]["flags"] & 64
    return reply["data"]


def listed(data: dict) -> list[str]:
    """The commands a /help answer names, in order (each line starts with `/command`)."""
    return [line.split("`")[1] for line in data["embeds"][0]["description"].splitlines()
            if line.startswith("`/")]


def synced(h: Harness) -> list[str]:
    """Every slash command and subcommand the bot registered with Discord."""
    names = []
    for command in h.server.commands[None]:
        subcommands = [o for o in command.get("options", []) if o["type"] == 1]
        names += [f"/{command['name']} {s['name']}" for s in subcommands] or [f"/{command['name']}"]
    return names


def test_help_lists_what_each_member_may_use_from_the_registered_commands(run):
    async def scenario(h: Harness) -> None:
        admin = await help_for(h, "admin")
        assert sorted(listed(admin)) == sorted(synced(h))  # nothing missing, nothing made up
        assert sorted(listed(admin)) == sorted(EVERYONE + ADMIN_ONLY)
        lines = admin["embeds"][0]["description"].splitlines()
        assert "`/ask` — Ask the indexed articles a question" in lines
        member = await help_for(h, "member")
        assert sorted(listed(member)) == sorted(EVERYONE)
        assert "Server admins have more commands" in member["embeds"][0]["description"]
        assert "mention" in member["embeds"][0]["description"]
        direct = await help_for(h, "member", dm=True)
        assert "/reindex" not in listed(direct) and "/ask" in listed(direct)

    run(scenario, guild_ids=[])  # global commands, offered in DMs too


def test_start_up_logs_the_invite_link_with_the_permissions_the_bot_needs(run, caplog):
    caplog.set_level(logging.INFO, logger="bot.app")

    async def scenario(h: Harness) -> None:
        pass

    server = run(scenario)
    [line] = [r.getMessage() for r in caplog.records if "oauth2/authorize" in r.getMessage()]
    url = line.split()[-1]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://discord.com/oauth2/authorize?")
    assert query["client_id"] == [server.application_id]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == discord.Permissions(
        send_messages=True, send_messages_in_threads=True, create_public_threads=True,
        embed_links=True, read_message_history=True)
