"""Sharding: BRIEFING_SHARD_COUNT and BRIEFING_SHARD_IDS, and two `briefing bot` processes on
shards 0 and 1 of 2 against one fake Discord, sharing one index folder and one state."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from discord.ext import commands

from bot.app import BriefingBot, ShardedBriefingBot, shard_of
from bot.feeds.poll import Poller, PollOptions
from bot.feeds.store import Feed, FeedStore
from bot.fetch import FetchPolicy
from bot.schedules import ScheduleStore
from bot.settings import Settings, SettingsError, load_settings
from tests.bot.digest_clock import posted_at
from tests.bot.feed_server import FeedServer, Item, rss
from tests.bot.harness import answer_of
from tests.bot.test_startup import START_BOT, bot_env, serving
from tests.fake_discord import FakeDiscord
from tests.postgres import fresh_database
from tests.support import ROOT

SWEDEN = "Why did Erdoğan approve Sweden?"
CHANNEL_POSTS = "/channels/{channel_id}/messages"
STORES = ("feedback", "schedules", "conversations", "feeds")


@pytest.mark.parametrize(("ids", "count", "expected"), [
    ("0,1", "2", [0, 1]), ("0-3", "4", [0, 1, 2, 3]), ("1", "2", [1]),
    ("2-3, 0", "4", [0, 2, 3]), ("[1]", "2", [1]), ("", "3", None)])
def test_shard_ids_are_a_list_or_a_range(monkeypatch, tmp_path, ids, count, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFING_SHARD_IDS", ids)
    monkeypatch.setenv("BRIEFING_SHARD_COUNT", count)
    settings = load_settings()
    assert (settings.shard_count, settings.shard_ids) == (int(count), expected)


@pytest.mark.parametrize(("ids", "count", "problem"), [
    ("0", None, "BRIEFING_SHARD_IDS: Value error, needs BRIEFING_SHARD_COUNT"),
    ("2", "2", "BRIEFING_SHARD_IDS: Value error, shard 2 is outside 0-1"),
    ("x", "2", "BRIEFING_SHARD_IDS: Value error, 'x' is not a shard id or range"),
    # digits other than 0-9 (Arabic-Indic here) were read as numbers, as BRIEFING_GUILD_IDS
    # once read them
    ("٠,١", "2", "BRIEFING_SHARD_IDS: Value error, '٠' is not a shard id or range"),
    ("0-١", "2", "BRIEFING_SHARD_IDS: Value error, '0-١' is not a shard id or range"),
    ("3-1", "4", "the range 3-1 runs backwards"),
    # a typo'd range was expanded first: 10 GB and a minute, or a MemoryError traceback
    ("0-99999999999999", "2", "shard 99999999999999 is beyond any shard count"),
    (None, "0", "BRIEFING_SHARD_COUNT: Input should be greater than or equal to 1")])
def test_bad_shard_settings_are_one_line_naming_the_variable(monkeypatch, tmp_path, ids, count,
                                                             problem):
    monkeypatch.chdir(tmp_path)
    for name, value in (("BRIEFING_SHARD_IDS", ids), ("BRIEFING_SHARD_COUNT", count)):
        if value is not None:
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert problem in str(err.value) and "\n" not in str(err.value)


def make_bot(tmp_path: Path, **shards: object) -> BriefingBot:
    """A BriefingBot that is never started (no index is needed for that)."""
    settings = Settings(**{f"{name}_db": tmp_path / f"{name}.sqlite" for name in STORES},
                        **shards)
    return BriefingBot(settings, index=object())  # type: ignore[arg-type]


def test_without_shard_settings_the_bot_is_a_plain_unsharded_bot(tmp_path):
    bot = make_bot(tmp_path)
    assert type(bot) is BriefingBot and not isinstance(bot, discord.AutoShardedClient)
    assert bot.shard_count is None
    assert bot.holds_guild(None) and bot.holds_guild(1 << 22) and bot.holds_guild(2 << 22)


def test_shard_settings_make_an_auto_sharded_bot_that_holds_only_its_shards_guilds(tmp_path):
    bot = make_bot(tmp_path, shard_count=4, shard_ids=[1, 2])
    assert isinstance(bot, ShardedBriefingBot) and isinstance(bot, commands.AutoShardedBot)
    assert (bot.shard_count, bot.shard_ids) == (4, [1, 2])
    assert [bot.holds_guild(shard << 22 | 12345) for shard in range(6)] == [
        False, True, True, False, False, True]
    assert not bot.holds_guild(None)  # DMs and guild-less feeds belong to shard 0
    every = make_bot(tmp_path / "all", shard_count=2)  # no ids: all the shards
    assert every.holds_guild(None) and every.holds_guild(1 << 22)
    assert shard_of(5 << 22, 3) == 2 and shard_of(None, 3) == 0


def test_a_sharded_process_polls_and_so_posts_only_the_feeds_of_its_guilds(tmp_path):
    store = FeedStore(tmp_path / "feeds.sqlite")
    try:
        for name, guild in (("zero", 0 << 22 | 7), ("one", 1 << 22 | 7), ("none", None)):
            store.add(Feed(f"http://127.0.0.1:9/{name}.xml", guild, None if guild is None else
                           guild + 1, "", "", True, False, 600.0))
        policy = FetchPolicy(allow_loopback=True, timeout_s=5)
        holds = make_bot(tmp_path, shard_count=2, shard_ids=[1]).holds_guild
        poller = Poller(store, tmp_path / "corpus", PollOptions(policy, policy), holds=holds)
        report = asyncio.run(poller.poll())
        assert report.feeds == 1 and [url for url, _ in report.errors] == [
            "http://127.0.0.1:9/one.xml"]  # nothing listens on port 9
        everyone = Poller(store, tmp_path / "corpus", PollOptions(policy, policy))
        assert asyncio.run(everyone.poll()).feeds == 3  # the CLI: every feed
    finally:
        store.close()


def test_a_bot_too_large_for_one_connection_is_told_to_shard_in_one_line(tmp_path):
    server = FakeDiscord()
    server.add_guild()  # two servers, one a connection: Discord closes with 4011
    server.guilds_per_shard = 1
    with serving(server):
        env = bot_env(tmp_path, BRIEFING_DISCORD_TOKEN=server.token,
                      BRIEFING_DISCORD_API_BASE=server.api_base,
                      BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url)
        result = subprocess.run([sys.executable, "-c", START_BOT], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "briefing: Discord says the bot is in too many servers for one connection: set "
        "BRIEFING_SHARD_COUNT")


@pytest.fixture(params=["sqlite", "postgres"])
def shared_state(request, tmp_path) -> dict[str, str]:
    """The state both processes share: the same SQLite files, or one PostgreSQL database."""
    if request.param == "sqlite":
        return {f"BRIEFING_{name.upper()}_DB": str(tmp_path / f"{name}.sqlite")
                for name in STORES}
    return {"BRIEFING_DATABASE_URL": fresh_database(request.getfixturevalue("postgres_url"))}


def bot_process(server: FakeDiscord, workdir: Path, shard: int, state: dict[str, str],
                index_dir: Path, corpus: Path, **settings: str
                ) -> tuple[subprocess.Popen, Path]:
    """`briefing bot` on shard `shard` of 2 (more `BRIEFING_*` settings in `settings`); its
    output goes to a log file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(state, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               BRIEFING_SECRETS_DIR="/nonexistent", BRIEFING_CORPUS_DIR=str(corpus),
               BRIEFING_INDEX_DIR=str(index_dir), BRIEFING_DISCORD_TOKEN=server.token,
               BRIEFING_DISCORD_API_BASE=server.api_base,
               BRIEFING_DISCORD_GATEWAY_URL=server.gateway_url,
               BRIEFING_SHARD_COUNT="2", BRIEFING_SHARD_IDS=str(shard),
               BRIEFING_DIGEST_CHECK_S="0.2", BRIEFING_ASK_PER_MINUTE="0", **settings)
    log = workdir / f"shard{shard}.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "bot"], env=env, cwd=workdir,
                                   stdout=out, stderr=subprocess.STDOUT)
    return process, log


