"""The PostgreSQL schema: tables, the text search configuration and indexes, created on first use.

Layout (all in one schema, `briefing` by default)::

    generations     one row per written generation: manifest, counts, average lengths, and
                    when another generation replaced it as current
    pointer         a single row naming the current generation (switched in the write's
                    own transaction)
    passage_texts   each distinct passage once, keyed by a content key (passage id + vector):
                    text, spans, length in tokens, halfvec embedding (HNSW, cosine) and a
                    generated tsvector (GIN)
    gen_passages    which passages a generation holds: row order, passage id, article number
    article_texts   each distinct article text once (title, body, generated tsvector, GIN)
    gen_articles    which articles a generation holds: article number, id, path, dates
    postings        each stored passage's lexemes, unnested from its tsvector at write
                    time: lexeme, passage key, term frequency (the lexeme's position count)
                    and the passage's length, for BM25 over the whole generation
    terms           document frequency of each lexeme per generation, over passages ('p')
                    and whole articles ('a'), from ts_stat at write time
    corpus          the article texts themselves, by article id (corpus.py): what a reindex
                    indexes, whichever process runs it; outside any generation
    removed         articles removed from the corpus (id, the text's content hash): another
                    process's folder still holding that text does not bring it back

Stored once, shared by every generation that holds them: an incremental reindex that changes
one article inserts (and adds to the HNSW graph) only that article's passages.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4  # 2: the corpus table; 3: generations.replaced_at; 4: removed
DIMENSION = 384
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64

# A snowball English stemmer *without* a stop-word list: PostgreSQL's `english` drops 127
# words ("when", "after", "between"…) that our tokenizer keeps (it drops only bm25s's 35),
# and a question token missing from every tsvector could never match.
_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.generations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
    manifest jsonb NOT NULL, passages int NOT NULL, articles int NOT NULL,
    passage_avgdl float8 NOT NULL, article_avgdl float8 NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), replaced_at timestamptz);
ALTER TABLE {s}.generations ADD COLUMN IF NOT EXISTS replaced_at timestamptz;
CREATE TABLE IF NOT EXISTS {s}.pointer (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint REFERENCES {s}.generations(id));
INSERT INTO {s}.pointer (only_row, generation) VALUES (true, NULL) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.passage_texts (
    key bigint PRIMARY KEY, id bigint NOT NULL, article_id text NOT NULL,
    paragraphs int[] NOT NULL, start_at int NOT NULL, end_at int NOT NULL, text text NOT NULL,
    sentences jsonb NOT NULL, dl int NOT NULL, embedding halfvec({dim}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('{s}.text_en'::regconfig, text)) STORED);
CREATE TABLE IF NOT EXISTS {s}.gen_passages (
    generation bigint NOT NULL REFERENCES {s}.generations(id) ON DELETE CASCADE,
    row_no int NOT NULL, id bigint NOT NULL, key bigint NOT NULL REFERENCES {s}.passage_texts,
    article int NOT NULL, PRIMARY KEY (generation, id));
CREATE TABLE IF NOT EXISTS {s}.article_texts (
    key bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL, paragraphs jsonb NOT NULL,
    dl int NOT NULL,
    tsv tsvector GENERATED ALWAYS AS
        (to_tsvector('{s}.text_en'::regconfig, title || E'\\n' || body)) STORED);
CREATE TABLE IF NOT EXISTS {s}.gen_articles (
    generation bigint NOT NULL REFERENCES {s}.generations(id) ON DELETE CASCADE,
    number int NOT NULL, id text NOT NULL, key bigint NOT NULL REFERENCES {s}.article_texts,
    path text NOT NULL, source text NOT NULL, published text NOT NULL,
    content_hash text NOT NULL, indexed_at text NOT NULL,
    PRIMARY KEY (generation, number), UNIQUE (generation, id));
CREATE TABLE IF NOT EXISTS {s}.terms (
    generation bigint NOT NULL REFERENCES {s}.generations(id) ON DELETE CASCADE,
    scope "char" NOT NULL, lexeme text NOT NULL, df int NOT NULL,
    PRIMARY KEY (generation, scope, lexeme));
CREATE TABLE IF NOT EXISTS {s}.postings (
    lexeme text NOT NULL, key bigint NOT NULL, tf int NOT NULL, dl int NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.corpus (
    id text PRIMARY KEY, path text NOT NULL, title text NOT NULL, source text NOT NULL,
    published text NOT NULL, body text NOT NULL, paragraphs jsonb NOT NULL,
    content_hash text NOT NULL, saved_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS {s}.removed (
    id text PRIMARY KEY, content_hash text NOT NULL,
    removed_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS gen_passages_key ON {s}.gen_passages (key, generation);
CREATE INDEX IF NOT EXISTS gen_passages_article ON {s}.gen_passages (generation, article);
CREATE INDEX IF NOT EXISTS gen_articles_key ON {s}.gen_articles (key);
"""
# Indexes over the stored texts, by name. A first build (no text stored yet, so no reader
# can be using them) drops them and builds each once after the rows: 3-4 times faster.
TEXT_INDEXES = {
    "passage_texts_embedding": "CREATE INDEX IF NOT EXISTS passage_texts_embedding"
    " ON {s}.passage_texts USING hnsw (embedding halfvec_cosine_ops)"
    f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})",
    "passage_texts_tsv": "CREATE INDEX IF NOT EXISTS passage_texts_tsv"
    " ON {s}.passage_texts USING gin (tsv)",
    "article_texts_tsv": "CREATE INDEX IF NOT EXISTS article_texts_tsv"
    " ON {s}.article_texts USING gin (tsv)",
    "postings_lookup": "CREATE UNIQUE INDEX IF NOT EXISTS postings_lookup"
    " ON {s}.postings (lexeme, key) INCLUDE (tf, dl)",
}

