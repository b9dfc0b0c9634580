"""The real discord.py client against the fake Discord server in tests/fake_discord."""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import Call, FakeDiscord, SentInteraction, point_discord_at


class PingView(discord.ui.View):
    """Buttons under /ping's answer: More (UPDATE_MESSAGE), Refresh (deferred update, then an
    @original edit) and 👍 (an ephemeral answer)."""

    def __init__(self, bot: PingBot) -> None:
        super().__init__(timeout=60)
        self.bot = bot

    @discord.ui.button(label="More", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        button.disabled = True
        embed = discord.Embed(title="Pong", description="More details")
        await interaction.response.edit_message(embed=embed, view=self)
        await interaction.followup.send("That is all there is.", ephemeral=True)

    @discord.ui.button(label="Refresh", style=discord.ButtonStyle.secondary)
    async def refresh(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"refreshed by {interaction.user.name}")

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def thanks(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.bot.thanked.append(interaction.user.name)
        await interaction.response.send_message("Thanks!", ephemeral=True)


class PingBot(commands.Bot):
    """A minimal bot: /ping defers then edits with an embed and buttons, /echo answers with a
    file, /add reads an attachment; global /setup is guild-only and needs the Admin role,
    global /about works anywhere."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         help_command=None, guild_ready_timeout=0.1)
        self.guild = discord.Object(guild_id)
        self.errors: list[BaseException] = []
        self.refusals: list[app_commands.CheckFailure] = []
        self.ping_permissions: list[discord.Permissions] = []
        self.thanked: list[str] = []
        self.seen: list[discord.Message] = []
        self.tree.on_error = self.on_tree_error
        for name, description, callback in (("ping", "Check that the bot answers", self.ping),
                                            ("echo", "Echo text back as a file", self.echo),
                                            ("add", "Add an article file", self.add),
                                            ("secret", "Think, then whisper", self.secret)):
            self.tree.add_command(app_commands.Command(
                name=name, description=description, callback=callback), guild=self.guild)
        setup = app_commands.Command(name="setup", description="Admin only", callback=self.setup)
        app_commands.checks.has_role("Admin")(app_commands.guild_only(setup))
        self.tree.add_command(setup)
        self.tree.add_command(app_commands.Command(
            name="about", description="Where am I?", callback=self.about))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before a re-IDENTIFY (discord.py's default, for Discord's limits)."""

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild)
        await self.tree.sync()

    async def ping(self, interaction: discord.Interaction) -> None:
        self.ping_permissions.append(interaction.permissions)
        await interaction.response.defer()
        embed = discord.Embed(title="Pong", description=f"Hello {interaction.user.name}")
        await interaction.edit_original_response(embed=embed, view=PingView(self))

    @app_commands.describe(text="What to echo")
    async def echo(self, interaction: discord.Interaction, text: str) -> None:
        file = discord.File(io.BytesIO(text.encode()), filename="echo.txt")
        await interaction.response.send_message(f"echo: {text}", file=file)
        await interaction.followup.send("done", ephemeral=True)

    async def add(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename}: {file.size} bytes of {file.content_type}, read {len(data)}: "
            f"{data[:6].decode()}")

    async def secret(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)  # public
        await interaction.followup.send("for your eyes only", ephemeral=True)
        await interaction.followup.send("this one really is", ephemeral=True)

    async def setup(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("set up", ephemeral=True)

    async def about(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"guild={interaction.guild} channel={type(interaction.channel).__name__} "
            f"user={type(interaction.user).__name__}")

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author != self.user and self.user in message.mentions:
            await message.reply(f"Hi {message.author.name}, you said: {message.content}")

    async def on_tree_error(self, interaction: discord.Interaction, error: Exception) -> None:
        if isinstance(error, app_commands.CheckFailure):
            self.refusals.append(error)
            await interaction.response.send_message(f"refused: {type(error).__name__}",
                                                    ephemeral=True)
            return
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
    assert sorted(cmd["name"] for cmd in sync.json) == ["add", "echo", "ping", "secret"]
    assert {c["name"] for c in server.commands[server.guild_id]} == {"add", "echo", "ping",
                                                                     "secret"}
    assert {c["name"]: c["contexts"] for c in server.commands[None]} == {
        "setup": [0], "about": None}  # guild_only() syncs contexts [0] (guild)
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


def test_attachment_option_is_resolved_and_downloadable() -> None:
    html = b"<html><body>Sweden joins NATO</body></html>"

    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        upload = server.upload("article.html", html)
        sent = await server.send_interaction("add", {"file": upload}, user="admin")
        data = sent.payload["data"]
        assert data["options"] == [{"name": "file", "type": 11, "value": upload["id"]}]
        resolved = data["resolved"]["attachments"][upload["id"]]
        assert resolved["filename"] == "article.html" and resolved["size"] == len(html)
        assert resolved["content_type"] == "text/html; charset=utf-8" and resolved["ephemeral"]
        callback = await server.wait_for(lambda c: c.path == sent.callback_path)
        size = len(html)
        assert callback.json["data"]["content"] == (
            f"article.html: {size} bytes of text/html; charset=utf-8, read {size}: <html>")
        assert server.downloads == [upload["id"]]
        with pytest.raises(LookupError, match="upload"):
            await server.send_interaction("add", {"file": "12345"})

    run_with_bot(scenario)


def test_buttons_update_the_message_and_answer_ephemerally() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        sent = await server.send_interaction("ping", user="member")
        await server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path)
        mid = sent.original_id
        msg = server.messages[mid]
        buttons = msg["components"][0]["components"]
        assert [b.get("label") or b["emoji"]["name"] for b in buttons] == ["More", "Refresh", "👍"]
        assert server.custom_ids(mid) == [b["custom_id"] for b in buttons]
        count = len(server.messages)

        # More: UPDATE_MESSAGE (7) edits the clicked message; then an ephemeral follow-up.
        more = await server.click(mid, "More")
        assert more.payload["type"] == 3 and more.payload["message"]["id"] == mid
        assert more.payload["data"] == {"custom_id": buttons[0]["custom_id"],
                                        "component_type": 2, "id": buttons[0]["id"]}
        assert more.payload["member"]["user"]["username"] == "member"
        callback = await server.wait_for(lambda c: c.path == more.callback_path)
        assert callback.json["type"] == 7 and callback.status == 200
        followup = await server.wait_for(lambda c: c.path == more.webhook_path)
        assert followup.json["flags"] == 64 and more.original_id == mid
        assert msg["embeds"][0]["description"] == "More details"
        assert msg["components"][0]["components"][0]["disabled"] is True
        assert len(server.messages) == count + 1  # the follow-up; the edit made none
        with pytest.raises(ValueError, match="disabled"):
            await server.click(mid, "More")

        # Refresh: DEFERRED_UPDATE_MESSAGE (6), then @original is the clicked message.
        refresh = await server.click(mid, "Refresh", user="admin")
        callback = await server.wait_for(lambda c: c.path == refresh.callback_path)
        edit = await server.wait_for(
            lambda c: c.method == "PATCH" and c.path == refresh.original_path)
        assert callback.json == {"type": 6} and refresh.original_id == mid
        assert edit.status == 200 and msg["content"] == "refreshed by admin"
        assert msg["embeds"][0]["description"] == "More details"  # untouched by the edit

        # 👍: an ephemeral answer, which replies to the clicked message.
        thanks = await server.click(mid, "👍")
        callback = await server.wait_for(lambda c: c.path == thanks.callback_path)
        assert callback.json["type"] == 4 and callback.json["data"]["flags"] == 64
        reply = server.messages[thanks.original_id]
        assert reply["flags"] == 64 and reply["content"] == "Thanks!" and reply["type"] == 19
        assert reply["interaction_metadata"]["interacted_message_id"] == mid
        assert bot.thanked == ["member"]
        with pytest.raises(LookupError, match="no component"):
            await server.click(mid, "Less")

    run_with_bot(scenario)


