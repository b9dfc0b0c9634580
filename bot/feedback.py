"""A log of readers' votes on answers, kept to measure and tune retrieval later.

Voters are kept as pseudonyms: an HMAC of their Discord id under a random key made once per
state (the table `feedback_key`, beside the votes). Votes from before the key, hashed with a
fixed salt that anyone with a member list could recompute, still count; they are not matched
with the same member's later votes, since telling who cast them would take exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.statedb import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id {id}, question TEXT NOT NULL, passages TEXT NOT NULL,
    user_hash TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback_key (
    id INTEGER PRIMARY KEY CHECK (id = 1), secret TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class AnswerVotes:
    """The votes on one answer: its question and the passages shown with it (as
    `passage_key` names them), each voter counted once, by their latest vote."""

    question: str
    passages: tuple[str, ...]
    helpful: int
    unhelpful: int
    last_vote: str  # ISO time, UTC


def passage_place(key: str) -> tuple[str, int, int] | None:
    """A passage key (`bot.cogs.answers.passage_key`: "article:start-end") as (article, start,
    end); None for a key not of that form."""
    article, _, span = key.rpartition(":")
    start, _, end = span.partition("-")
    if not article or not start.isdigit() or not end.isdigit():
        return None
    return article, int(start), int(end)


class FeedbackLog:
    """Append-only table of (question, passage ids, voter's pseudonym, vote, time): in the SQLite
    file `path`, or in PostgreSQL when `database_url` is given."""

    def __init__(self, path: Path, *, database_url: str | None = None) -> None:
        self._db = StateDB(path, database_url, _SCHEMA)
        with self._db.transaction() as run:  # the first process to get here makes the key
            run("INSERT INTO feedback_key (id, secret) VALUES (1, ?) ON CONFLICT DO NOTHING",
                (secrets.token_hex(32),))
        row = self._db.row("SELECT secret FROM feedback_key WHERE id = 1")
        assert row is not None
        self._key = bytes.fromhex(row[0])

    def pseudonym(self, user_id: int) -> str:
        """How the log names a voter: the same for one member's every vote, and not to be
        recomputed from their id without this state's key."""
        return hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]

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

    def tally(self, since: datetime | None = None) -> list[AnswerVotes]:
        """The answers voted on (since `since`, if given), worst first. A member who voted
        more than once on one answer counts once, by their latest vote."""
        where, args = ("", ()) if since is None else (
            " WHERE at >= ?", (since.astimezone(UTC).isoformat(timespec="seconds"),))
        latest: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
        for question, passages, user_hash, vote, at in self._db.rows(
                "SELECT question, passages, user_hash, vote, at FROM feedback" + where
                + " ORDER BY id", args):
            latest.setdefault((question, passages), {})[user_hash] = (vote, at)
        answers = [AnswerVotes(question, tuple(passages.split()),
                               sum(v == 1 for v, _ in voters.values()),
                               sum(v == -1 for v, _ in voters.values()),
                               max(at for _, at in voters.values()))
                   for (question, passages), voters in latest.items()]
        answers.sort(key=lambda a: a.last_vote, reverse=True)  # ties: the latest voted first
        return sorted(answers, key=lambda a: (a.helpful - a.unhelpful, -a.unhelpful))

    def close(self) -> None:
        """Release the database (waiting for a query in flight on another thread)."""
        self._db.close()
