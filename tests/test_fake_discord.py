"""The real discord.py client against the fake Discord server in tests/fake_discord."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import Call, FakeDiscord, point_discord_at


class PingBot(commands.Bot):
    """A minimal bot: /ping defers then edits with an embed, /echo answers with a file."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         help_command=None, guild_ready_timeout=0.1)
        self.guild = discord.Object(guild_id)
        self.errors: list[BaseException] = []
        self.ping_permissions: list[discord.Permissions] = []
        self.seen: list[discord.Message] = []
        self.tree.on_error = self.on_tree_error
        self.tree.add_command(app_commands.Command(
            name="ping", description="Check that the bot answers", callback=self.ping),
            guild=self.guild)
        self.tree.add_command(app_commands.Command(
            name="echo", description="Echo text back as a file", callback=self.echo),
            guild=self.guild)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)

    async def ping(self, interaction: discord.Interaction) -> None:
        self.ping_permissions.append(interaction.permissions)
        await interaction.response.defer()
        embed = discord.Embed(title="Pong", description=f"Hello {interaction.user.name}")
        await interaction.edit_original_response(embed=embed)

    @app_commands.describe(text="What to echo")
    async def echo(self, interaction: discord.Interaction, text: str) -> None:
        file = discord.File(io.BytesIO(text.encode()), filename="echo.txt")
        await interaction.response.send_message(f"echo: {text}", file=file)
        await interaction.followup.send("done", ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author != self.user and self.user in message.mentions:
            await message.reply(f"Hi {message.author.name}, you said: {message.content}")

    async def on_tree_error(self, interaction: discord.Interaction, error: Exception) -> None:
        self.errors.append(error)

    async def on_error(self, event: str, *args: object, **kwargs: object) -> None:
        self.errors.append(sys.exc_info()[1])


def run_with_bot(scenario: Callable[[FakeDiscord, PingBot], Awaitable[None]]) -> FakeDiscord:
    """Start the fake server and the bot, run ``scenario``, stop both; return the server."""

    async def main() -> FakeDiscord:
        async with FakeDiscord() as server:
            restore = point_discord_at(server.api_base, server.gateway_url)
            bot = PingBot(int(server.guild_id))
            running = asyncio.create_task(bot.start(server.token))
            ready = asyncio.create_task(bot.wait_until_ready())
            try:
                await asyncio.wait({ready, running}, timeout=5,
                                   return_when=asyncio.FIRST_COMPLETED)
                if running.done():
                    running.result()  # login or connect failed: raise it
                assert ready.done(), "bot did not become ready"
                await scenario(server, bot)
            finally:
                ready.cancel()
                await bot.close()
                await asyncio.wait_for(running, 5)  # start() returns cleanly after close()
                restore()
            assert bot.errors == []
            await asyncio.sleep(0.05)  # let the server see the close frame
            assert not server.is_live()
            return server

    return asyncio.run(main())


def is_post_message(call: Call) -> bool:
    return call.method == "POST" and call.route == "/channels/{channel_id}/messages"


def test_login_identify_and_command_sync() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        guild = bot.get_guild(int(server.guild_id))
        assert guild is not None and guild.default_role.id == guild.id
        assert guild.me is not None and guild.text_channels[0].name == "general"
        assert guild.get_role(int(server.admin_role_id)).permissions.manage_guild
        assert guild.get_member(int(server.users["admin"]["id"])) is None  # no members intent

    server = run_with_bot(scenario)
    paths = [(c.method, c.path) for c in server.calls]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert server.calls[0].headers["Authorization"] == "Bot fake-token"
    assert server.calls[0].status == 200
    sync = next(c for c in server.calls if c.method == "PUT")
    assert sync.route == "/applications/{application_id}/guilds/{guild_id}/commands"
    assert sorted(cmd["name"] for cmd in sync.json) == ["echo", "ping"]
    assert {c["name"] for c in server.commands[server.guild_id]} == {"echo", "ping"}
    assert len(server.identifies) == 1 and server.identifies[0]["token"] == "fake-token"
    assert not server.identifies[0]["intents"] & (1 << 15)  # default intents: no message content
    assert server.heartbeats >= 1  # discord.py beats right after HELLO


def test_ping_defers_then_edits_original_with_embed() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        sent = await server.send_interaction("ping", user="member")
        callback = await server.wait_for(lambda c: c.path == sent.callback_path)
        edit = await server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path)
        assert callback.json["type"] == 5 and callback.status == 200
        assert callback.query == {"with_response": "1"}
        assert callback.time - sent.created < 1.0
        assert edit.route == "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        assert edit.status == 200 and edit.time >= callback.time
        assert edit.json["embeds"][0]["title"] == "Pong"
        assert edit.json["embeds"][0]["description"] == "Hello member"
        original = server.messages[sent.message_ids[0]]
        assert original["embeds"][0]["title"] == "Pong" and original["flags"] == 0
        admin = await server.send_interaction("ping", user="admin")
        await server.wait_for(lambda c: c.method == "PATCH" and c.path == admin.original_path)
        assert [p.manage_guild for p in bot.ping_permissions] == [False, True]

    run_with_bot(scenario)


