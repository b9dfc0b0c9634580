"""Daily digest schedules, one per server, kept in a database so they survive restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.statedb import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    guild_id {bigint} PRIMARY KEY, channel_id {bigint} NOT NULL, at TEXT NOT NULL,
    last_posted TEXT
);
"""
_COLUMNS = ("guild_id", "channel_id", "at", "last_posted")


@dataclass(frozen=True)
class Schedule:
    """Post the digest to `channel_id` every day at `at` (HH:MM, UTC)."""

    guild_id: int
    channel_id: int
    at: str
    last_posted: str | None

    def slot(self, now: datetime) -> datetime:
        """The latest scheduled time at or before `now`."""
        hour, minute = (int(x) for x in self.at.split(":"))
        today = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return today if today <= now else today - timedelta(days=1)

    def due(self, now: datetime) -> bool:
        """True when a slot has passed since the last post."""
        if self.last_posted is None:
            return True
        return datetime.fromisoformat(self.last_posted) < self.slot(now)

    def since(self, now: datetime) -> datetime:
        """What the next digest covers: everything since the last post (or one day)."""
        if self.last_posted is None:
            return now - timedelta(days=1)
        return datetime.fromisoformat(self.last_posted)


class ScheduleStore:
    """The schedules table: in the SQLite file `path`, or in PostgreSQL when `database_url`
    is given (shared by every bot process, each digest claimed by one of them)."""

    def __init__(self, path: Path, *, database_url: str | None = None) -> None:
        self._db = StateDB(path, database_url, _SCHEMA)

    def set(self, guild_id: int, channel_id: int, at: str) -> Schedule | None:
        """Create or replace a server's schedule; returns the one it replaced. A new schedule
        posts from its next slot; a replaced one keeps when it last posted, so that the next
        digest still covers everything since then (a changed time loses no article)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db.transaction() as run:
            row = run(f"SELECT {', '.join(_COLUMNS)} FROM schedules WHERE guild_id = ?",
                      (guild_id,)).fetchone()
            if row is not None:
                run("UPDATE schedules SET channel_id = ?, at = ? WHERE guild_id = ?",
                    (channel_id, at, guild_id))
                return Schedule(*row)
            run(self._db.upsert("schedules", _COLUMNS, "guild_id"),
                (guild_id, channel_id, at, now))
            return None

    def remove(self, guild_id: int) -> bool:
        """Delete a server's schedule; False when it had none."""
        with self._db.transaction() as run:
            return run("DELETE FROM schedules WHERE guild_id = ?", (guild_id,)).rowcount > 0

    def all(self) -> list[Schedule]:
        """Every schedule."""
        rows = self._db.rows(f"SELECT {', '.join(_COLUMNS)} FROM schedules ORDER BY guild_id")
        return [Schedule(*row) for row in rows]

    def claim(self, guild_id: int, now: datetime) -> Schedule | None:
        """Take the digest of `guild_id` due at `now`: mark it posted, in one statement that
        only one process can win, and return the schedule as it was (its `since` is what the
        digest covers). None when it is not due, gone, or another process claimed it."""
        row = self._db.row(f"SELECT {', '.join(_COLUMNS)} FROM schedules WHERE guild_id = ?",
                           (guild_id,))
        schedule = Schedule(*row) if row else None
        if schedule is None or not schedule.due(now):
            return None
        unchanged = "last_posted = ?" if schedule.last_posted else "last_posted IS NULL"
        args = (_stamp(now), guild_id, schedule.last_posted) if schedule.last_posted else \
            (_stamp(now), guild_id)
        with self._db.transaction() as run:
            won = run("UPDATE schedules SET last_posted = ? WHERE guild_id = ? AND "
                      f"{unchanged}", args).rowcount == 1
        return schedule if won else None

    def release(self, claimed: Schedule, now: datetime) -> None:
        """Undo claim(guild, now) after the digest could not be posted, so that it is tried
        again (unless the schedule changed meanwhile)."""
        with self._db.transaction() as run:
            run("UPDATE schedules SET last_posted = ? WHERE guild_id = ? AND last_posted = ?",
                (claimed.last_posted, claimed.guild_id, _stamp(now)))

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        self._db.close()


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")
