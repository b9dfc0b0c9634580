"""Feeds, their polling state and the items already taken, in a database (survives restarts).

With PostgreSQL several bot processes share them; a poll pass takes a lock that all of them
see (begin_pass), so an item is never taken, saved and posted by two processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from bot.statedb import StateDB, lock_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, guild_id {bigint}, channel_id {bigint}, include TEXT NOT NULL,
    exclude TEXT NOT NULL, post INTEGER NOT NULL, paused INTEGER NOT NULL,
    interval_s {real} NOT NULL, etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '', next_poll {real} NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    last_polled TEXT NOT NULL DEFAULT '', added_at TEXT NOT NULL{rowid}
);
CREATE TABLE IF NOT EXISTS items (
    id {id}, feed_url TEXT NOT NULL, guid TEXT NOT NULL, url TEXT NOT NULL,
    article TEXT NOT NULL, title TEXT NOT NULL, fingerprint TEXT NOT NULL,
    kind INTEGER NOT NULL, signature {blob}, seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_guid ON items (guid) WHERE guid != '';
CREATE INDEX IF NOT EXISTS items_url ON items (url) WHERE url != '';
"""

_LAST_SECOND = 253402300799.0  # 9999-12-31T23:59:59Z, the last moment a datetime can hold


@dataclass(frozen=True)
class Feed:
    """A followed feed and its polling state."""

    url: str
    guild_id: int | None
    channel_id: int | None
    include: str
    exclude: str
    post: bool
    paused: bool
    interval_s: float
    etag: str = ""
    last_modified: str = ""
    next_poll: float = 0.0  # epoch seconds
    failures: int = 0
    last_error: str = ""
    last_polled: str = ""
    added_at: str = ""

    def as_json(self) -> dict[str, object]:
        """The `briefing feed list --json` object."""
        return {"url": self.url, "guild": self.guild_id, "channel": self.channel_id,
                "include": self.include, "exclude": self.exclude, "post": self.post,
                "paused": self.paused, "interval_s": self.interval_s,
                "last_polled": self.last_polled or None, "failures": self.failures,
                "last_error": self.last_error or None,
                "next_poll": datetime.fromtimestamp(min(self.next_poll, _LAST_SECOND), UTC)
                .isoformat(timespec="seconds") if self.next_poll else None}


@dataclass(frozen=True)
class ItemRow:
    """An item seen before: the article it became or duplicated ("" when it was skipped: too
    little text, or filtered out), what it became (ARTICLE, DUPLICATE, SKIPPED, or REMOVED:
    an article an admin removed, never written again) and its fingerprint."""

    id: int
    feed_url: str
    guid: str
    url: str
    article: str
    title: str
    fingerprint: str
    kind: int


ARTICLE, DUPLICATE, SKIPPED, REMOVED = 0, 1, 2, 3  # what an item became (items.kind)

_FEED_COLUMNS = ", ".join(f.name for f in fields(Feed))
_POLL_LOCK = lock_key("feed-poll")  # one poll pass at a time across processes


