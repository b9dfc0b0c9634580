"""Reading one generation: the store protocols of index/store/base.py over SQL.

Every query names its generation, so a reader keeps answering from the generation it loaded
while another process writes the next one (the write's rows are invisible until it commits).
Lexical and article-level text search are in lexical.py.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Sequence

import numpy as np
import psycopg
from psycopg import sql

from index.errors import BriefingError, IndexCorrupt
from index.spans import PassageRecord
from index.store.metadata import ArticleRecord
from index.store.postgres.connection import DatabaseUnavailable, as_halfvec, connect, one_line

STATEMENT_TIMEOUT_S = 30  # a stuck query fails the question instead of hanging it
EF_SEARCH = 100  # HNSW candidate list per query (pgvector's default is 40); see PG_NOTES


class Generation:
    """One generation as read through one connection (queries are serialised on it).

    A connection that breaks (the server restarted, a network blip) is replaced on the next
    query: the generation's rows are still there unless it was removed as stale.
    """

    def __init__(self, url: str, schema: str, conn: psycopg.Connection, row: tuple) -> None:
        self.url, self.schema = url, schema
        self.s = sql.Identifier(schema)
        self.id, self.name, self.manifest, self.passages, self.articles = row[:5]
        self.passage_avgdl, self.article_avgdl = float(row[5]) or 1.0, float(row[6]) or 1.0
        self._lock = threading.Lock()
        self._ef = EF_SEARCH
        self.conn = self._prepared(conn)

    def _prepared(self, conn: psycopg.Connection) -> psycopg.Connection:
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false),"
                     " set_config('hnsw.iterative_scan', 'relaxed_order', false),"
                     " set_config('statement_timeout', %s, false)",
                     (str(EF_SEARCH), f"{STATEMENT_TIMEOUT_S}s"))
        self._ef = EF_SEARCH
        return conn

    def query(self, text: str, params: dict | Sequence = ()) -> list[tuple]:
        """Rows of a query whose `{s}` is the schema; BriefingError if the database fails."""
        statement = sql.SQL(text).format(s=self.s)
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self.conn.closed:
                        self.conn = self._prepared(connect(self.url, self.schema))
                    return self.conn.execute(statement, params, binary=True).fetchall()
                except psycopg.errors.QueryCanceled:
                    raise BriefingError(f"the index database took over {STATEMENT_TIMEOUT_S}"
                                        " s to answer") from None
                except psycopg.OperationalError as err:
                    self.conn.close()  # reconnect once: the server may have restarted
                    if attempt == 2:
                        raise BriefingError("the index database is unreachable: "
                                            f"{one_line(err)}") from None
                except DatabaseUnavailable as err:
                    raise BriefingError(str(err)) from None
                except psycopg.Error as err:  # e.g. a table gone: the schema was dropped
                    with contextlib.suppress(psycopg.Error):
                        self.conn.rollback()
                    raise BriefingError(f"the index database refused a query: "
                                        f"{one_line(err)}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection (after a query in flight on another thread). A query after
        this connects again, for a caller still holding the generation."""
        with self._lock:
            self.conn.close()

    @functools.cached_property
    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Passage ids in row order, and the article number of each (read once)."""
        found = self.query("SELECT id, article FROM {s}.gen_passages WHERE generation = %s"
                           " ORDER BY row_no", (self.id,))
        ids = np.array([r[0] for r in found], dtype=np.int64)
        return ids, np.array([r[1] for r in found], dtype=np.int32)

    @functools.cached_property
    def article_of(self) -> dict[int, int]:
        """Passage id -> article number."""
        ids, articles = self.rows
        return dict(zip(ids.tolist(), articles.tolist(), strict=True))


class PgDense:
    """Dense search over the generation's halfvec embeddings (HNSW, cosine)."""

    kind = "pgvector-hnsw"

    def __init__(self, gen: Generation) -> None:
        self._gen = gen

    def __len__(self) -> int:
        return self._gen.passages

    @property
    def dimension(self) -> int:
        """Vector length."""
        return int(self._gen.manifest.get("dimension", 384))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine similarities (1 - cosine distance) of the `k` nearest passages."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        gen = self._gen
        if k > gen._ef:
            gen.query("SELECT set_config('hnsw.ef_search', %s, false)", (str(k),))
            gen._ef = k
        rows = gen.query(
            "SELECT id, sim FROM (SELECT m.id, 1 - (p.embedding <=> %(q)s) AS sim"
            " FROM {s}.passage_texts p JOIN {s}.gen_passages m"
            "   ON m.key = p.key AND m.generation = %(g)s"
            " ORDER BY p.embedding <=> %(q)s LIMIT %(k)s) x ORDER BY sim DESC",
            {"q": as_halfvec(query), "g": gen.id, "k": k})
        return (np.array([r[0] for r in rows], dtype=np.int64),
                np.array([r[1] for r in rows], dtype=np.float32))

    def vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The stored vectors (float32; halfvec precision), in the order asked; an id this
        generation does not hold raises IndexCorrupt."""
        ids = [int(i) for i in ids]
        found = {}
        for begin in range(0, len(ids), 10_000):
            for pid, vec in self._gen.query(
                    "SELECT m.id, p.embedding FROM {s}.gen_passages m JOIN {s}.passage_texts p"
                    " ON p.key = m.key WHERE m.generation = %s AND m.id = ANY(%s)",
                    (self._gen.id, ids[begin:begin + 10_000])):
                found[pid] = vec
        missing = [i for i in ids if i not in found]
        if missing:  # as the local store: a caller's arrays would no longer line up
            raise IndexCorrupt(f"passage {missing[0]} is not in this index generation")
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in ids])

    def similarities(self, query: np.ndarray, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Cosine similarity of `query` to each of `ids`, in the order asked."""
        vectors = self.vectors(ids)
        if not len(vectors):
            return np.zeros(0, dtype=np.float32)
        q = np.asarray(query, dtype=np.float32).ravel()
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(q) or 1.0)
        return (vectors @ q / np.where(norms > 0, norms, 1.0)).astype(np.float32)