def test_dm_interactions_have_no_guild_and_guild_only_commands_refuse() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        with pytest.raises(LookupError, match="does not offer /setup in DMs"):
            await server.send_interaction("setup", dm=True)  # contexts [0]: Discord hides it
        with pytest.raises(LookupError, match="guild command"):
            await server.send_interaction("ping", dm=True)

        # Were it sent anyway, discord.py itself does not enforce guild_only(): has_role does.
        sent = await server.send_interaction("setup", dm=True, force=True, user="admin")
        assert "guild_id" not in sent.payload and "member" not in sent.payload
        assert sent.payload["user"]["id"] == server.users["admin"]["id"]
        assert sent.payload["channel"]["type"] == 1 and sent.payload["context"] == 1
        callback = await server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["data"]["content"] == "refused: NoPrivateMessage"
        assert callback.json["data"]["flags"] == 64
        assert [type(e) for e in bot.refusals] == [app_commands.NoPrivateMessage]

        about = await server.send_interaction("about", dm=True, user="member")
        callback = await server.wait_for(lambda c: c.path == about.callback_path)
        assert callback.json["data"]["content"] == "guild=None channel=DMChannel user=User"
        answer = server.messages[about.original_id]
        assert "guild_id" not in answer
        assert answer["channel_id"] == server.dm_channel("member")["id"]

        in_guild = await server.send_interaction("setup", user="admin")
        callback = await server.wait_for(lambda c: c.path == in_guild.callback_path)
        assert callback.json["data"]["content"] == "set up"

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