class FeedStore:
    """The feeds and items tables, in the SQLite file `path` or in PostgreSQL when
    `database_url` is given; safe to share between threads."""

    def __init__(self, path: Path, *, database_url: str | None = None) -> None:
        self._db = StateDB(path, database_url, _SCHEMA)

    def add(self, feed: Feed) -> str | None:
        """Follow a feed, or replace its options: "added" or "updated"; None when another
        server follows that URL. A feed without a server (from the command line) may be
        taken by a server; the command line (no server) may update any feed. It keeps its
        server unless the update names another channel: the feed then has no server until the
        bot finds the server of that channel (Feeds._place_channel_feeds), rather than being
        open to every server meanwhile."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        mine, args = "", ()
        if feed.guild_id is not None:
            mine, args = " AND (guild_id IS NULL OR guild_id = ?)", (feed.guild_id,)
        with self._db.transaction() as run:
            guild = feed.guild_id
            if guild is None:
                held = run("SELECT guild_id, channel_id FROM feeds WHERE url = ?",
                           (feed.url,)).fetchone()
                if held and feed.channel_id in (None, held[1]):
                    guild = held[0]
            changed = run(
                "UPDATE feeds SET guild_id = ?, channel_id = ?, include = ?, exclude = ?,"
                " post = ?, interval_s = ? WHERE url = ?" + mine,
                (guild, feed.channel_id, feed.include, feed.exclude,
                 int(feed.post), feed.interval_s, feed.url) + args).rowcount
            if changed:
                return "updated"
            inserted = run(
                f"INSERT INTO feeds ({_FEED_COLUMNS}) VALUES ({', '.join('?' * 15)})"
                " ON CONFLICT (url) DO NOTHING",
                (feed.url, feed.guild_id, feed.channel_id, feed.include, feed.exclude,
                 int(feed.post), int(feed.paused), feed.interval_s, "", "", 0.0, 0, "", "",
                 now)).rowcount
            return "added" if inserted else None

    def get(self, url: str) -> Feed | None:
        """One feed by URL."""
        row = self._db.row(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return _feed(row) if row else None

    def all(self, guild_id: int | None = None) -> list[Feed]:
        """Every feed in the order it was first added, or those of one server plus those added
        from the command line."""
        query = f"SELECT {_FEED_COLUMNS} FROM feeds"
        args: tuple = ()
        if guild_id is not None:
            query += " WHERE guild_id = ? OR guild_id IS NULL"
            args = (guild_id,)
        return [_feed(row) for row in self._db.rows(query + " ORDER BY added_at, rowid", args)]

    def remove(self, url: str) -> bool:
        """Stop following a feed; False when it was not followed. Its articles stay."""
        with self._db.transaction() as run:
            return run("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0

    def set_guild(self, url: str, channel_id: int, guild_id: int) -> bool:
        """Record the server of the channel a feed added without one posts to (the command
        line cannot know it); False when the feed changed meanwhile."""
        with self._db.transaction() as run:
            return run("UPDATE feeds SET guild_id = ? WHERE url = ? AND guild_id IS NULL"
                       " AND channel_id = ?", (guild_id, url, channel_id)).rowcount > 0

    def set_paused(self, url: str, paused: bool) -> bool:
        """Pause or resume a feed; False when it is not followed."""
        with self._db.transaction() as run:
            return run("UPDATE feeds SET paused = ?, next_poll = 0 WHERE url = ?",
                       (int(paused), url)).rowcount > 0

    def begin_pass(self) -> bool:
        """Take the poll-pass lock that every process sharing the database sees; False when
        another process is polling. Release it with end_pass. (A SQLite file: always True.)"""
        return self._db.try_lock(_POLL_LOCK)

    def end_pass(self) -> None:
        """Release the poll-pass lock."""
        self._db.unlock(_POLL_LOCK)

    def polled(self, url: str, *, next_poll: float, etag: str | None = None,
               last_modified: str | None = None, error: str = "") -> None:
        """Record a poll: success resets the failure count, an error increments it."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db.transaction() as run:
            if error:
                run("UPDATE feeds SET failures = failures + 1, last_error = ?, next_poll = ?,"
                    " last_polled = ? WHERE url = ?", (error, next_poll, now, url))
            else:
                run("UPDATE feeds SET failures = 0, last_error = '', next_poll = ?,"
                    " last_polled = ?, etag = COALESCE(?, etag),"
                    " last_modified = COALESCE(?, last_modified) WHERE url = ?",
                    (next_poll, now, etag, last_modified, url))

    def has_items(self, feed_url: str) -> bool:
        """Whether any item of this feed was seen before (else its next items are the
        backlog it held when it was added)."""
        return self._db.row("SELECT 1 FROM items WHERE feed_url = ? LIMIT 1",
                            (feed_url,)) is not None

    def find_item(self, guid: str, url: str, feed_url: str | None = None) -> ItemRow | None:
        """The item seen before with this guid, else with this (normalised) URL; only among
        the items of `feed_url` when given."""
        where = "" if feed_url is None else " AND feed_url = ?"
        for column, value in (("guid", guid), ("url", url)):
            if not value:
                continue
            args = (value,) if feed_url is None else (value, feed_url)
            row = self._db.row(
                "SELECT id, feed_url, guid, url, article, title, fingerprint, kind"
                f" FROM items WHERE {column} = ?{where} ORDER BY kind, id LIMIT 1", args)
            if row:
                return ItemRow(*row)
        return None

    def add_item(self, feed_url: str, guid: str, url: str, article: str, title: str,
                 fingerprint: str, kind: int, signature: bytes | None) -> None:
        """Remember an item: a new article, a duplicate of `article`, or skipped."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db.transaction() as run:
            run("INSERT INTO items (feed_url, guid, url, article, title, fingerprint,"
                " kind, signature, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (feed_url, guid, url, article, title, fingerprint, kind, signature, now))

    def update_item(self, item_id: int, fingerprint: str, title: str,
                    signature: bytes | None) -> None:
        """A re-published item: its new fingerprint, title and text signature."""
        with self._db.transaction() as run:
            run("UPDATE items SET fingerprint = ?, title = ?,"
                " signature = COALESCE(?, signature) WHERE id = ?",
                (fingerprint, title, signature, item_id))

    def mark_removed(self, article_ids: Sequence[str]) -> int:
        """Record that these articles were removed from the corpus: their items become REMOVED
        (a feed that re-publishes one does not write it back) and lose their text signatures
        (a later copy of the story is not dropped as their duplicate); returns how many items
        changed. A new kind value, not a new column: existing tables need no migration."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return 0
        with self._db.transaction() as run:
            return run("UPDATE items SET kind = ?, signature = NULL WHERE kind = ?"
                       f" AND article IN ({', '.join('?' * len(ids))})",
                       (REMOVED, ARTICLE, *ids)).rowcount

    def signatures(self) -> list[tuple[str, bytes]]:
        """(article, text signature) of every article taken from a feed and not removed."""
        return self._db.rows("SELECT article, signature FROM items WHERE kind = ?"
                             " AND signature IS NOT NULL", (ARTICLE,))

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        self._db.close()


def mark_removed(path: Path, database_url: str | None, article_ids: Sequence[str]) -> int:
    """`FeedStore.mark_removed` on the feed store at `path` (or in `database_url`), opened for
    this call; 0 without creating one when no feed was ever followed (no SQLite file)."""
    if not article_ids or (database_url is None and not Path(path).exists()):
        return 0
    store = FeedStore(path, database_url=database_url)
    try:
        return store.mark_removed(article_ids)
    finally:
        store.close()


def _feed(row: tuple) -> Feed:
    values = list(row)
    values[5], values[6] = bool(values[5]), bool(values[6])
    return Feed(*values)