_PASSAGE = ("SELECT m.id, a.id, x.title, a.source, p.paragraphs, p.start_at, p.end_at, p.text,"
            " p.sentences FROM {s}.gen_passages m JOIN {s}.passage_texts p ON p.key = m.key"
            " JOIN {s}.gen_articles a ON a.generation = m.generation AND a.number = m.article"
            " JOIN {s}.article_texts x ON x.key = a.key WHERE m.generation = %s")
_ARTICLE = ("SELECT a.id, a.path, x.title, a.source, a.published, a.content_hash, a.indexed_at,"
            " (SELECT count(*) FROM {s}.gen_passages m WHERE m.generation = a.generation"
            "  AND m.article = a.number) FROM {s}.gen_articles a JOIN {s}.article_texts x"
            " ON x.key = a.key WHERE a.generation = %s")


class PgMetadata:
    """Articles and passages as stored; `PassageRecord.id` holds the passage id."""

    def __init__(self, gen: Generation) -> None:
        self._gen = gen

    def close(self) -> None:
        """Close the generation's connection (every store of this snapshot shares it)."""
        self._gen.close()

    def passages(self, ids: Sequence[int] | np.ndarray) -> list[PassageRecord]:
        """The passages with these ids, in the order asked (unknown ids left out)."""
        ids = [int(i) for i in ids]
        found: dict[int, PassageRecord] = {}
        for begin in range(0, len(ids), 10_000):
            for r in self._gen.query(_PASSAGE + " AND m.id = ANY(%s)",
                                     (self._gen.id, ids[begin:begin + 10_000])):
                found[r[0]] = PassageRecord(
                    id=r[0], article=r[1], title=r[2], source=r[3], paragraphs=tuple(r[4]),
                    start=r[5], end=r[6], text=r[7],
                    sentences=tuple(tuple(span) for span in r[8]))
        return [found[i] for i in ids if i in found]

    def articles(self) -> list[ArticleRecord]:
        """Every article, in id order, with its passage count."""
        return [ArticleRecord(*r) for r in self._gen.query(_ARTICLE + " ORDER BY a.id",
                                                           (self._gen.id,))]

    def article(self, article_id: str) -> ArticleRecord | None:
        """One article by id, or None."""
        rows = self._gen.query(_ARTICLE + " AND a.id = %s",
                               (self._gen.id, article_id.replace("\x00", "\ufffd")))
        return ArticleRecord(*rows[0]) if rows else None

    def article_body(self, article_id: str) -> tuple[str, list[tuple[int, int]]] | None:
        """An article's body and paragraph spans, or None if it is not indexed."""
        rows = self._gen.query(
            "SELECT x.body, x.paragraphs FROM {s}.gen_articles a JOIN {s}.article_texts x"
            " ON x.key = a.key WHERE a.generation = %s AND a.id = %s",
            (self._gen.id, article_id.replace("\x00", "\ufffd")))
        if not rows:
            return None
        paragraphs = rows[0][1] if not isinstance(rows[0][1], str) else json.loads(rows[0][1])
        return rows[0][0], [tuple(span) for span in paragraphs]

    def article_ids_in_order(self) -> list[str]:
        """Article ids by article number."""
        return [r[0] for r in self._gen.query(
            "SELECT id FROM {s}.gen_articles WHERE generation = %s ORDER BY number",
            (self._gen.id,))]

    def paragraphs_of(self, article_id: str) -> dict[int, tuple[int, ...]]:
        """Passage id -> paragraph numbers of each passage of one article."""
        return {r[0]: tuple(r[1]) for r in self._gen.query(
            "SELECT m.id, p.paragraphs FROM {s}.gen_articles a JOIN {s}.gen_passages m"
            " ON m.generation = a.generation AND m.article = a.number"
            " JOIN {s}.passage_texts p ON p.key = m.key"
            " WHERE a.generation = %s AND a.id = %s ORDER BY m.row_no",
            (self._gen.id, article_id.replace("\x00", "\ufffd")))}

    def article_passages(self) -> dict[str, tuple[str, list[int]]]:
        """For each article id: its content hash and its passage ids in article order."""
        result: dict[str, tuple[str, list[int]]] = {}
        numbered = self._gen.query("SELECT number, id, content_hash FROM {s}.gen_articles"
                                   " WHERE generation = %s ORDER BY number", (self._gen.id,))
        by_number = {}
        for number, aid, content_hash in numbered:
            result[aid] = (content_hash, [])
            by_number[number] = result[aid][1]
        ids, numbers = self._gen.rows
        for pid, number in zip(ids.tolist(), numbers.tolist(), strict=True):
            by_number[number].append(pid)
        return result