def test_first_followup_after_a_public_defer_is_public_whatever_its_flags() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        sent = await server.send_interaction("secret", user="member")
        await server.wait_for(lambda c: c.path == sent.webhook_path and c.status == 200
                              and "really" in c.json["content"])
        first, second = (server.messages[i] for i in sent.message_ids)
        assert first["id"] == sent.original_id  # the follow-up edited the thinking message
        assert first["content"] == "for your eyes only" and first["flags"] == 0  # public!
        assert second["content"] == "this one really is" and second["flags"] == 64
        assert server.public_messages() == [first]

    run_with_bot(scenario)


def test_every_response_has_rate_limit_headers_and_a_burst_waits_instead_of_429() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        channel = bot.get_channel(int(server.channel_id))
        start = len(server.calls)
        await asyncio.gather(*[channel.send(f"burst {i}") for i in range(12)])
        posts = [c for c in server.calls[start:] if is_post_message(c)]
        assert [c.status for c in posts] == [200] * 12  # discord.py waited: no 429
        window = server.rate_limits.window
        assert posts[-1].time - posts[0].time >= 2 * window * 0.9  # three windows of 5

    run_with_bot(scenario)


def test_server_rate_limits_a_client_that_ignores_the_headers() -> None:
    async def main() -> None:
        async with FakeDiscord(rate_limit=(2, 0.5)) as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            messages = f"{server.api_base}/channels/{server.channel_id}/messages"
            answers = []
            for i in range(3):
                async with http.post(messages, json={"content": str(i)}, headers=auth) as r:
                    answers.append((r.status, dict(r.headers), await r.json()))
            [(s1, h1, _), (s2, h2, _), (s3, h3, body)] = answers
            assert (s1, s2, s3) == (200, 200, 429)
            assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"]) == ("2", "1")
            assert h2["X-RateLimit-Remaining"] == "0"
            assert 0 < float(h2["X-RateLimit-Reset-After"]) <= 0.5
            assert h1["X-RateLimit-Bucket"] == h3["X-RateLimit-Bucket"]
            assert h3["Via"] and 0 < body["retry_after"] <= 0.5
            async with http.get(f"{server.api_base}/users/@me") as r:  # even errors carry them
                assert r.status == 401 and "X-RateLimit-Bucket" in r.headers

    asyncio.run(main())


def test_interaction_tokens_expire_after_fifteen_minutes_of_the_server_clock() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        sent = await server.send_interaction("ping", user="member")
        await server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path)
        url = f"{server.api_base}{sent.original_path}"
        async with aiohttp.ClientSession() as http:
            server.advance(14 * 60)
            async with http.patch(url, json={"content": "still mine"}) as r:
                assert r.status == 200
            server.advance(60 + 1)
            async with http.patch(url, json={"content": "too late"}) as r:
                assert r.status == 401 and (await r.json())["code"] == 50027
            async with http.post(f"{server.api_base}{sent.webhook_path}",
                                 json={"content": "too late"}) as r:
                assert r.status == 401
        assert server.messages[sent.original_id]["content"] == "still mine"

    run_with_bot(scenario)


