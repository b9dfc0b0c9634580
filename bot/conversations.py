"""Conversation state and per-channel conversation modes, kept in a database across restarts.

A conversation is keyed by a Discord id: a thread's id (a thread the bot opened on an answer
has the answer's id), or the id of a bot answer that a reply chain hangs on. It holds the last
few turns (what was asked, whether it stood on its own, what the answer cited) and the scope
the first question was asked in; it expires a while after its last turn, and the oldest
conversations are dropped once there are too many. Both live in a SQLite file, or in
PostgreSQL when a database URL is given (shared by every bot process).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.statedb import Run, StateDB
from index import Scope, Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id {bigint} PRIMARY KEY, turns TEXT NOT NULL, source TEXT, since TEXT,
    updated {real} NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated);
CREATE TABLE IF NOT EXISTS channel_modes (
    channel_id {bigint} PRIMARY KEY, guild_id {bigint} NOT NULL,
    autothread INTEGER NOT NULL DEFAULT 0, forum INTEGER NOT NULL DEFAULT 0
);
"""
_CONVERSATION = ("id", "turns", "source", "since", "updated")
_MODES = ("channel_id", "guild_id", "autothread", "forum")


NEW = "/new"  # typed as a message (the terminal's chat, a DM), starts the conversation over


def starts_over(text: str) -> bool:
    """Whether a message is "/new" or just "new", in any case: the conversation's end, not a
    question. One test for a DM and `briefing chat`, so that each takes what the other does."""
    return " ".join(text.split()).casefold() in (NEW, NEW.removeprefix("/"))


@dataclass(frozen=True)
class Conversation:
    """The turns of a conversation so far (oldest first) and the scope it was asked in."""

    turns: tuple[Turn, ...] = ()
    scope: Scope | None = None


class _Database:
    """The conversations database: the SQLite file `path`, or PostgreSQL at `database_url`."""

    def __init__(self, path: Path, *, database_url: str | None = None) -> None:
        self._db = StateDB(path, database_url, _SCHEMA)

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        self._db.close()


class ConversationStore(_Database):
    """Conversations by id: at most `max_turns` turns each, forgotten `ttl_s` seconds after
    their last turn, at most `max_conversations` kept (the least recently active go first).
    `clock` gives the time in seconds (injectable for tests)."""

    def __init__(self, path: Path, *, ttl_s: float, max_turns: int, max_conversations: int,
                 clock: Callable[[], float] = time.time, database_url: str | None = None
                 ) -> None:
        super().__init__(path, database_url=database_url)
        self.ttl_s = ttl_s
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self.clock = clock

    def get(self, conv_id: int) -> Conversation | None:
        """The live conversation `conv_id`, or None (never started, expired or pruned)."""
        row = self._db.row(
            "SELECT turns, source, since FROM conversations WHERE id = ? AND updated >= ?",
            (conv_id, self.clock() - self.ttl_s))
        if row is None:
            return None
        turns, source, since = row
        scope = Scope(source, datetime.fromisoformat(since) if since else None)
        return Conversation(tuple(_turn(t) for t in json.loads(turns)), scope or None)

    def turns(self, conv_id: int) -> list[Turn]:
        """The turns of `conv_id`, oldest first ([] when there is no live conversation)."""
        conversation = self.get(conv_id)
        return list(conversation.turns) if conversation else []

    def add(self, conv_id: int, turn: Turn, scope: Scope | None = None) -> None:
        """Append `turn` to `conv_id` (starting it if it is not live); from now on in `scope`
        when given (a question narrowed with `source:` or `since:`), else in its own."""
        conversation = self.get(conv_id) or Conversation()
        self.put(conv_id, (*conversation.turns, turn), scope or conversation.scope)

    def put(self, conv_id: int, turns: Sequence[Turn], scope: Scope | None = None) -> None:
        """Make `conv_id` hold `turns` (the last `max_turns` of them) in `scope`, then prune."""
        kept = [_row(t) for t in list(turns)[-self.max_turns:]]
        since = scope.since.isoformat() if scope and scope.since else None
        source = scope.source if scope else None
        now = self.clock()
        with self._db.transaction() as run:
            run(self._db.upsert("conversations", _CONVERSATION, "id"),
                (conv_id, json.dumps(kept), source, since, now))
            self._prune(run, now)

    def forget(self, conv_id: int) -> None:
        """End `conv_id`: its next message is a first question."""
        with self._db.transaction() as run:
            run("DELETE FROM conversations WHERE id = ?", (conv_id,))

    def __len__(self) -> int:
        """How many conversations are stored (live or not yet pruned)."""
        row = self._db.row("SELECT COUNT(*) FROM conversations")
        return int(row[0]) if row else 0

    def prune(self) -> None:
        """Drop expired conversations, then the least recently active beyond the cap."""
        with self._db.transaction() as run:
            self._prune(run, self.clock())

    def _prune(self, run: Run, now: float) -> None:
        run("DELETE FROM conversations WHERE updated < ?", (now - self.ttl_s,))
        run("DELETE FROM conversations WHERE id NOT IN (SELECT id FROM conversations "
            "ORDER BY updated DESC, id DESC LIMIT ?)", (self.max_conversations,))


