"""The PostgreSQL + pgvector backend: every process that shares a database shares one index.

`PostgresBackend(url)` implements `index.store.base.Backend`: generations are written in one
transaction that also switches the pointer row (schema.py, write.py), read through the store
protocols (read.py), one writer at a time across processes by a session-level advisory lock.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import numpy as np
import psycopg
from psycopg import sql

from index.errors import (
    PREVIOUS_STILL_ANSWERS,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    ReindexRunning,
)
from index.store.postgres.connection import DatabaseUnavailable, connect, describe, one_line
from index.store.postgres.corpus import PgArticleStore
from index.store.postgres.lexical import PgArticles, PgLexical
from index.store.postgres.read import Generation, PgDense, PgMetadata
from index.store.postgres.schema import DIMENSION
from index.store.postgres.write import write_generation

__all__ = ["DatabaseUnavailable", "PostgresBackend"]

log = logging.getLogger(__name__)

POLL_S = 1.0  # how often `identity()` reads the pointer row at most
RETRY_S = 10.0  # how long it waits before trying again when the database was unreachable
DEFAULT_WAIT_S = 3600.0  # how long a second reindex waits for the first
# How long a replaced generation is kept whatever else: far past a reader's next poll (POLL_S)
# and the statement timeout of a question still reading it (read.STATEMENT_TIMEOUT_S).
STALE_GRACE_S = 120.0
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # also quoted inside a regconfig literal


class PgPointer:
    """The current generation's id, read from the pointer row at most every POLL_S seconds.

    Polling, not LISTEN/NOTIFY: one indexed single-row SELECT a second costs nothing, needs
    no background thread, and survives reconnects without missing a notification. (Writes
    do NOTIFY `briefing_generation`, for processes that prefer to listen.) While the
    database is unreachable it keeps returning the last identity it read, so a serving
    process keeps its loaded generation instead of failing on every question.
    """

    def __init__(self, url: str, schema: str) -> None:
        self._url, self._schema = url, schema
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._identity: Hashable | None = None

    def identity(self, fresh: bool = False) -> Hashable | None:
        """The current generation's (id, name) (None without one), at most POLL_S seconds
        old, or read now when `fresh` (the name, made of a time and a random part, tells a
        recreated schema apart)."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked < POLL_S and not fresh:
                return self._identity
            self._checked = now
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self._url, self._schema)
                row = self._conn.execute(sql.SQL(
                    "SELECT g.id, g.name FROM {s}.pointer p JOIN {s}.generations g"
                    " ON g.id = p.generation").format(s=sql.Identifier(self._schema))
                ).fetchone()
                self._identity = tuple(row) if row else None
            except (psycopg.Error, DatabaseUnavailable) as err:
                # While serving, the log says the database went away; before any generation
                # was read, the caller's error says it (the command line's one line).
                (log.warning if self._identity is not None else log.debug)(
                    "cannot read the index pointer: %s", one_line(err))
                self._checked = now + RETRY_S - POLL_S  # questions must not wait on it
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
            return self._identity