def test_options_discord_would_not_send_are_refused_unless_forced() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        with pytest.raises(ValueError, match="6000"):
            await server.send_interaction("echo", {"text": "x" * 6001})
        with pytest.raises(ValueError, match="needs text"):
            await server.send_interaction("echo", {})
        with pytest.raises(ValueError, match="no option"):
            await server.send_interaction("echo", {"text": "a", "colour": "red"})
        forced = server.interaction_payload("echo", {"text": "y" * 6001}, user="admin", type=2,
                                            focused=None, channel_id=None, force=True)
        assert len(forced["data"]["options"][0]["value"]) == 6001

    run_with_bot(scenario)


def test_autocomplete_answers_are_held_to_25_choices_of_100_characters() -> None:
    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            answers = []
            for choices in ([{"name": f"n{i}", "value": f"v{i}"} for i in range(25)],
                            [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)],
                            [{"name": "long", "value": "v" * 101}],
                            [{"name": "n" * 101, "value": "v"}]):
                token = f"tok{len(answers)}"
                server.interactions[token] = SentInteraction(
                    str(len(answers)), token, server.application_id, {"type": 4}, server.now())
                url = f"{server.api_base}/interactions/{len(answers)}/{token}/callback"
                async with http.post(url, json={"type": 8, "data": {"choices": choices}}) as r:
                    answers.append(r.status)
            assert answers == [200, 400, 400, 400]

    asyncio.run(main())


def test_command_sync_refuses_what_discord_refuses() -> None:
    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {server.token}"}
            url = f"{server.api_base}/applications/{server.application_id}/commands"
            option = {"name": "q", "description": "d", "type": 3, "max_length": 6001}
            command = {"name": "ask", "description": "Ask", "options": [option]}
            async with http.put(url, json=[command], headers=auth) as r:
                assert r.status == 400
                assert "0.options.0.max_length" in (await r.json())["errors"]

    asyncio.run(main())


def test_a_5xx_after_the_message_was_made_duplicates_a_followup_but_not_a_nonced_send() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        channel = bot.get_channel(int(server.channel_id))
        server.fail_next("POST", "/channels/{channel_id}/messages", status=500, after=True)
        await channel.send("sent once")  # discord.py retries the 500 after 1 s, same nonce
        posts = [c for c in server.calls if is_post_message(c)]
        assert [c.status for c in posts] == [500, 200] and posts[0].json["enforce_nonce"]
        server.fail_next("POST", "/webhooks/{webhook_id}/{webhook_token}", status=500,
                         after=True)
        sent = await server.send_interaction("echo", {"text": "hi"})
        await server.wait_for(lambda c: c.path == sent.webhook_path and c.status == 200)
        texts = [server.messages[i]["content"] for i in sent.message_ids]
        assert texts == ["echo: hi", "done", "done"]  # a follow-up has no nonce: doubled
        assert [m["content"] for m in server.public_messages()].count("sent once") == 1

    run_with_bot(scenario)


def test_reconnect_and_invalid_session_lose_and_double_nothing() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        bot_id = server.application_id
        await server.request_reconnect()  # op 7: dispatches wait for the RESUME
        await server.send_message(f"<@{bot_id}> sent while reconnecting")
        await server.wait_connected()
        await server.wait_for(lambda c: is_post_message(c) and "reconnecting" in c.json["content"])
        assert server.resumes == 1 and server.replayed >= 1 and len(server.identifies) == 1

        await server.drop_gateway()  # dropped: RESUME replays from the client's last sequence
        await server.send_message(f"<@{bot_id}> sent while dropped")
        await server.wait_connected()
        await server.wait_for(lambda c: is_post_message(c) and "dropped" in c.json["content"])

        await server.invalidate_session()  # op 9, not resumable: a fresh IDENTIFY
        await server.wait_connected()
        assert len(server.identifies) == 2
        await asyncio.sleep(0.2)  # on_ready again after guild_ready_timeout
        await server.send_message(f"<@{bot_id}> after the new session")
        await server.wait_for(lambda c: is_post_message(c) and "new session" in c.json["content"])
        await asyncio.sleep(0.3)
        replies = [c.json["content"] for c in server.calls if is_post_message(c)]
        assert len(replies) == 3, replies  # each answered once

    run_with_bot(scenario)


