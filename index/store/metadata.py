"""Article and passage metadata in SQLite; passage row i matches vector row i (the local
backend, index/store/local.py, names rows by their stable passage ids)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from index.errors import REINDEX_ADVICE, IndexCorrupt
from index.spans import PassageRecord

_SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
    published TEXT NOT NULL, content_hash TEXT NOT NULL, indexed_at TEXT NOT NULL,
    body TEXT NOT NULL, paragraphs TEXT NOT NULL
);
CREATE TABLE passages (
    row INTEGER PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id),
    paragraphs TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    sentences TEXT NOT NULL
);
CREATE INDEX passages_by_article ON passages(article_id, row);
"""


@dataclass(frozen=True)
class ArticleRecord:
    """An indexed article as stored (without its body)."""

    id: str
    path: str
    title: str
    source: str
    published: str
    content_hash: str
    indexed_at: str
    passages: int

    @property
    def published_day(self) -> date | None:
        """The published date as read, unless it is after the day the article was indexed (a
        typo or a wrong clock): what lists of articles show and sort by."""
        from index.ingest.dates import credible_published  # it imports this module

        return credible_published(self.published, self.indexed_at)


class MetadataStore:
    """Read access to one index generation's metadata database (written once, then read)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                         check_same_thread=False)
        except sqlite3.Error as err:  # missing, or no permission
            raise self._damaged(err) from None
        self._lock = threading.Lock()

    @staticmethod
    def write(path: Path, articles: Iterable[dict], passages: Iterable[dict]) -> None:
        """Create the database at `path` from article and passage rows."""
        conn = sqlite3.connect(path)
        try:
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO articles VALUES (:id, :path, :title, :source, :published,"
                " :content_hash, :indexed_at, :body, :paragraphs)",
                ({**a, "paragraphs": json.dumps(a["paragraphs"])} for a in articles))
            conn.executemany(
                "INSERT INTO passages VALUES (:row, :article_id, :paragraphs, :start, :end, :text,"
                " :sentences)",
                ({**p, "paragraphs": json.dumps(list(p["paragraphs"])),
                  "sentences": json.dumps([list(span) for span in p.get("sentences", ())])}
                 for p in passages))
            conn.commit()
        finally:
            conn.close()

    def close(self) -> None:
        """Release the database file."""
        self._conn.close()

    def check(self) -> None:
        """Raise IndexCorrupt unless SQLite finds the whole database file intact.

        Run once at load (milliseconds for a 1,000-article archive), so that damage is
        reported then, not as an exception from the middle of a question.
        """
        problems = self._query("PRAGMA quick_check")
        if problems != [("ok",)]:
            raise self._damaged(problems[0][0] if problems else "empty")

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        try:
            with self._lock:
                return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as err:  # a damaged or truncated file
            raise self._damaged(err) from None

    def _damaged(self, why: object) -> IndexCorrupt:
        return IndexCorrupt(f"damaged index metadata {self._path} ({why}){REINDEX_ADVICE}")

    def articles(self) -> list[ArticleRecord]:
        """Every article, in id order, with its passage count."""
        rows = self._query(
            "SELECT a.id, a.path, a.title, a.source, a.published, a.content_hash, a.indexed_at,"
            " (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id)"
            " FROM articles a ORDER BY a.id")
        return [ArticleRecord(*row) for row in rows]

    def article(self, article_id: str) -> ArticleRecord | None:
        """One article by id (without its body), or None if it is not indexed."""
        rows = self._query(
            "SELECT a.id, a.path, a.title, a.source, a.published, a.content_hash, a.indexed_at,"
            " (SELECT COUNT(*) FROM passages p WHERE p.article_id = a.id)"
            " FROM articles a WHERE a.id = ?", (article_id,))
        return ArticleRecord(*rows[0]) if rows else None

    def article_body(self, article_id: str) -> tuple[str, list[tuple[int, int]]] | None:
        """An article's body text and paragraph spans, or None if it is not indexed."""
        rows = self._query("SELECT body, paragraphs FROM articles WHERE id = ?", (article_id,))
        if not rows:
            return None
        return rows[0][0], [tuple(span) for span in json.loads(rows[0][1])]

    def passages(self, rows: Iterable[int], ids: Iterable[int] | None = None
                 ) -> list[PassageRecord]:
        """The passages at the given rows, in the order asked; `id` holds the row, or the
        matching value of `ids` when given (one per row)."""
        rows = [int(r) for r in rows]
        if not rows:
            return []
        named = dict(zip(rows, (int(i) for i in ids), strict=True)) if ids is not None else {}
        found: dict[int, PassageRecord] = {}
        for begin in range(0, len(rows), 500):
            batch = rows[begin:begin + 500]
            marks = ",".join("?" * len(batch))
            for r in self._query(
                    "SELECT p.row, p.article_id, a.title, a.source, p.paragraphs, p.start,"
                    " p.\"end\","
                    f" p.text, p.sentences FROM passages p JOIN articles a ON a.id = p.article_id"
                    f" WHERE p.row IN ({marks})", batch):
                found[r[0]] = PassageRecord(
                    id=named.get(r[0], r[0]), article=r[1], title=r[2], source=r[3],
                    paragraphs=tuple(json.loads(r[4])), start=r[5], end=r[6], text=r[7],
                    sentences=tuple(tuple(span) for span in json.loads(r[8])))
        return [found[r] for r in rows if r in found]

    def article_ids_in_order(self) -> list[str]:
        """Article ids in the order they were written: position i is article number i of the
        generation's article-level evidence (index/store/article_level.py)."""
        return [r[0] for r in self._query("SELECT id FROM articles ORDER BY rowid")]

    def paragraphs_of(self, article_id: str) -> dict[int, tuple[int, ...]]:
        """Row -> paragraph numbers of each passage of one article (empty if not indexed)."""
        return {row: tuple(json.loads(paragraphs)) for row, paragraphs in self._query(
            "SELECT row, paragraphs FROM passages WHERE article_id = ?", (article_id,))}

    def article_rows(self) -> dict[str, tuple[str, list[int]]]:
        """For each article id: its content hash and the passage rows it owns."""
        result: dict[str, tuple[str, list[int]]] = {
            aid: (h, []) for aid, h in self._query("SELECT id, content_hash FROM articles")}
        for aid, row in self._query("SELECT article_id, row FROM passages ORDER BY row"):
            result[aid][1].append(row)
        return result
