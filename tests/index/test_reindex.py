"""Incremental reindexing: nothing re-embedded twice, edits and deletions seen, crashes harmless."""

from pathlib import Path

import pytest

from index import BriefingIndex, CorpusUnreadable, IndexCorrupt, IndexMismatch
from index.store.snapshot import CURRENT, current_generation
from tests.support import ROOT

GRAIN = ("---\ntitle: Grain corridor closes\n---\n\nRussia withdrew from the Black Sea grain "
         "agreement in July, ending a year of Ukrainian wheat shipments through Odesa.\n\n"
         "Turkish officials tried hard to negotiate an extension of the deal with Moscow, "
         "but the talks in Sochi failed to revive it.\n")


@pytest.fixture
def index(tmp_path: Path, embedder) -> BriefingIndex:
    return BriefingIndex(tmp_path / "index", embedder=embedder)


def test_second_reindex_with_no_change_embeds_nothing(index, corpus_copy):
    first = index.reindex(corpus_copy)
    assert first.embedded == 17 and first.added == ["russia-turkiye-israel-hamas-war"]
    generation = current_generation(index.backend.index_dir)
    second = index.reindex(corpus_copy)
    assert second.embedded == 0 and not second.changes and second.passages == 17
    assert current_generation(index.backend.index_dir) == generation


def test_added_edited_and_deleted_articles(index, corpus_copy):
    index.reindex(corpus_copy)
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    added = index.reindex(corpus_copy)
    assert added.added == ["grain"] and added.embedded == 2
    assert index.ask("When did Russia leave the grain deal?").hits[0].article == "grain"

    (corpus_copy / "grain.md").write_text(GRAIN.replace("in July", "in mid-July 2023"), "utf-8")
    edited = index.reindex(corpus_copy)
    assert edited.changed == ["grain"] and edited.embedded == 2 and edited.unchanged == 1
    assert "mid-July 2023" in index.ask("When did Russia leave the grain deal?").hits[0].text

    (corpus_copy / "grain.md").unlink()
    removed = index.reindex(corpus_copy)
    assert removed.removed == ["grain"] and removed.embedded == 0
    assert all(h.article != "grain" for h in index.ask("grain deal withdrawal", k=5).hits)
    assert [a.id for a in index.sources()] == ["russia-turkiye-israel-hamas-war"]


def test_bad_file_is_skipped_and_the_rest_indexed(index, corpus_copy):
    (corpus_copy / "broken.md").write_bytes(b"\xff\xfe\x00garbage")
    report = index.reindex(corpus_copy)
    assert [s.path for s in report.skipped] == ["broken.md"]
    assert report.passages == 17


def test_an_unreadable_corpus_folder_keeps_the_index_serving(index, corpus_copy, monkeypatch):
    import os

    index.reindex(corpus_copy)
    listing = os.scandir

    def refusing(path="."):
        if os.path.normpath(os.fspath(path)) == os.path.normpath(corpus_copy):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(CorpusUnreadable):
        index.reindex(corpus_copy)
    monkeypatch.undo()
    assert index.ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)
    assert [a.id for a in index.sources()] == ["russia-turkiye-israel-hamas-war"]


def test_loading_never_reembeds(index, corpus_copy, embedder, monkeypatch):
    index.reindex(corpus_copy)

    def no_embedding(*args, **kwargs):
        raise AssertionError("loading must not embed passages")

    reopened = BriefingIndex(index.backend.index_dir, embedder=embedder)
    monkeypatch.setattr(embedder, "embed", no_embedding)
    assert len(reopened.sources()) == 1


def test_corrupt_index_says_so(index, corpus_copy, embedder):
    index.reindex(corpus_copy)
    (current_generation(index.backend.index_dir) / "vectors.npy").write_bytes(b"not numpy")
    with pytest.raises(IndexCorrupt, match="vectors.npy is unreadable"):
        BriefingIndex(index.backend.index_dir, embedder=embedder).ask("anything")
    (index.backend.index_dir / CURRENT).write_text("gen-missing", "utf-8")
    with pytest.raises(IndexCorrupt, match="missing generation"):
        BriefingIndex(index.backend.index_dir, embedder=embedder).ask("anything")


def test_index_from_another_model_is_refused_then_rebuilt(index, corpus_copy, embedder,
                                                          monkeypatch):
    index.reindex(corpus_copy)
    monkeypatch.setattr(type(embedder), "fingerprint", property(lambda self: "other-model"))
    with pytest.raises(IndexMismatch, match="another model"):
        BriefingIndex(index.backend.index_dir, embedder=embedder).ask("anything")
    report = BriefingIndex(index.backend.index_dir, embedder=embedder).reindex(corpus_copy)
    assert report.rebuilt_from_scratch and report.embedded == 17


def test_large_index_uses_hnsw_with_the_same_answers(tmp_path, embedder, monkeypatch):
    """Past the exact-search limit the dense store switches to HNSW; answers stay the same."""
    import index.store.dense as dense

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.md").write_text((ROOT / "corpus" / "russia-turkiye-israel-hamas-war.md")
                                    .read_text("utf-8"), "utf-8")
    exact = BriefingIndex(tmp_path / "exact", embedder=embedder)
    exact.reindex(corpus)
    monkeypatch.setattr(dense, "EXACT_LIMIT", 5)
    graph = BriefingIndex(tmp_path / "graph", embedder=embedder)
    graph.reindex(corpus)
    assert exact.snapshot().dense.kind == "exact" and graph.snapshot().dense.kind == "hnsw"
    for question in ("Why did Erdoğan approve Sweden?", "How has Erdogan supported Hamas?"):
        assert [h.paragraphs for h in exact.ask(question).hits] == [
            h.paragraphs for h in graph.ask(question).hits]