def test_threads_on_messages_forum_posts_and_replies_behave_like_discord() -> None:
    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        general = bot.get_channel(int(server.channel_id))
        assert isinstance(bot.get_channel(int(server.forum_id)), discord.ForumChannel)
        msg = await general.send("start here")
        thread = await msg.create_thread(name="Follow-ups")
        assert thread.id == msg.id and thread.parent_id == general.id  # same id as the message
        assert thread.owner_id == bot.user.id and thread.type is discord.ChannelType.public_thread
        await asyncio.sleep(0.05)
        assert bot.get_channel(thread.id) is not None  # THREAD_CREATE reached the cache
        assert server.messages[str(msg.id)]["thread"]["id"] == str(thread.id)
        with pytest.raises(discord.HTTPException) as again:
            await msg.create_thread(name="Twice")
        assert again.value.code == 160004
        inside = await thread.send("in the thread")
        with pytest.raises(discord.HTTPException) as nested:
            await inside.create_thread(name="Nested")
        assert nested.value.code == 50024
        await thread.add_user(discord.Object(int(server.users["member"]["id"])))
        assert server.users["member"]["id"] in server.thread_members[str(thread.id)]

        # Members' messages in the thread: no text without MESSAGE_CONTENT unless they mention.
        await server.send_message("plain", channel_id=str(thread.id))
        await asyncio.sleep(0.1)
        assert bot.seen[-1].channel.id == thread.id and bot.seen[-1].content == ""
        dm = server.dm_channel("member")["id"]  # but a DM keeps its text: DMs are exempt
        await server.send_message("in a DM", channel_id=dm)
        await asyncio.sleep(0.1)
        assert str(bot.seen[-1].channel.id) == dm and bot.seen[-1].content == "in a DM"

        # A reply pings the replied-to author (so the bot sees it) unless ping=False.
        pinged = await server.send_message("a reply", reply_to=str(msg.id))
        assert pinged["type"] == 19 and pinged["referenced_message"]["id"] == str(msg.id)
        quiet = await server.send_message("a quiet reply", reply_to=str(msg.id), ping=False)
        await server.wait_for(lambda c: is_post_message(c) and "a reply" in str(c.json))
        seen = {m.id: m for m in bot.seen}
        assert seen[int(pinged["id"])].content == "a reply"
        assert seen[int(pinged["id"])].reference.message_id == msg.id
        assert seen[int(quiet["id"])].content == ""

        # A forum post: a thread in the forum, then its starter message with the same id.
        post, starter = await server.forum_post("A question", "Its body")
        await asyncio.sleep(0.1)
        forum_thread = bot.get_channel(int(post["id"]))
        assert isinstance(forum_thread, discord.Thread) and forum_thread.name == "A question"
        assert forum_thread.parent_id == int(server.forum_id)
        assert starter["id"] == post["id"] and bot.seen[-1].id == int(post["id"])
        assert bot.seen[-1].content == ""  # not mentioned, no intent
        with pytest.raises(discord.HTTPException) as in_forum:
            await bot.get_partial_messageable(int(server.forum_id)).send("x")
        assert in_forum.value.code == 50024

    server = run_with_bot(scenario)
    assert [t["name"] for t in server.guild_create_payload(0)["threads"]] == ["Follow-ups",
                                                                             "A question"]


# Sharding ------------------------------------------------------------------------------------


class ShardBot(commands.AutoShardedBot):
    """An auto-sharded bot whose global /where answers with its guild and the shard it came
    through."""

    def __init__(self, **shards: object) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(),
                         help_command=None, guild_ready_timeout=0.1, **shards)
        self.errors: list[BaseException] = []
        self.tree.on_error = self.on_tree_error
        self.tree.add_command(app_commands.Command(
            name="where", description="Which shard?", callback=self.where))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause between the shards' IDENTIFYs (Discord's limit, not the fake's)."""

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def where(self, interaction: discord.Interaction) -> None:
        shard = interaction.guild.shard_id if interaction.guild else None
        await interaction.response.send_message(f"guild={interaction.guild_id} shard={shard}")

    async def on_tree_error(self, interaction: discord.Interaction, error: Exception) -> None:
        self.errors.append(error)