class PostgresBackend:
    """An index in a PostgreSQL database (schema `schema`), shared by every process."""

    def __init__(self, url: str, schema: str = "briefing",
                 wait_s: float = DEFAULT_WAIT_S) -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"schema names are lowercase letters, digits and _: {schema!r}")
        self.url, self.schema, self.wait_s = url, schema, wait_s
        self.location = describe(url)  # for messages: no password
        self.address = url
        self._pointer: PgPointer | None = None

    def __repr__(self) -> str:
        return f"PostgresBackend({describe(self.url)}, schema={self.schema!r})"

    def pointer(self) -> PgPointer:
        """The current-generation pointer (one shared instance, polled)."""
        if self._pointer is None:
            self._pointer = PgPointer(self.url, self.schema)
        return self._pointer

    def load(self, model_fingerprint: str | None = None):
        """The current generation as a Snapshot on its own connection."""
        from index.store.snapshot import FORMAT_VERSION, Snapshot

        conn = connect(self.url, self.schema)
        try:
            row = conn.execute(sql.SQL(
                "SELECT g.id, g.name, g.manifest, g.passages, g.articles, g.passage_avgdl,"
                " g.article_avgdl FROM {s}.pointer p JOIN {s}.generations g"
                " ON g.id = p.generation").format(s=sql.Identifier(self.schema))).fetchone()
        except psycopg.Error as err:
            conn.close()
            raise IndexCorrupt(f"unreadable index in the {describe(self.url)}: "
                               f"{one_line(err)}") from None
        where = describe(self.url)
        if row is None:
            conn.close()
            raise IndexMissing(f"no index in the {where}; run `briefing reindex`")
        manifest = row[2]
        if manifest.get("format") != FORMAT_VERSION:
            conn.close()
            raise IndexMismatch(f"index in the {where} has format {manifest.get('format')}, "
                                f"this version reads {FORMAT_VERSION}; run `briefing reindex`")
        if model_fingerprint and manifest.get("model", {}).get("fingerprint") != \
                model_fingerprint:
            conn.close()
            raise IndexMismatch(f"index in the {where} was built with another model "
                                f"({manifest.get('model', {}).get('name')}); "
                                f"run `briefing reindex`")
        gen = Generation(self.url, self.schema, conn, row)
        return Snapshot(gen.name, manifest, PgDense(gen), PgLexical(gen), PgMetadata(gen),
                        PgArticles(gen))

    @contextmanager
    def writer(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the database's reindex lock: a session-level advisory lock on a dedicated
        connection, so the server releases it if this process dies."""
        conn = connect(self.url, self.schema)
        key = int.from_bytes(hashlib.blake2b(f"briefing-writer:{self.schema}".encode(),
                                             digest_size=8).digest(), "big", signed=True)
        try:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                log.warning("another reindex of the %s is running; waiting for it to finish",
                            describe(self.url))
                if on_wait is not None:
                    on_wait()
                conn.execute("SELECT set_config('lock_timeout', %s, false)",
                             (f"{int(self.wait_s * 1000)}ms",))
                try:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                except psycopg.errors.LockNotAvailable:
                    raise ReindexRunning(
                        f"another reindex of the {describe(self.url)} is still running after "
                        f"{self.wait_s:.0f} s; try again when it has finished") from None
            yield
        except psycopg.OperationalError as err:
            raise DatabaseUnavailable(f"lost the {describe(self.url)}: {one_line(err)}") \
                from None
        finally:
            conn.close()  # ends the session, which releases the lock

    def write(self, manifest: dict, vectors: np.ndarray, articles: list[dict],
              passages: list[dict]) -> str:
        """Write a generation and make it current in one transaction; returns its name."""
        if vectors.ndim != 2 or vectors.shape[1] != DIMENSION:
            raise IndexMismatch(f"the index database holds {DIMENSION}-dimensional vectors, "
                                f"this model makes {vectors.shape[-1]}")
        conn = connect(self.url, self.schema, autocommit=True)
        try:
            return write_generation(conn, self.schema, {**manifest, "dense": PgDense.kind},
                                    vectors, articles, passages)
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot write the index in the {describe(self.url)} "
                                      f"({one_line(err)})" + PREVIOUS_STILL_ANSWERS) from None
        finally:
            conn.close()

    def corpus(self) -> PgArticleStore:
        """The article texts stored in the database (its `corpus` table): any process that
        shares it can reindex them, whatever its corpus folder holds."""
        return PgArticleStore(self.url, self.schema)

    def prepare(self, passages: int, dimension: int, text_bytes: int) -> None:
        """Refuse before any embedding when the database cannot take this generation: it is
        unreachable, lacks pgvector, or holds vectors of another dimension. (Its free disk
        space is the server's to watch: a full disk fails the write, which changes nothing.)"""
        if dimension != DIMENSION:
            raise IndexMismatch(f"the index database holds {DIMENSION}-dimensional vectors, "
                                f"this model makes {dimension}")
        connect(self.url, self.schema).close()

    def remove_stale(self, keep: int = 2, grace_s: float = STALE_GRACE_S) -> None:
        """Delete all but the `keep` newest generations (the current one always kept) and
        those replaced within the last `grace_s` seconds, then the passage and article texts
        no kept generation holds. A process that read the pointer just before a switch (or
        two switches in quick succession) thus keeps answering from its generation until its
        next poll. Dead HNSW and GIN entries are reclaimed by autovacuum."""
        s = sql.Identifier(self.schema)
        conn = connect(self.url, self.schema)
        try:
            with conn.transaction():
                conn.execute(sql.SQL(
                    "DELETE FROM {s}.generations WHERE id <> coalesce((SELECT generation FROM"
                    " {s}.pointer), -1) AND id NOT IN (SELECT id FROM {s}.generations"
                    " ORDER BY id DESC LIMIT %s) AND coalesce(replaced_at, '-infinity')"
                    " < clock_timestamp() - make_interval(secs => %s)").format(s=s),
                    (max(keep, 1), max(grace_s, 0.0)))
                conn.execute(sql.SQL(
                    "DELETE FROM {s}.passage_texts p WHERE NOT EXISTS (SELECT 1 FROM"
                    " {s}.gen_passages m WHERE m.key = p.key)").format(s=s))
                conn.execute(sql.SQL(
                    "DELETE FROM {s}.article_texts x WHERE NOT EXISTS (SELECT 1 FROM"
                    " {s}.gen_articles a WHERE a.key = x.key)").format(s=s))
                conn.execute(sql.SQL(
                    "DELETE FROM {s}.postings p WHERE NOT EXISTS (SELECT 1 FROM"
                    " {s}.passage_texts t WHERE t.key = p.key)").format(s=s))
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot clean the index in the {describe(self.url)}: "
                                      f"{one_line(err)}") from None
        finally:
            conn.close()
