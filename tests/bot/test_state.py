"""The bot's state in SQLite or PostgreSQL: hostile text, snowflakes, one claim per digest
among processes, one feed poll at a time, and one-line errors for a database out of reach."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import discord
import pytest

from bot.conversations import ConversationStore
from bot.feedback import FeedbackLog
from bot.feeds import poll as feed_poll
from bot.feeds.store import ARTICLE, Feed, FeedStore
from bot.schedules import ScheduleStore
from bot.settings import Settings
from bot.statedb import StateDB, StateUnavailable, scrub
from index import Digest, DigestEntry, Turn
from index.store.postgres.connection import describe
from tests.bot.digest_clock import posted_at
from tests.postgres import fresh_database
from tests.support import ROOT

NASTY = "Robert'); DROP TABLE feedback;-- \"quoted\" 100% ?, %s and a NUL \x00 here"
SNOWFLAKE = 2**63 - 1  # Discord ids need all 64 bits
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def stored(text: str, state_url: str | None) -> str:
    """What comes back: PostgreSQL text cannot hold NUL, which it keeps as U+FFFD."""
    return text if state_url is None else text.replace("\x00", "\ufffd")


def due_schedule(path, state_url, guild_id: int = SNOWFLAKE) -> ScheduleStore:
    """A store holding one schedule whose digest is due at NOW."""
    store = ScheduleStore(path, database_url=state_url)
    store.set(guild_id, SNOWFLAKE - 1, "08:00")
    posted_at(store, guild_id, NOW - timedelta(days=1))
    return store


def test_hostile_text_and_snowflakes_round_trip(tmp_path, state_url):
    log = FeedbackLog(tmp_path / "feedback.sqlite", database_url=state_url)
    log.record(NASTY, ["p1", "p;--2"], "abc'", 1)
    assert log.votes() == [(stored(NASTY, state_url), "p1 p;--2", "abc'", 1)]
    log.close()

    conversations = ConversationStore(tmp_path / "c.sqlite", ttl_s=60, max_turns=3,
                                      max_conversations=5, database_url=state_url)
    turn = Turn(NASTY, True, (("a'; DROP TABLE conversations;--", (1,)),))
    conversations.add(SNOWFLAKE, turn)
    assert conversations.turns(SNOWFLAKE) == [turn]  # JSON keeps even the NUL as \u0000
    conversations.close()

    feeds = FeedStore(tmp_path / "feeds.sqlite", database_url=state_url)
    url = "https://example.org/feed?q=1';--"
    assert feeds.add(Feed(url, SNOWFLAKE, SNOWFLAKE, NASTY, "", True, False, 60.0))
    assert feeds.get(url).include == stored(NASTY, state_url)
    assert [f.url for f in feeds.all(SNOWFLAKE)] == [url]
    feeds.add_item(url, NASTY, url, "article", NASTY, "fp", ARTICLE, b"\x00\x01;--")
    found = feeds.find_item(NASTY, "", url)  # a NUL in the key finds what it stored
    assert found is not None and found.title == stored(NASTY, state_url)
    assert feeds.signatures() == [("article", b"\x00\x01;--")]  # bytes keep their NULs
    feeds.close()

    schedules = due_schedule(tmp_path / "s.sqlite", state_url)
    [schedule] = schedules.all()
    assert (schedule.guild_id, schedule.channel_id) == (SNOWFLAKE, SNOWFLAKE - 1)
    schedules.close()


def test_a_due_digest_is_claimed_once_and_released_when_posting_fails(tmp_path, state_url):
    store = due_schedule(tmp_path / "s.sqlite", state_url)
    claimed = store.claim(SNOWFLAKE, NOW)
    assert claimed is not None and claimed.since(NOW) == NOW - timedelta(days=1)
    assert store.claim(SNOWFLAKE, NOW) is None  # taken: not due any more
    assert store.claim(SNOWFLAKE, NOW + timedelta(minutes=5)) is None
    store.release(claimed, NOW)  # the post failed: due again, covering the same span
    again = store.claim(SNOWFLAKE, NOW + timedelta(minutes=1))
    assert again is not None and again.since(NOW) == NOW - timedelta(days=1)
    assert store.claim(SNOWFLAKE, NOW + timedelta(days=1)) is not None  # the next day's
    assert store.claim(404, NOW) is None  # no such schedule
    store.set(7, 8, "08:00")
    assert store.claim(7, datetime.now(UTC)) is None  # a new schedule starts at the next slot
    store.close()


def test_stores_on_their_own_connections_race_for_a_digest_and_one_wins(tmp_path,
                                                                         state_url):
    due_schedule(tmp_path / "s.sqlite", state_url).close()
    stores = [ScheduleStore(tmp_path / "s.sqlite", database_url=state_url) for _ in range(6)]
    start = threading.Barrier(len(stores))
    wins: list[bool] = []

    def race(store: ScheduleStore) -> None:
        start.wait()
        wins.append(store.claim(SNOWFLAKE, NOW) is not None)

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(wins) == [False] * 5 + [True]
    for store in stores:
        store.close()


CLAIMER = """
import sys
from datetime import datetime
from bot.schedules import ScheduleStore
from bot.settings import Settings
store = ScheduleStore(sys.argv[1], database_url=sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
for guild in range(1, 21):
    if store.claim(guild, datetime.fromisoformat(sys.argv[3])) is not None:
        print(guild, flush=True)
"""


def test_two_bot_processes_never_both_post_a_digest(tmp_path, postgres_url):
    url = fresh_database(postgres_url)
    store = ScheduleStore(tmp_path / "unused.sqlite", database_url=url)
    for guild in range(1, 21):
        store.set(guild, 100 + guild, "08:00")
        posted_at(store, guild, NOW - timedelta(days=1))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(tmp_path / "x.sqlite"),
                                   url, NOW.isoformat()], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
                 for _ in range(2)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:  # both go at once
        process.stdin.write("go\n")
        process.stdin.flush()
    claimed = [process.communicate(timeout=60)[0].split() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert sorted(int(g) for g in claimed[0] + claimed[1]) == list(range(1, 21))
    assert all(s.last_posted == NOW.isoformat() for s in store.all())
    store.close()


def test_one_process_polls_the_feeds_at_a_time(tmp_path, postgres_url, monkeypatch):
    url = fresh_database(postgres_url)
    mine, theirs = (FeedStore(tmp_path / "f.sqlite", database_url=url) for _ in range(2))
    mine.add(Feed("http://127.0.0.1:9/feed", None, None, "", "", False, False, 60.0))
    options = feed_poll.PollOptions(feed_policy=None, page_policy=None)  # never fetched
    assert theirs.begin_pass()  # another process is polling
    skipped = asyncio.run(feed_poll.Poller(mine, tmp_path, options).poll(due_only=True))
    assert skipped.feeds == 0 and mine.get("http://127.0.0.1:9/feed").last_polled == ""

    monkeypatch.setattr(feed_poll, "PASS_WAIT_S", 0.05)
    mine.set_paused("http://127.0.0.1:9/feed", True)  # a forced pass waits its turn
    timer = threading.Timer(0.3, theirs.end_pass)
    timer.start()
    began = time.monotonic()
    asyncio.run(feed_poll.Poller(mine, tmp_path, options).poll())
    assert time.monotonic() - began >= 0.25
    timer.join()
    assert theirs.begin_pass()  # the forced pass let go when it ended
    theirs.end_pass()
    mine.close()
    theirs.close()


def test_the_state_database_never_names_the_password():
    assert scrub("auth failed\nfor hunter2 (password=hunter2)",
                 "postgresql://u:hunter2@h/db") == "auth failed for *** (password=***"
    with pytest.raises(StateUnavailable, match="not a postgresql:// URL"):
        StateDB(Path("unused"), "mysql://u:pw@h/db", "")


def test_a_database_out_of_reach_is_one_line_without_the_password(tmp_path, postgres_url):
    down = "postgresql://bot:s3cret-pw@127.0.0.1:1/state"
    with pytest.raises(StateUnavailable) as refused:
        FeedbackLog(tmp_path / "f.sqlite", database_url=down)
    message = str(refused.value)
    # in the words the index uses for the same database (BRIEFING_DATABASE_URL serves both)
    assert message.startswith(f"the {describe(down)} (BRIEFING_DATABASE_URL) cannot be "
                              "reached: ")
    assert message.startswith("the database state on 127.0.0.1:1 (BRIEFING_DATABASE_URL)")
    assert "\n" not in message and "s3cret" not in message
    missing = urlsplit(postgres_url)._replace(path="/no_such_db").geturl()
    with pytest.raises(StateUnavailable, match='database "no_such_db" does not exist'):
        ScheduleStore(tmp_path / "s.sqlite", database_url=missing)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_DATABASE_URL": down,
           "BRIEFING_FEEDS_DB": str(tmp_path / "feeds.sqlite")}
    cli = subprocess.run([sys.executable, "-m", "bot", "feed", "list"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and cli.stdout == ""
    [line] = cli.stderr.strip().splitlines()
    assert line.startswith("briefing: the database state on 127.0.0.1:1")
    assert "s3cret" not in line
    assert not (tmp_path / "feeds.sqlite").exists()  # no silent fallback to SQLite


def test_a_state_file_that_cannot_be_used_is_one_line_naming_it(tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not a database\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "a-folder.sqlite").mkdir()
    for path, reason in [(garbage, "file is not a database"),
                         (tmp_path / "a-file" / "feeds.sqlite", "a-file is not a folder"),
                         (tmp_path / "a-folder.sqlite", "unable to open database file")]:
        with pytest.raises(StateUnavailable) as refused:
            FeedbackLog(path)
        assert str(path) in str(refused.value) and reason in str(refused.value)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_FEEDS_DB": str(garbage)}
    env.pop("BRIEFING_DATABASE_URL", None)
    cli = subprocess.run([sys.executable, "-m", "bot", "feed", "list"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and cli.stdout == ""
    assert cli.stderr.strip() == (f"briefing: the state database {garbage} cannot be used "
                                  "(file is not a database)")


def kill_connections(url: str) -> None:
    """End every other session on the URL's database, as a server restart would."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = current_database() AND pid <> pg_backend_pid()")


def test_a_lost_connection_is_opened_again(tmp_path, postgres_url):
    url = fresh_database(postgres_url)
    log = FeedbackLog(tmp_path / "f.sqlite", database_url=url)
    log.record("first", ["p1"], "u", 1)
    kill_connections(url)
    assert len(log.votes()) == 1  # a read is asked again on a new connection
    kill_connections(url)
    with pytest.raises(StateUnavailable, match="was lost"):
        log.record("lost", ["p2"], "u", -1)  # a write is not repeated blindly
    log.record("second", ["p3"], "u", -1)  # the next one connects again
    assert [v[0] for v in log.votes()] == ["first", "second"]
    log.close()


class Channel(discord.abc.Messageable):
    """A channel that keeps what is posted in it (slowly, as over the network), or fails."""

    def __init__(self, posts: list[str], fail: bool = False) -> None:
        self.posts, self.fail = posts, fail

    async def _get_channel(self) -> Channel:
        return self

    async def send(self, *args: object, **kwargs: object) -> None:
        await asyncio.sleep(0.05)
        if self.fail:
            raise discord.DiscordException("send failed")
        self.posts.append(kwargs["embed"].title)


def bot_process(tmp_path, state_url: str | None, posts: list[str], fail: bool = False):
    """What the digest loop of one bot process sees: its settings, index and channels."""
    from bot.cogs.summaries import Summaries

    settings = Settings(schedules_db=tmp_path / "schedules.sqlite", database_url=state_url)
    entry = DigestEntry("a", "Harbour closed", "", "2026-12-01T08:00:00+00:00", ())
    index = SimpleNamespace(digest=lambda since, limit: Digest(since, (entry,), 1, 1),
                            max_question_chars=settings.max_question_chars)
    bot = SimpleNamespace(settings=settings, index=index, holds_guild=lambda _: True,
                          get_channel=lambda _: Channel(posts, fail))
    return Summaries(bot)


def test_two_bot_processes_run_their_digest_loops_and_each_digest_is_posted_once(
        tmp_path, state_url):
    store = ScheduleStore(tmp_path / "schedules.sqlite", database_url=state_url)
    for guild in range(1, 11):
        store.set(guild, 100 + guild, "00:00")
        posted_at(store, guild, datetime.now(UTC) - timedelta(days=2))
    posts: list[str] = []
    failing = bot_process(tmp_path, state_url, posts, fail=True)
    asyncio.run(failing._post_due_digests())  # each claim is released when posting fails
    assert posts == [] and all(s.due(datetime.now(UTC)) for s in store.all())
    first, second = (bot_process(tmp_path, state_url, posts) for _ in range(2))

    async def both() -> None:
        await asyncio.gather(first._post_due_digests(), second._post_due_digests())

    asyncio.run(both())
    assert len(posts) == 10 and not any(s.due(datetime.now(UTC)) for s in store.all())
    asyncio.run(both())
    assert len(posts) == 10  # nothing is due any more
    for summaries in (failing, first, second):
        summaries.schedules.close()
    store.close()


def test_the_database_url_setting(monkeypatch):
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("BRIEFING_DATABASE_URL", "  ")
    assert load_settings().database_url is None  # blank: the SQLite files
    monkeypatch.setenv("BRIEFING_DATABASE_URL", "mysql://bot:s3cret@db/state")
    with pytest.raises(SettingsError, match="BRIEFING_DATABASE_URL") as bad:
        load_settings()
    assert "s3cret" not in str(bad.value)
    monkeypatch.setenv("BRIEFING_DATABASE_URL", "postgresql://bot:s3cret@db/state")
    assert load_settings().database_url == "postgresql://bot:s3cret@db/state"