def test_echo_sends_file_and_followup() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        sent = await server.send_interaction("echo", {"text": "hello"})
        assert sent.payload["data"]["options"] == [{"name": "text", "type": 3, "value": "hello"}]
        callback = await server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["type"] == 4 and callback.json["data"]["content"] == "echo: hello"
        assert [(f.filename, f.data) for f in callback.files] == [("echo.txt", b"hello")]
        followup = await server.wait_for(lambda c: c.path == sent.webhook_path)
        assert followup.json["content"] == "done" and followup.json["flags"] == 64
        assert followup.status == 200 and len(sent.message_ids) == 2

    run_with_bot(scenario)


def test_mention_gets_a_reply_and_other_messages_have_no_content() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        await server.send_message("no mention here")
        asked = await server.send_message(f"<@{server.application_id}> hello bot")
        post = await server.wait_for(is_post_message)
        assert str(post.json["message_reference"]["message_id"]) == asked["id"]  # sent as int
        assert post.json["content"] == f"Hi member, you said: <@{server.application_id}> hello bot"
        assert [m.content for m in bot.seen[:2]] == ["", asked["content"]]
        reply = server.messages[max(server.messages, key=int)]
        assert reply["type"] == 19 and reply["referenced_message"]["id"] == asked["id"]

    server = run_with_bot(scenario)
    assert len([c for c in server.calls if is_post_message(c)]) == 1


def test_rate_limit_is_retried_and_gateway_resumes() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        await server.drop_gateway()
        await server.wait_connected()
        assert server.resumes == 1 and server.connections == 2
        server.fail_next("POST", "/channels/{channel_id}/messages", status=429, retry_after=0.05)
        start = len(server.calls)
        await server.send_message(f"<@{server.application_id}> again")
        ok = await server.wait_for(lambda c: is_post_message(c) and c.status == 200, start=start)
        posts = [c for c in server.calls[start:] if is_post_message(c)]
        assert [c.status for c in posts] == [429, 200]
        assert ok.time - posts[0].time >= 0.05  # discord.py waited retry_after

    run_with_bot(scenario)


def test_server_answers_like_discord() -> None:
    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            messages = f"{server.api_base}/channels/{server.channel_id}/messages"
            async with http.get(f"{server.api_base}/users/@me", headers=auth) as r:
                assert r.headers["Content-Type"] == "application/json"  # no charset
                assert (await r.json())["id"] == server.application_id
            async with http.get(f"{server.api_base}/users/@me") as r:
                assert r.status == 401
            async with http.post(messages, json={"content": "x" * 2001}, headers=auth) as r:
                assert r.status == 400 and (await r.json())["code"] == 50035
            async with http.post(messages, json={"content": ""}, headers=auth) as r:
                assert r.status == 400 and (await r.json())["code"] == 50006
            async with http.get(f"{server.api_base}/no/such/route", headers=auth) as r:
                assert r.status == 404
            assert [c.status for c in server.calls] == [200, 401, 400, 400, 404]
            assert server.calls[-1].route == "/no/such/route"

    asyncio.run(main())