def run_sharded(scenario: Callable[[FakeDiscord, ShardBot], Awaitable[None]], *,
                shards: int = 2, live: int | None = None, guilds_per_shard: int | None = None,
                **options: object) -> FakeDiscord:
    """A server with a guild on each of ``shards`` shards (and the first guild wherever its id
    falls), and a ShardBot made with ``options`` (e.g. shard_count=2), ready on the ``live``
    shards it runs (default: all ``shards``)."""

    async def main() -> FakeDiscord:
        async with FakeDiscord() as server:
            server.guilds_per_shard = guilds_per_shard
            for shard in range(shards):
                server.add_guild(f"Guild on shard {shard}", shard=(shard, shards))
            restore = point_discord_at(server.api_base, server.gateway_url)
            bot = ShardBot(**options)
            running = asyncio.create_task(bot.start(server.token))
            try:
                await server.wait_connected(10, shards=live or shards)
                await asyncio.wait_for(bot.wait_until_ready(), 10)
                await scenario(server, bot)
            finally:
                await bot.close()
                await asyncio.wait_for(running, 5)
                restore()
            assert bot.errors == []
            return server

    return asyncio.run(main())


def test_each_shard_gets_ready_and_guild_create_for_its_own_guilds_only() -> None:
    async def scenario(server: FakeDiscord, bot: ShardBot) -> None:
        assert server.live_shards() == [(0, 2), (1, 2)]
        assert sorted(i["shard"] for i in server.identifies) == [[0, 2], [1, 2]]
        for shard in (0, 1):
            session = server.session_of(shard)
            [ready] = session.events("READY")
            assert ready["d"]["shard"] == [shard, 2]
            created = [e["d"]["id"] for e in session.events("GUILD_CREATE")]
            expected = [g for g in server.guilds if (int(g) >> 22) % 2 == shard]
            assert sorted(created) == sorted(expected) and created
            assert [g["id"] for g in ready["d"]["guilds"]] == created
        assert {g.id for g in bot.guilds} == {int(g) for g in server.guilds}
        assert all(g.shard_id == (g.id >> 22) % 2 for g in bot.guilds)

    run_sharded(scenario, shard_count=2)


def test_an_interaction_reaches_only_the_shard_holding_its_guild_and_dms_go_to_shard_0() -> None:
    async def scenario(server: FakeDiscord, bot: ShardBot) -> None:
        for guild_id in server.guilds:
            shard = (int(guild_id) >> 22) % 2
            sent = await server.send_interaction("where", guild_id=guild_id)
            call = await server.wait_for(lambda c, sent=sent: c.path == sent.callback_path)
            assert call.json["data"]["content"] == f"guild={guild_id} shard={shard}"
            delivered = {s.shard[0] for s in server.sessions.values()
                         if any(e["d"]["id"] == sent.id for e in s.events("INTERACTION_CREATE"))}
            assert delivered == {shard}
        dm = await server.send_interaction("where", dm=True)
        call = await server.wait_for(lambda c: c.path == dm.callback_path)
        assert call.json["data"]["content"] == "guild=None shard=None"
        assert [e["d"]["id"] for e in server.session_of(0).events("INTERACTION_CREATE")][-1] \
            == dm.id
        assert dm.id not in [e["d"]["id"] for e in
                             server.session_of(1).events("INTERACTION_CREATE")]

    run_sharded(scenario, shard_count=2)


def test_a_process_running_one_shard_hears_nothing_of_the_other_shards_guilds() -> None:
    async def scenario(server: FakeDiscord, bot: ShardBot) -> None:
        assert server.live_shards() == [(1, 2)]
        assert {g.id for g in bot.guilds} == {int(g) for g in server.guilds
                                             if (int(g) >> 22) % 2 == 1}
        other = next(g for g in server.guilds if (int(g) >> 22) % 2 == 0)
        start = len(server.calls)
        await server.send_interaction("where", guild_id=other)  # shard 0 is not running
        await asyncio.sleep(0.3)
        assert [c.path for c in server.calls[start:]] == []

    run_sharded(scenario, live=1, shard_count=2, shard_ids=[1])


def test_one_shard_dropped_resumes_its_own_session_while_the_other_keeps_answering() -> None:
    async def scenario(server: FakeDiscord, bot: ShardBot) -> None:
        on = {(int(g) >> 22) % 2: g for g in server.guilds if g != server.guild_id}
        first = server.session_of(0)
        await server.request_reconnect(shard=1)  # shard 1 reconnects; shard 0 stays up
        assert server.live_shards() == [(0, 2)]
        missed = await server.send_interaction("where", guild_id=on[1])  # waits for RESUME
        sent = await server.send_interaction("where", guild_id=on[0])
        await server.wait_for(lambda c: c.path == sent.callback_path)
        await server.wait_connected(shards=2)
        call = await server.wait_for(lambda c: c.path == missed.callback_path)
        assert call.json["data"]["content"] == f"guild={on[1]} shard=1"
        assert server.resumes == 1 and server.replayed >= 1
        assert server.session_of(0) is first and len(server.identifies) == 2

    run_sharded(scenario, shard_count=2)


