"""Running the real bot against the fake Discord server, for end-to-end tests."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import BriefingBot, point_at_discord
from bot.settings import Settings
from index import BriefingIndex
from index.ingest.embedding import Embedder
from tests.fake_discord import FakeDiscord, SentInteraction


@dataclass
class Harness:
    """What a scenario gets: the server, the running bot and its folders.

    ``await h.restart()`` stops the bot and starts a new one on the same settings, index and
    server (the server keeps its messages and threads, as Discord would)."""

    server: FakeDiscord
    bot: BriefingBot
    corpus: Path
    errors: list[logging.LogRecord]
    restart: Callable[[], Awaitable[None]] = None  # type: ignore[assignment]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_scenario(scenario: Callable[[Harness], Awaitable[None]], *, workdir: Path,
                 seed_index: BriefingIndex, embedder: Embedder, corpus: Path,
                 expect_errors: bool = False, server_options: dict | None = None,
                 **settings: object) -> FakeDiscord:
    """Copy the built seed index, start server and bot, run `scenario`, stop both."""
    index_dir = workdir / "index"
    if not index_dir.exists():
        shutil.copytree(seed_index.backend.index_dir, index_dir)
    collector = _Collect()
    logging.getLogger().addHandler(collector)

    async def main() -> FakeDiscord:
        async with FakeDiscord(**(server_options or {})) as server:
            values = {"corpus_dir": corpus, "index_dir": index_dir,
                      "feedback_db": workdir / "feedback.sqlite",
                      "schedules_db": workdir / "schedules.sqlite",
                      "conversations_db": workdir / "conversations.sqlite",
                      "feeds_db": workdir / "feeds.sqlite",
                      "discord_token": server.token, "discord_api_base": server.api_base,
                      "discord_gateway_url": server.gateway_url,
                      "guild_ids": [int(server.guild_id)], "fetch_allow_loopback": True,
                      "ask_per_minute": 0}
            config = Settings(**{**values, **settings})
            restore_base = _current_targets()
            point_at_discord(config.discord_api_base, config.discord_gateway_url)
            index = BriefingIndex(index_dir, embedder=embedder,
                                  gate_threshold=config.gate_threshold,
                                  max_question_chars=config.max_question_chars)
            harness = Harness(server, None, corpus, collector.records)  # type: ignore[arg-type]
            running: list[asyncio.Task] = []

            async def start() -> None:
                harness.bot = BriefingBot(config, index=index, guild_ready_timeout=0.1)
                # Logged in before waiting: from Python 3.12 wait_for runs wait_until_ready at
                # once, which raises when no login has begun.
                await asyncio.wait_for(harness.bot.login(server.token), 30)
                running.append(asyncio.create_task(harness.bot.connect()))
                await asyncio.wait_for(harness.bot.wait_until_ready(), 30)

            async def stop() -> None:
                await harness.bot.close()
                await asyncio.wait_for(running.pop(), 10)

            async def restart() -> None:
                await stop()
                await start()

            harness.restart = restart
            try:
                await start()
                await scenario(harness)
            finally:
                if running:
                    await stop()
                point_at_discord(*restore_base)
            return server

    try:
        server = asyncio.run(main())
    finally:
        logging.getLogger().removeHandler(collector)
    if not expect_errors:
        assert [r.getMessage() for r in collector.records] == []
    return server


async def answer_of(server: FakeDiscord, sent: SentInteraction, *, timeout: float = 20.0,
                    start: int = 0) -> dict[str, Any]:
    """The message that answers ``sent``, as its user sees it once the bot has answered: the
    response edited past "thinking…" (or a follow-up). ``flags & 64``: only they see it."""
    call = await server.wait_for(
        lambda c: c.status == 200 and ((c.method == "PATCH" and c.path == sent.original_path)
                                       or (c.method == "POST" and c.path == sent.webhook_path)),
        timeout, start=start)
    if call.method == "PATCH":
        return server.messages[sent.original_id]
    return server.messages[sent.message_ids[-1]]


def public_text(server: FakeDiscord) -> str:
    """Everything the channel can read: content and embeds of its public messages."""
    return "\n".join(f"{m['content']} {m['embeds']}" for m in server.public_messages())


def _current_targets() -> tuple[str, str]:
    import discord

    return discord.http.Route.BASE, str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


def failing_worker(*messages: dict, status: int = 1) -> list[str]:
    """A reindex process that prints `messages` (JSON lines) and exits with `status`."""
    lines = "".join(f"print(json.dumps({m!r}), flush=True)\n" for m in messages)
    return [sys.executable, "-c", f"import json, sys\n{lines}sys.exit({status})"]
