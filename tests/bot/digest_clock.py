"""Setting when a server's digest last went out, as if it had been posted then.

A bot only claims and releases digests at the real time; tests that need a digest due at a
time of their own (or posted days ago) set the stored time here instead."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.schedules import ScheduleStore


def posted_at(store: ScheduleStore, guild_id: int, when: datetime) -> None:
    """Record in `store` that the digest of `guild_id` was last posted at `when`."""
    with store._db.transaction() as run:
        run("UPDATE schedules SET last_posted = ? WHERE guild_id = ?",
            (when.astimezone(UTC).isoformat(timespec="seconds"), guild_id))