def test_gateway_bot_recommends_shards_and_an_unsharded_client_follows_it() -> None:
    async def scenario(server: FakeDiscord, bot: ShardBot) -> None:
        [call] = [c for c in server.calls if c.path == "/gateway/bot"]
        assert bot.shard_count == 2 and server.live_shards() == [(0, 2), (1, 2)]

    async def main() -> None:
        async with FakeDiscord() as server, aiohttp.ClientSession() as http:
            server.add_guild(shard=(1, 2))
            server.guilds_per_shard = 1  # two guilds: two shards needed
            headers = {"Authorization": f"Bot {server.token}"}
            async with http.get(f"{server.api_base}/gateway/bot", headers=headers) as response:
                body = await response.json()
            assert body["shards"] == 2 and body["url"] == server.gateway_url
            assert body["session_start_limit"]["max_concurrency"] == 1
            assert body["session_start_limit"]["remaining"] == 1000

    asyncio.run(main())
    # Three guilds, at most two a shard: with no shard count discord.py asks /gateway/bot.
    run_sharded(scenario, guilds_per_shard=2)


async def _identify_closes(server: FakeDiscord, shard: object) -> int | None:
    """Open a raw gateway connection, IDENTIFY with ``shard`` and return the close code."""
    async with aiohttp.ClientSession() as http, http.ws_connect(server.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        identify = {"token": server.token, "intents": 0, "properties": {}}
        if shard is not None:
            identify["shard"] = shard
        await ws.send_json({"op": 2, "d": identify})
        while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            if msg.json()["op"] == 0:
                return None  # dispatched READY: accepted
        return ws.close_code


def test_an_invalid_shard_closes_4010_and_too_many_guilds_for_one_shard_4011() -> None:
    async def main() -> None:
        async with FakeDiscord() as server:
            for bad in ([2, 2], [-1, 2], [0, 0], [0], ["0", "2"]):
                assert await _identify_closes(server, bad) == 4010, bad
            assert await _identify_closes(server, [1, 2]) is None
            server.add_guild(shard=(1 - (int(server.guild_id) >> 22) % 2, 2))
            server.guilds_per_shard = 1
            assert await _identify_closes(server, None) == 4011  # two guilds on one shard
            assert await _identify_closes(server, [0, 2]) is None  # one guild a shard

    asyncio.run(main())


def test_channel_overwrites_combine_as_discord_computes_them_and_refuse_sends() -> None:
    """@everyone's overwrite, then the roles' together, then the member's own, each deny
    before its allow; discord.py computes the same from CHANNEL_UPDATE, and a send the bot
    may not make is refused with 403 (50013 Missing Permissions)."""
    send = 1 << 11

    async def scenario(server: FakeDiscord, bot: PingBot) -> None:
        channel_id, bot_id = server.channel_id, server.users["bot"]["id"]

        async def may_send(expected: bool) -> None:
            await asyncio.sleep(0.1)  # CHANNEL_UPDATE reaches the client
            assert bool(server.channel_permissions_of(bot_id, channel_id) & send) is expected
            channel = bot.get_channel(int(channel_id))
            assert channel.permissions_for(channel.guild.me).send_messages is expected

        await may_send(True)
        await server.set_channel_permissions(channel_id, "everyone", deny=send)
        await may_send(False)
        with pytest.raises(discord.Forbidden) as refused:
            await bot.get_channel(int(channel_id)).send("hello")
        assert refused.value.code == 50013
        await server.set_channel_permissions(channel_id, server.bot_role_id, allow=send)
        await may_send(True)  # a role's allow overrides @everyone's deny
        await bot.get_channel(int(channel_id)).send("hello")
        await server.set_channel_permissions(channel_id, "bot", deny=send)
        await may_send(False)  # the member's own deny overrides its roles' allow
        assert server.channel_permissions_of(server.users["admin"]["id"], channel_id) & send == 0

    run_with_bot(scenario)