@dataclass(frozen=True)
class ChannelModes:
    """What a channel's admins turned on: a thread for every new question (`autothread`), an
    answer to every new post of a forum channel (`forum`)."""

    autothread: bool = False
    forum: bool = False


class ChannelModeStore(_Database):
    """Per-channel conversation modes."""

    def get(self, channel_id: int) -> ChannelModes:
        """The modes of `channel_id` (all off unless set)."""
        row = self._db.row("SELECT autothread, forum FROM channel_modes WHERE channel_id = ?",
                           (channel_id,))
        return ChannelModes(*(bool(v) for v in row)) if row else ChannelModes()

    def set(self, guild_id: int, channel_id: int, *, autothread: bool | None = None,
            forum: bool | None = None) -> ChannelModes:
        """Turn modes of a channel on or off (None: leave as it is); returns the modes it had
        (a reply can say what changed)."""
        old = self.get(channel_id)
        new = ChannelModes(old.autothread if autothread is None else autothread,
                           old.forum if forum is None else forum)
        with self._db.transaction() as run:
            if new == ChannelModes():
                run("DELETE FROM channel_modes WHERE channel_id = ?", (channel_id,))
            else:
                run(self._db.upsert("channel_modes", _MODES, "channel_id"),
                    (channel_id, guild_id, int(new.autothread), int(new.forum)))
        return old


def _row(turn: Turn) -> dict:
    return {"q": turn.question, "alone": turn.standalone,
            "cited": [[article, list(paragraphs)] for article, paragraphs in turn.cited]}


def _turn(row: dict) -> Turn:
    return Turn(row["q"], bool(row["alone"]),
                tuple((article, tuple(paragraphs)) for article, paragraphs in row["cited"]))


STARTED_OVER_KEPT_S = 60.0  # longer than any answer takes to work out


class StartOvers:
    """Each conversation's last start-over ("/new" in a DM), by the Discord id of the message
    that asked for it, for `STARTED_OVER_KEPT_S`: an answer to a question asked before it (a
    smaller id), still being worked out then, is posted but not stored as the new
    conversation's first turn. One record for every way a question comes in (a message,
    `/ask`)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._last: dict[int, tuple[int, float]] = {}  # conversation -> (its "/new", when)
        self._clock = clock

    def mark(self, conv_id: int, message_id: int) -> None:
        """`conv_id` was started over by the message `message_id`."""
        now = self._clock()
        self._last = {c: last for c, last in self._last.items()
                      if now - last[1] < STARTED_OVER_KEPT_S}
        self._last[conv_id] = (message_id, now)

    def after(self, conv_id: int, asked_id: int) -> bool:
        """Whether `conv_id` was started over after the question `asked_id` (a message's or
        an interaction's id: both grow with time) was asked."""
        last = self._last.get(conv_id)
        return last is not None and asked_id < last[0]


KEEP_IDLE_LOCKS = 1000  # idle channel locks kept before the unused are dropped


class PostingLocks:
    """One lock per channel, held from posting an answer there until its turn is stored, and
    while a conversation is looked up there: a follow-up sent the moment an answer shows
    sees that answer's turn, and a slow send (a 429 wait) holds up only its own channel."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def __call__(self, channel_id: int) -> asyncio.Lock:
        """The lock of one channel (or thread)."""
        if len(self._locks) > KEEP_IDLE_LOCKS:
            self._locks = {c: lock for c, lock in self._locks.items() if lock.locked()}
        return self._locks.setdefault(channel_id, asyncio.Lock())

    async def idle(self) -> None:
        """Wait until no answer is being posted anywhere."""
        for lock in list(self._locks.values()):
            async with lock:
                pass

