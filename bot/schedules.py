"""Daily digest schedules, one per server, kept in SQLite so they survive restarts."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    guild_id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, at TEXT NOT NULL,
    last_posted TEXT
);
"""


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
    """The schedules table."""

    def __init__(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def set(self, guild_id: int, channel_id: int, at: str) -> None:
        """Create or replace a server's schedule (posting starts at the next slot)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO schedules VALUES (?, ?, ?, ?)",
                               (guild_id, channel_id, at, now))

    def remove(self, guild_id: int) -> bool:
        """Delete a server's schedule; False when it had none."""
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM schedules WHERE guild_id = ?",
                                      (guild_id,)).rowcount > 0

    def all(self) -> list[Schedule]:
        """Every schedule."""
        with self._lock:
            rows = self._conn.execute("SELECT guild_id, channel_id, at, last_posted"
                                      " FROM schedules ORDER BY guild_id").fetchall()
        return [Schedule(*row) for row in rows]

    def mark_posted(self, guild_id: int, when: datetime) -> None:
        """Record that the digest went out."""
        with self._lock, self._conn:
            self._conn.execute("UPDATE schedules SET last_posted = ? WHERE guild_id = ?",
                               (when.astimezone(UTC).isoformat(timespec="seconds"), guild_id))

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        with self._lock:
            self._conn.close()
