"""Writing a generation: one transaction that inserts what is new and switches the pointer.

Text that PostgreSQL cannot hold is made storable first: every NUL ("\\x00", which `text`
and `jsonb` reject) in titles, bodies, passages, paths and ids is replaced by U+FFFD, one
character for one, so the stored passage offsets into the body stay right.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime

import numpy as np
import psycopg
from psycopg import sql

from index.store.base import passage_id
from index.store.lexical import tokenize
from index.store.postgres.connection import as_halfvec
from index.store.postgres.schema import TEXT_INDEXES

NOTIFY_CHANNEL = "briefing_generation"


def clean(text: str) -> str:
    """`text` with each NUL replaced by U+FFFD (same length: offsets into it stay valid)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _key(*parts: object) -> int:
    """A 63-bit content key of the given parts (bytes are hashed as they are)."""
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "replace"))
        digest.update(b"\0")
    return int.from_bytes(digest.digest(), "big") & (2**63 - 1)


def write_generation(conn: psycopg.Connection, schema: str, manifest: dict,
                     vectors: np.ndarray, articles: list[dict], passages: list[dict]) -> str:
    """Insert a whole generation and make it current, in one transaction; returns its name.

    Passages and article texts already stored (by an earlier generation) are not inserted
    again: each is keyed by its content (a passage by its id and its vector, an article by
    its title, body and paragraphs). A failure at any point rolls everything back.
    """
    s = sql.Identifier(schema)
    name = f"gen-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    half = np.asarray(vectors, dtype=np.float16)
    number = {a["id"]: i for i, a in enumerate(articles)}

    article_keys = [_key(clean(a["id"]), clean(a["title"]), clean(a["body"]),
                         json.dumps(a["paragraphs"])) for a in articles]
    passage_rows = []
    for i, p in enumerate(passages):
        pid = p.get("id")
        if pid is None:
            pid = passage_id(p["article_id"], p["start"], p["end"], p["text"])
        sentences = [list(span) for span in p.get("sentences", ())]
        key = _key(pid, half[i].tobytes(), json.dumps(list(p["paragraphs"])),
                   json.dumps(sentences))
        passage_rows.append((pid, key, number[p["article_id"]], p, sentences))

    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = on")
        have_articles = _existing(conn, s, "article_texts", article_keys)
        have_passages = _existing(conn, s, "passage_texts", [r[1] for r in passage_rows])
        first_build = not conn.execute(sql.SQL(
            "SELECT EXISTS (SELECT FROM {s}.passage_texts) OR EXISTS (SELECT FROM"
            " {s}.article_texts)").format(s=s)).fetchone()[0]
        if first_build:  # no reader can be using the indexes: build each once, after the rows
            for index_name in TEXT_INDEXES:
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {}.{}").format(
                    s, sql.Identifier(index_name)))
        with conn.cursor() as cur:
            with cur.copy(sql.SQL("COPY {}.article_texts (key, title, body, paragraphs, dl)"
                                  " FROM STDIN").format(s)) as copy:
                for key, a in _new(zip(article_keys, articles, strict=True), have_articles):
                    body = clean(a["body"])
                    copy.write_row((key, clean(a["title"]), body, json.dumps(a["paragraphs"]),
                                    len(tokenize(f"{a['title']}\n{body}"))))
            with cur.copy(sql.SQL(
                    "COPY {}.passage_texts (key, id, article_id, paragraphs, start_at, end_at,"
                    " text, sentences, dl, embedding) FROM STDIN (FORMAT BINARY)").format(s)
                    ) as copy:
                copy.set_types(["int8", "int8", "text", "int4[]", "int4", "int4", "text",
                                "jsonb", "int4", "halfvec"])
                seen = set(have_passages)
                for i, (pid, key, _, p, sentences) in enumerate(passage_rows):
                    if key in seen:
                        continue
                    seen.add(key)
                    copy.write_row((key, pid, clean(p["article_id"]),
                                    [int(x) for x in p["paragraphs"]], int(p["start"]),
                                    int(p["end"]), clean(p["text"]), sentences,
                                    len(tokenize(p["text"])), as_halfvec(vectors[i])))
            generation = _insert_generation(conn, s, name, manifest, len(articles),
                                            len(passages))
            with cur.copy(sql.SQL("COPY {}.gen_articles (generation, number, id, key, path,"
                                  " source, published, content_hash, indexed_at) FROM STDIN")
                          .format(s)) as copy:
                for i, (key, a) in enumerate(zip(article_keys, articles, strict=True)):
                    copy.write_row((generation, i, clean(a["id"]), key, clean(a["path"]),
                                    clean(a["source"]), clean(a["published"]),
                                    clean(a["content_hash"]), clean(a["indexed_at"])))
            with cur.copy(sql.SQL("COPY {}.gen_passages (generation, row_no, id, key, article)"
                                  " FROM STDIN").format(s)) as copy:
                for row, (pid, key, article, _, _) in enumerate(passage_rows):
                    copy.write_row((generation, row, pid, key, article))
        _postings(conn, s, sorted({r[1] for r in passage_rows} - have_passages))
        if first_build:
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for create in TEXT_INDEXES.values():
                conn.execute(sql.SQL(create).format(s=s))
        _statistics(conn, s, generation)
        conn.execute(sql.SQL("UPDATE {s}.generations SET replaced_at = clock_timestamp()"
                             " WHERE id = (SELECT generation FROM {s}.pointer)").format(s=s))
        conn.execute(sql.SQL("UPDATE {}.pointer SET generation = %s").format(s), (generation,))
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(generation)))
    return name