_CONFIG = """
CREATE TEXT SEARCH DICTIONARY {s}.stem_en (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION {s}.text_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION {s}.text_en
    ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart
    WITH unaccent, {s}.stem_en;
"""


class MissingExtension(Exception):
    """The server lacks an extension (or the right to create it); the message says which."""


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create the extensions, the schema and its tables if missing (idempotent, and safe
    when several processes start at once: it holds a transaction-level advisory lock)."""
    s = sql.Identifier(schema)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"schema:{schema}",))
        exists = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'meta'", (schema,)).fetchone()
        if exists:
            row = conn.execute(sql.SQL("SELECT value FROM {}.meta WHERE key = 'version'")
                               .format(s)).fetchone()
            if row and int(row[0]) == SCHEMA_VERSION:
                return
    try:
        _create(conn, s, schema)
    except psycopg.errors.InsufficientPrivilege:
        if not exists:
            raise
        # A role that may only read (questions) finds a schema an older version made: it
        # reads it as it is; the first process allowed to write brings it up to date.
        log.warning("the index schema %s is from an older version and this role cannot "
                    "update it; reading it as it is", schema)


def _create(conn: psycopg.Connection, s: sql.Identifier, schema: str) -> None:
    """The extensions, schema, tables and indexes, and the version that made them."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"schema:{schema}",))
        _create_extensions(conn)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
        if not conn.execute("SELECT 1 FROM pg_ts_config c JOIN pg_namespace n"
                            " ON n.oid = c.cfgnamespace WHERE n.nspname = %s"
                            " AND c.cfgname = 'text_en'", (schema,)).fetchone():
            conn.execute(sql.SQL(_CONFIG).format(s=s))
        conn.execute(sql.SQL(_DDL).format(s=s, dim=sql.Literal(DIMENSION)))
        for create in TEXT_INDEXES.values():
            conn.execute(sql.SQL(create).format(s=s))
        conn.execute(sql.SQL("INSERT INTO {}.meta VALUES ('version', %s) ON CONFLICT (key)"
                             " DO UPDATE SET value = EXCLUDED.value").format(s),
                     (str(SCHEMA_VERSION),))


def _create_extensions(conn: psycopg.Connection) -> None:
    for name, hint in (("vector", "pgvector (e.g. the pgvector/pgvector Docker image)"),
                       ("unaccent", "PostgreSQL's contrib package")):
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,)).fetchone():
            continue
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s",
                            (name,)).fetchone():
            raise MissingExtension(f"the server has no {name!r} extension: install {hint}")
        try:
            with conn.transaction():
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                    sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege:
            raise MissingExtension(
                f"the {name!r} extension is not enabled and this user may not enable it: "
                f"run `CREATE EXTENSION {name};` as a superuser in this database") from None