def stop(processes: list[subprocess.Popen]) -> None:
    """Terminate the bot processes, killing any that has not exited 30 s later."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def delivered_to(server: FakeDiscord, interaction_id: str) -> set[int]:
    """The shards whose session received the interaction."""
    return {s.shard[0] for s in server.sessions.values()
            if any(e["d"]["id"] == interaction_id for e in s.events("INTERACTION_CREATE"))}


def test_two_processes_on_two_shards_each_answer_their_own_guild_and_post_a_digest_once(
        tmp_path, seed_index, corpus_copy, shared_state):
    index_dir = tmp_path / "index"  # one index folder, read by both processes
    shutil.copytree(seed_index.backend.index_dir, index_dir)
    database_url = shared_state.get("BRIEFING_DATABASE_URL")
    logs: list[Path] = []

    async def main() -> None:
        async with FakeDiscord(ack_deadline=None) as server:
            server.add_guild("Second", shard=(1 - shard_of(int(server.guild_id), 2), 2))
            guild_on = {shard_of(int(g), 2): g for g in server.guilds}
            assert sorted(guild_on) == [0, 1]
            processes = []
            for shard in (0, 1):
                process, log = bot_process(server, tmp_path, shard, shared_state, index_dir,
                                           corpus_copy)
                processes.append(process)
                logs.append(log)
            try:
                await server.wait_connected(90, shards=2)
                assert sorted(i["shard"] for i in server.identifies) == [[0, 2], [1, 2]]
                for shard, guild in guild_on.items():
                    assert [e["d"]["id"] for e in server.session_of(shard).events(
                        "GUILD_CREATE")] == [guild]
                    sent = await server.send_interaction("ask", {"question": SWEDEN},
                                                         guild_id=guild, user="member")
                    answer = await answer_of(server, sent, timeout=60)
                    assert answer["embeds"][0]["title"] == SWEDEN
                    assert answer["channel_id"] == server.guild_of(guild).channel_id
                    assert delivered_to(server, sent.id) == {shard}

                for guild in guild_on.values():
                    channel = server.guild_of(guild).channel_id
                    sent = await server.send_interaction(
                        "digest", {"schedule": {"channel": channel, "time": "08:00"}},
                        guild_id=guild)
                    reply = await server.wait_for(lambda c, s=sent: c.path == s.callback_path)
                    assert "every day at 08:00 UTC" in reply.json["data"]["content"]
                # Stored by the process holding each guild, in the one state both read; made
                # due now (the last post two days ago): each digest is posted once.
                store = ScheduleStore(tmp_path / "schedules.sqlite", database_url=database_url)
                try:
                    assert sorted(s.guild_id for s in store.all()) == sorted(
                        int(g) for g in guild_on.values())
                    start = len(server.calls)
                    for guild in guild_on.values():
                        posted_at(store, int(guild), datetime.now(UTC) - timedelta(days=2))
                finally:
                    store.close()
                channels = sorted(server.guild_of(g).channel_id for g in guild_on.values())
                for channel in channels:
                    await server.wait_for(lambda c, ch=channel: c.route == CHANNEL_POSTS
                                          and c.path == f"/channels/{ch}/messages",
                                          timeout=30, start=start)
                await asyncio.sleep(1.5)  # several more checks by both processes
                posts = [c for c in server.calls[start:] if c.route == CHANNEL_POSTS]
                assert sorted(c.path.split("/")[2] for c in posts) == channels
                assert all(c.json["embeds"][0]["title"].startswith("Digest:") for c in posts)
            finally:
                stop(processes)

    asyncio.run(main())
    for shard, log in enumerate(logs):
        text = log.read_text(encoding="utf-8")
        assert f"running shards {shard} of 2" in text, text
        assert "is gone" not in text and "Traceback" not in text, text


def test_a_feed_added_from_the_command_line_is_posted_by_the_process_holding_its_channel(
        tmp_path, seed_index, corpus_copy):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index.backend.index_dir, index_dir)
    state = {f"BRIEFING_{name.upper()}_DB": str(tmp_path / f"{name}.sqlite") for name in STORES}
    cli_env = {**{k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")},
               **state, "PYTHONPATH": str(ROOT)}
    logs: list[Path] = []

    async def main(site: FeedServer) -> None:
        async with FakeDiscord(ack_deadline=None) as server:
            on_one = server.add_guild("Second", shard=(1, 2))  # a guild of shard 1 only
            if shard_of(int(server.guild_id), 2) == 1:
                server.add_guild("Third", shard=(0, 2))
            channel = server.guild_of(on_one).channel_id
            added = subprocess.run(  # the command line cannot know the channel's guild
                [sys.executable, "-m", "bot", "feed", "add", f"{site.base}/rss.xml",
                 "--channel", channel], env=cli_env, cwd=tmp_path, capture_output=True,
                text=True, timeout=120)
            assert added.returncode == 0, added.stderr
            processes = []
            for shard in (0, 1):
                process, log = bot_process(server, tmp_path, shard, state, index_dir,
                                           corpus_copy, BRIEFING_FEED_CHECK_S="0.2",
                                           BRIEFING_FETCH_ALLOW_LOOPBACK="true")
                processes.append(process)
                logs.append(log)
            try:
                await server.wait_connected(90, shards=2)
                post = await server.wait_for(
                    lambda c: c.route == CHANNEL_POSTS and c.path == f"/channels/{channel}"
                    "/messages", timeout=120)
                # what the feed held when added: one line, from the process of the channel
                assert post.json["content"].startswith("Now following http\\://127.0.0.1")
                assert ": 1 recent item indexed" in post.json["content"]
            finally:
                stop(processes)
        store = FeedStore(Path(state["BRIEFING_FEEDS_DB"]))
        try:
            assert [f.guild_id for f in store.all()] == [int(on_one)]  # stored by shard 0
        finally:
            store.close()

    with FeedServer() as site:
        site.pages("tugboats")
        site.text("/rss.xml", rss([Item("tugboats", "/news/tugboats.html", guid="t1",
                                        published=datetime.now(UTC) - timedelta(hours=1))],
                                  site.base), "application/rss+xml")
        asyncio.run(main(site))
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "is gone" not in text and "Traceback" not in text, text

