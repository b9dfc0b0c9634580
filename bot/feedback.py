"""A log of readers' votes on answers, kept to measure and tune retrieval later."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, passages TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), at TEXT NOT NULL
);
"""


class FeedbackLog:
    """Append-only SQLite table of (question, passage ids, hashed user, vote, time)."""

    def __init__(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def record(self, question: str, passages: list[str], user_hash: str, vote: int) -> None:
        """Store one vote (+1 helpful, -1 not helpful)."""
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO feedback (question, passages, user_hash, vote, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (question, " ".join(passages), user_hash, vote,
                 datetime.now(UTC).isoformat(timespec="seconds")))

    def votes(self) -> list[tuple[str, str, str, int]]:
        """Every vote as (question, passages, user_hash, vote), oldest first."""
        with self._lock:
            return self._conn.execute(
                "SELECT question, passages, user_hash, vote FROM feedback ORDER BY id").fetchall()

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        with self._lock:
            self._conn.close()