def _existing(conn: psycopg.Connection, s: sql.Identifier, table: str,
              keys: list[int]) -> set[int]:
    if not keys:
        return set()
    rows = conn.execute(sql.SQL("SELECT key FROM {}.{} WHERE key = ANY(%s)")
                        .format(s, sql.Identifier(table)), (keys,)).fetchall()
    return {r[0] for r in rows}


def _new(pairs, have: set[int]):
    seen = set(have)
    for key, item in pairs:
        if key not in seen:
            seen.add(key)
            yield key, item


def _insert_generation(conn: psycopg.Connection, s: sql.Identifier, name: str, manifest: dict,
                       articles: int, passages: int) -> int:
    text = json.dumps(manifest).replace("\\u0000", "\\ufffd")
    return conn.execute(sql.SQL(
        "INSERT INTO {}.generations (name, manifest, passages, articles, passage_avgdl,"
        " article_avgdl) VALUES (%s, %s::jsonb, %s, %s, 0, 0) RETURNING id").format(s),
        (name, text, passages, articles)).fetchone()[0]


def _postings(conn: psycopg.Connection, s: sql.Identifier, keys: list[int]) -> None:
    """Unnest the new passages' tsvectors into postings: (lexeme, passage, frequency)."""
    for begin in range(0, len(keys), 20_000):
        conn.execute(sql.SQL(
            "INSERT INTO {s}.postings (lexeme, key, tf, dl)"
            " SELECT u.lexeme, t.key, coalesce(array_length(u.positions, 1), 1), t.dl"
            " FROM {s}.passage_texts t CROSS JOIN LATERAL unnest(t.tsv) u"
            " WHERE t.key = ANY(%s)").format(s=s), (keys[begin:begin + 20_000],))


def _tsvectors(conn: psycopg.Connection, s: sql.Identifier, members: str, texts: str,
               of: int, not_in: int | None) -> str:
    """A query (text, for ts_stat) of the tsvectors generation `of` holds and `not_in` does
    not; both are ints from the generations table, so the literals are safe."""
    query = sql.SQL("SELECT t.tsv FROM {s}.{members} m JOIN {s}.{texts} t ON t.key = m.key"
                    " WHERE m.generation = {g}").format(
        s=s, members=sql.Identifier(members), texts=sql.Identifier(texts), g=sql.Literal(of))
    if not_in is not None:
        query += sql.SQL(" AND NOT EXISTS (SELECT FROM {s}.{members} o WHERE"
                         " o.generation = {o} AND o.key = m.key)").format(
            s=s, members=sql.Identifier(members), o=sql.Literal(not_in))
    return query.as_string(conn)


def _statistics(conn: psycopg.Connection, s: sql.Identifier, generation: int) -> None:
    """Average lengths and each lexeme's document frequency, for BM25 and IDF.

    The frequencies are the current generation's plus those of the texts this one adds and
    minus those of the texts it drops (`ts_stat` over the difference only), so an
    incremental reindex costs what it changes; a first generation is counted whole.
    """
    conn.execute(sql.SQL(
        "UPDATE {s}.generations g SET"
        " passage_avgdl = coalesce((SELECT avg(t.dl) FROM {s}.gen_passages m"
        "   JOIN {s}.passage_texts t ON t.key = m.key WHERE m.generation = g.id), 0),"
        " article_avgdl = coalesce((SELECT avg(t.dl) FROM {s}.gen_articles m"
        "   JOIN {s}.article_texts t ON t.key = m.key WHERE m.generation = g.id), 0)"
        " WHERE g.id = %s").format(s=s), (generation,))
    previous = conn.execute(sql.SQL("SELECT generation FROM {}.pointer").format(s)).fetchone()[0]
    for scope, members, texts in (("p", "gen_passages", "passage_texts"),
                                  ("a", "gen_articles", "article_texts")):
        if previous is None:
            conn.execute(sql.SQL("INSERT INTO {}.terms (generation, scope, lexeme, df)"
                                 " SELECT %s, %s, word, ndoc FROM ts_stat(%s)").format(s),
                         (generation, scope, _tsvectors(conn, s, members, texts, generation, None)))
            continue
        conn.execute(sql.SQL(
            "INSERT INTO {s}.terms (generation, scope, lexeme, df)"
            " SELECT %(g)s, %(scope)s, lexeme, sum(df) FROM ("
            "   SELECT lexeme, df FROM {s}.terms WHERE generation = %(prev)s"
            "     AND scope = %(scope)s"
            "   UNION ALL SELECT word, ndoc FROM ts_stat(%(added)s)"
            "   UNION ALL SELECT word, -ndoc FROM ts_stat(%(dropped)s)) x"
            " GROUP BY lexeme HAVING sum(df) > 0").format(s=s),
            {"g": generation, "scope": scope, "prev": previous,
             "added": _tsvectors(conn, s, members, texts, generation, previous),
             "dropped": _tsvectors(conn, s, members, texts, previous, generation)})
