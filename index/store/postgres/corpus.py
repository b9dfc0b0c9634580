"""The corpus in the database: article texts by id, so any process sharing it can reindex.

`PgArticleStore` implements `index.store.base.ArticleStore` over the schema's `corpus` table.
It lives outside the generations: a reindex saves the corpus folder's articles here first
(one transaction), then indexes everything stored. NULs are stored as U+FFFD, one character
for one, as in the rest of this backend (write.py), so paragraph offsets stay right.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg
from psycopg import sql

from index.ingest.articles import Article
from index.store.postgres.connection import DatabaseUnavailable, connect, describe, one_line
from index.store.postgres.write import clean

# Texts shorter than this cannot reach PostgreSQL's 1 MB tsvector limit (a lexeme costs at most
# about four times the text it comes from), so only longer ones are checked before storing.
TSVECTOR_RISK = 256 * 1024

_FIELDS = ("id", "path", "title", "source", "published", "body", "paragraphs",
           "content_hash")


class PgArticleStore:
    """The articles of one schema's `corpus` table."""

    def __init__(self, url: str, schema: str) -> None:
        self._url, self._schema = url, schema

    def _connect(self) -> psycopg.Connection:
        return connect(self._url, self._schema)

    def save(self, articles: Sequence[Article]) -> int:
        """Insert or replace `articles` by id in one transaction; returns how many were new or
        changed (by content hash). A failure stores none of them."""
        s = sql.Identifier(self._schema)
        rows = {clean(a.id): a for a in articles}
        if not rows:
            return 0
        try:
            with self._connect() as conn, conn.transaction():
                stored = dict(conn.execute(
                    sql.SQL("SELECT id, content_hash FROM {}.corpus WHERE id = ANY(%s)")
                    .format(s), (list(rows),)).fetchall())
                changed = [a for key, a in rows.items()
                           if stored.get(key) != clean(a.content_hash)]
                if not changed:
                    return 0
                conn.execute(sql.SQL("CREATE TEMPORARY TABLE incoming (LIKE {}.corpus"
                                     " INCLUDING DEFAULTS) ON COMMIT DROP").format(s))
                with conn.cursor().copy(sql.SQL("COPY incoming ({}) FROM STDIN").format(
                        sql.SQL(", ").join(map(sql.Identifier, _FIELDS)))) as copy:
                    for a in changed:
                        copy.write_row((clean(a.id), clean(a.path), clean(a.title),
                                        clean(a.source), clean(a.published), clean(a.body),
                                        json.dumps([list(p) for p in a.paragraphs]),
                                        clean(a.content_hash)))
                columns = sql.SQL(", ").join(map(sql.Identifier, _FIELDS))
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(f)) for f in _FIELDS[1:])
                conn.execute(sql.SQL(
                    "INSERT INTO {s}.corpus ({c}) SELECT {c} FROM incoming"
                    " ON CONFLICT (id) DO UPDATE SET {u}, saved_at = now()").format(
                    s=s, c=columns, u=updates))
                return len(changed)
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot store articles in the {describe(self._url)}: "
                                      f"{one_line(err)}") from None

    def unindexable(self, articles: Sequence[Article]) -> dict[str, str]:
        """The articles whose words PostgreSQL cannot index, by id, with the reason: a text
        search vector holds at most 1 MB, which a long run of distinct tokens (an embedded
        base64 image, a table of numbers) exceeds. Only texts long enough to reach it are
        tried, each in a savepoint."""
        s = sql.Identifier(self._schema)
        long = [a for a in articles
                if len(a.title.encode("utf-8")) + len(a.body.encode("utf-8")) >= TSVECTOR_RISK]
        if not long:
            return {}
        refused: dict[str, str] = {}
        try:
            with self._connect() as conn:
                for a in long:
                    try:
                        with conn.transaction():
                            conn.execute(sql.SQL(
                                "SELECT to_tsvector('{s}.text_en'::regconfig, %s) IS NULL")
                                .format(s=s), (clean(f"{a.title}\n{a.body}"),))
                    except psycopg.errors.ProgramLimitExceeded:
                        refused[a.id] = (
                            "too many distinct words for PostgreSQL's text search (at most 1 MB"
                            " of them; long runs of symbols, such as an embedded image, do that)")
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot check articles in the {describe(self._url)}: "
                                      f"{one_line(err)}") from None
        return refused

    def articles(self) -> list[Article]:
        """Every stored article, in id order."""
        try:
            with self._connect() as conn:
                rows = conn.execute(sql.SQL("SELECT {} FROM {}.corpus ORDER BY id").format(
                    sql.SQL(", ").join(map(sql.Identifier, _FIELDS)),
                    sql.Identifier(self._schema))).fetchall()
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot read the articles in the "
                                      f"{describe(self._url)}: {one_line(err)}") from None
        return [Article(aid, path, title, source, published, body,
                        tuple((int(a), int(b)) for a, b in paragraphs), content_hash)
                for aid, path, title, source, published, body, paragraphs, content_hash
                in rows]

    def remove(self, article_ids: Sequence[str]) -> list[str]:
        """Forget these articles, remembering each text as removed (see `removed`); returns
        those of `article_ids` that were stored (an id is matched as stored, NULs as U+FFFD)."""
        given = {clean(i): i for i in article_ids}
        if not given:
            return []
        s = sql.Identifier(self._schema)
        try:
            with self._connect() as conn, conn.transaction():
                removed = conn.execute(sql.SQL(
                    "DELETE FROM {}.corpus WHERE id = ANY(%s) RETURNING id, content_hash")
                    .format(s), (list(given),)).fetchall()
                if removed:
                    conn.cursor().executemany(sql.SQL(
                        "INSERT INTO {}.removed (id, content_hash) VALUES (%s, %s)"
                        " ON CONFLICT (id) DO UPDATE SET content_hash = EXCLUDED.content_hash,"
                        " removed_at = now()").format(s), removed)
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot remove articles in the {describe(self._url)}: "
                                      f"{one_line(err)}") from None
        held = {row[0] for row in removed}
        return [original for stored, original in given.items() if stored in held]

    def removed(self, articles: Sequence[Article]) -> set[str]:
        """The ids of `articles` removed earlier with this very text (a changed text is a new
        article); a reindex leaves them out."""
        keys = {clean(a.id): a for a in articles}
        if not keys:
            return set()
        try:
            with self._connect() as conn:
                rows = conn.execute(sql.SQL(
                    "SELECT id, content_hash FROM {}.removed WHERE id = ANY(%s)").format(
                    sql.Identifier(self._schema)), (list(keys),)).fetchall()
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot read removed articles in the "
                                      f"{describe(self._url)}: {one_line(err)}") from None
        return {keys[i].id for i, digest in rows if clean(keys[i].content_hash) == digest}

    def readmit(self, article_ids: Sequence[str]) -> None:
        """Forget that these articles were removed: they are added again on purpose."""
        if not article_ids:
            return
        try:
            with self._connect() as conn:
                conn.execute(sql.SQL("DELETE FROM {}.removed WHERE id = ANY(%s)").format(
                    sql.Identifier(self._schema)), ([clean(i) for i in article_ids],))
        except psycopg.Error as err:
            raise DatabaseUnavailable(f"cannot record an added article in the "
                                      f"{describe(self._url)}: {one_line(err)}") from None
