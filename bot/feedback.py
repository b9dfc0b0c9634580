"""A log of readers' votes on answers, kept to measure and tune retrieval later."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.statedb import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id {id}, question TEXT NOT NULL, passages TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), at TEXT NOT NULL
);
"""


class FeedbackLog:
    """Append-only table of (question, passage ids, hashed user, vote, time): in the SQLite
    file `path`, or in PostgreSQL when `database_url` is given."""

    def __init__(self, path: Path, *, database_url: str | None = None) -> None:
        self._db = StateDB(path, database_url, _SCHEMA)

    def record(self, question: str, passages: list[str], user_hash: str, vote: int) -> None:
        """Store one vote (+1 helpful, -1 not helpful)."""
        with self._db.transaction() as run:
            run("INSERT INTO feedback (question, passages, user_hash, vote, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (question, " ".join(passages), user_hash, vote,
                 datetime.now(UTC).isoformat(timespec="seconds")))

    def votes(self) -> list[tuple[str, str, str, int]]:
        """Every vote as (question, passages, user_hash, vote), oldest first."""
        return self._db.rows("SELECT question, passages, user_hash, vote FROM feedback"
                             " ORDER BY id")

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        self._db.close()
