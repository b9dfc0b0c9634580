"""An empty corpus is a valid state: it indexes to no passages, and questions say so."""

from datetime import datetime
from pathlib import Path

import pytest

from index import (
    NOTHING_INDEXED,
    BriefingIndex,
    CorpusEmpty,
    CorpusMissing,
    IndexNotWritable,
    NothingIndexed,
)
from index.search.hybrid import search
from index.store.snapshot import current_generation


@pytest.fixture
def index(tmp_path: Path, embedder) -> BriefingIndex:
    return BriefingIndex(tmp_path / "index", embedder=embedder)


@pytest.mark.parametrize("files", [{}, {"empty.md": b"", "binary.txt": b"\x00\x01\x02"}],
                         ids=["no files", "only bad files"])
def test_empty_corpus_indexes_to_no_passages_and_questions_say_so(index, tmp_path, files):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    report = index.reindex(corpus)
    assert (report.passages, report.embedded, report.added) == (0, 0, [])
    assert sorted(s.path for s in report.skipped) == sorted(files)
    assert current_generation(index.backend.index_dir) is not None
    assert index.sources() == []
    assert index.digest(datetime(2000, 1, 1)).entries == ()
    for call in (lambda: index.ask("Why did Erdoğan approve Sweden?"),
                 lambda: index.summarize_topic("Sweden"),
                 lambda: index.summarize("russia-turkiye-israel-hamas-war")):
        with pytest.raises(NothingIndexed) as raised:
            call()
        assert str(raised.value) == NOTHING_INDEXED == "No articles are indexed yet."


def test_empty_index_loads_from_disk_and_search_finds_nothing(index, tmp_path, embedder):
    (tmp_path / "corpus").mkdir()
    index.reindex(tmp_path / "corpus")
    reopened = BriefingIndex(index.backend.index_dir, embedder=embedder)
    assert reopened.snapshot().size == 0 and reopened.sources() == []
    answer = search(reopened.snapshot(), embedder, "Sweden", 3, 0.7)
    assert (answer.answered, answer.hits) == (False, ())
    with pytest.raises(NothingIndexed):
        reopened.ask("Sweden")


def test_articles_added_to_an_empty_corpus_are_indexed_then_removing_them_empties_it(
        index, corpus_copy):
    empty = corpus_copy.parent / "empty"
    empty.mkdir()
    index.reindex(empty)
    report = index.reindex(corpus_copy)
    assert report.added == ["russia-turkiye-israel-hamas-war"] and report.passages == 17
    assert index.ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)
    for path in corpus_copy.iterdir():
        path.unlink()
    emptied = index.reindex(corpus_copy, allow_empty=True)  # asked for: see below
    assert emptied.removed == ["russia-turkiye-israel-hamas-war"] and emptied.passages == 0
    assert index.sources() == []
    with pytest.raises(NothingIndexed):
        index.ask("Why did Erdoğan approve Sweden?")


def test_missing_corpus_folder_is_one_clear_error(index, tmp_path):
    with pytest.raises(CorpusMissing) as raised:
        index.reindex(tmp_path / "nowhere")
    assert str(raised.value) == f"corpus directory {tmp_path / 'nowhere'} does not exist"
    assert "\n" not in str(raised.value)


def test_an_index_folder_that_is_a_file_is_named_as_such(tmp_path):
    (tmp_path / "taken").write_text("", encoding="utf-8")
    for where in (tmp_path / "taken", tmp_path / "taken" / "index"):
        with pytest.raises(IndexNotWritable, match=f"{tmp_path / 'taken'} is a file, not a "
                                                   "folder"):
            BriefingIndex(where)


@pytest.mark.parametrize(("files", "says"), [
    ({}, "is empty (is it mounted?)"),
    ({"binary.txt": b"\x00\x01"}, "has no readable article (1 file skipped)")])
def test_an_emptied_corpus_folder_keeps_the_indexed_articles_unless_allowed(
        index, corpus_copy, files, says):
    """A volume that failed to mount looks like an empty folder: a reindex silently emptied
    the index."""
    index.reindex(corpus_copy)
    for path in corpus_copy.iterdir():
        path.unlink()
    for name, data in files.items():
        (corpus_copy / name).write_bytes(data)
    with pytest.raises(CorpusEmpty) as refused:
        index.reindex(corpus_copy)
    assert str(refused.value) == (
        f"the corpus folder {corpus_copy} {says}; keeping the 1 indexed article; "
        "`briefing reindex --allow-empty` empties the index")
    assert [a.id for a in index.sources()] == ["russia-turkiye-israel-hamas-war"]
    report = index.reindex(corpus_copy, allow_empty=True)
    assert (report.passages, report.removed) == (0, ["russia-turkiye-israel-hamas-war"])
    assert index.sources() == []
