"""A damaged, replaced or unwritable index: one clear error, reindex repairs, serving goes on."""

import errno
import shutil
from pathlib import Path

import pytest

from index import BriefingIndex, IndexCorrupt, IndexNotWritable
from index.store.metadata import MetadataStore
from index.store.snapshot import CURRENT, current_generation
from tests.support import ROOT

GRAIN = ("---\ntitle: Grain corridor closes\n---\n\nRussia withdrew from the Black Sea grain "
         "agreement in July, ending a year of Ukrainian wheat shipments through Odesa.\n")


@pytest.fixture
def built(tmp_path: Path, embedder, corpus_copy) -> BriefingIndex:
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.reindex(corpus_copy)
    return index


def fresh(index: BriefingIndex) -> BriefingIndex:
    """Another process opening the same folder."""
    return BriefingIndex(index.backend.index_dir, embedder=index.embedder)


@pytest.mark.parametrize("pointer", [b"\xff\xfe\x00", b"..", b"../../etc", b"gen-x/../..", b""])
def test_a_damaged_current_is_one_error_and_reindex_repairs_it(built, corpus_copy, pointer):
    (built.backend.index_dir / CURRENT).write_bytes(pointer)
    with pytest.raises(IndexCorrupt, match="CURRENT"):
        fresh(built).sources()
    report = fresh(built).reindex(corpus_copy)
    assert report.rebuilt_from_scratch and report.embedded == 17
    assert fresh(built).ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)


def test_current_never_reads_outside_the_index_folder(tmp_path, embedder):
    outside = tmp_path / "gen-outside"
    shutil.copytree(ROOT / "corpus", outside)  # a folder that exists beside the index
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / CURRENT).write_text("../gen-outside", "utf-8")
    with pytest.raises(IndexCorrupt, match="missing generation"):
        current_generation(tmp_path / "index")


def test_overwritten_metadata_is_caught_at_load_and_rebuilt(built, corpus_copy):
    database = current_generation(built.backend.index_dir) / "metadata.sqlite"
    with database.open("r+b") as file:  # keep SQLite's header, trash the pages after it
        file.seek(4096)
        file.write(b"\x13" * 8192)
    with pytest.raises(IndexCorrupt):
        fresh(built).ask("Why did Erdoğan approve Sweden?")
    report = fresh(built).reindex(corpus_copy)
    assert report.rebuilt_from_scratch and report.embedded == 17
    assert fresh(built).ask("Why did Erdoğan approve Sweden?").answered


@pytest.mark.parametrize(("name", "garbage", "says"), [
    ("row_articles.npy", b"\x7f" * 8, "row_articles.npy names articles outside"),
    ("passage_ids.npy", b"\xff" * 8, "passage_ids.npy holds negative or repeated"),
    ("vectors.npy", b"\x55" * 64, "vectors.npy row 16 is not a unit vector"),
])
def test_bytes_overwritten_in_place_are_caught_at_load_and_rebuilt(built, corpus_copy, name,
                                                                   garbage, says):
    """Damage that keeps a file's size loaded as if whole: an article number out of range
    failed every question with an IndexError, and `reindex` found nothing changed and kept
    the damage; damaged vectors were searched and reused by every later reindex."""
    with (current_generation(built.backend.index_dir) / name).open("r+b") as file:
        file.seek(-len(garbage), 2)
        file.write(garbage)
    with pytest.raises(IndexCorrupt, match=says):
        fresh(built).ask("Why did Erdoğan approve Sweden?")
    report = fresh(built).reindex(corpus_copy)
    assert says in report.rebuilt_from_scratch and report.embedded == 17
    assert fresh(built).ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)


def cut_short(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize(("name", "damage"), [
    ("manifest.json", lambda path: path.write_text("{", "utf-8")),
    ("manifest.json", lambda path: path.write_text("[]", "utf-8")),  # was an AttributeError
    ("manifest.json", Path.unlink),
    ("vectors.npy", cut_short),  # was numpy's "mmap length is greater than file size" alone
    ("passage_ids.npy", cut_short),
    ("row_articles.npy", cut_short),
    ("lexical/data.csc.index.npy", cut_short),
    ("article_lexical/vocab.index.json", cut_short),
    ("metadata.sqlite", Path.unlink),
    ("metadata.sqlite", cut_short),
])
def test_a_damaged_file_is_named_with_the_fix_and_reindex_repairs_it(built, corpus_copy, name,
                                                                     damage):
    path = current_generation(built.backend.index_dir) / name
    damage(path)
    with pytest.raises(IndexCorrupt) as caught:
        fresh(built).sources()
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and "mmap" not in message
    assert message.endswith("; run `briefing reindex`")
    report = fresh(built).reindex(corpus_copy)
    assert str(path) in report.rebuilt_from_scratch and report.embedded == 17
    assert fresh(built).ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)


def test_metadata_that_is_not_a_database_is_index_corrupt_not_a_sqlite_error(tmp_path):
    """Damage met mid-question (after the load-time check) is still the one clear error."""
    garbage = tmp_path / "metadata.sqlite"
    garbage.write_bytes(b"\x13" * 8192)
    with pytest.raises(IndexCorrupt, match="damaged index metadata"):
        MetadataStore(garbage).passages([0])


def test_a_running_process_serves_a_generation_another_process_built(built, corpus_copy):
    built.ask("Why did Erdoğan approve Sweden?")
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    fresh(built).reindex(corpus_copy)  # e.g. `briefing reindex` beside a running bot
    assert built.ask("When did Russia leave the grain deal?").hits[0].article == "grain"
    assert {a.id for a in built.sources()} == {"grain", "russia-turkiye-israel-hamas-war"}


def test_a_running_process_keeps_its_last_good_index_when_the_new_one_is_damaged(
        built, corpus_copy):
    assert built.ask("Why did Erdoğan approve Sweden?").answered
    (built.backend.index_dir / CURRENT).write_bytes(b"\xff\xfe\x00")
    assert built.ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    built.reindex(corpus_copy)  # repairs, and the process serves the repaired index
    assert built.ask("When did Russia leave the grain deal?").hits[0].article == "grain"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, real) -> None:
        self.real = real
        self.embedded = 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def embed(self, texts, **kwargs):
        self.embedded += len(texts)
        return self.real.embed(texts, **kwargs)


def test_an_index_folder_that_cannot_be_created_fails_before_any_embedding(
        tmp_path, embedder, corpus_copy):
    (tmp_path / "a-file").write_text("not a folder", "utf-8")
    (tmp_path / "locked").mkdir()
    counting = CountingEmbedder(embedder)
    with pytest.raises(IndexNotWritable, match="a-file is a file, not a folder") as caught:
        BriefingIndex(tmp_path / "a-file" / "index", embedder=counting)
    assert "\n" not in str(caught.value)
    index = BriefingIndex(tmp_path / "locked" / "index", embedder=counting)
    real_mkdir = Path.mkdir

    def refused(self, *args, **kwargs):  # root ignores permissions: refuse as a read-only disk
        if self.is_relative_to(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "mkdir", refused)
        with pytest.raises(IndexNotWritable, match="cannot write the index") as caught:
            index.reindex(corpus_copy)
    assert counting.embedded == 0 and "\n" not in str(caught.value)


def test_a_full_disk_fails_before_embedding_and_the_old_index_answers(
        built, corpus_copy, monkeypatch):
    counting = CountingEmbedder(built.embedder)
    index = BriefingIndex(built.backend.index_dir, embedder=counting)
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, 4096))
    with pytest.raises(IndexNotWritable, match="not enough free space"):
        index.reindex(corpus_copy)
    assert counting.embedded == 0
    assert index.ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)


def test_a_write_that_fails_midway_leaves_no_debris_and_the_old_index_serving(
        built, corpus_copy, monkeypatch):
    before = sorted(p.name for p in built.backend.index_dir.iterdir())
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(MetadataStore, "write", staticmethod(disk_full))
    with pytest.raises(IndexNotWritable, match="No space left on device.*still answers"):
        built.reindex(corpus_copy)
    assert sorted(p.name for p in built.backend.index_dir.iterdir()) == before
    assert {a.id for a in fresh(built).sources()} == {"russia-turkiye-israel-hamas-war"}


def test_leftovers_of_killed_reindexes_are_cleared_before_the_free_space_check(
        built, corpus_copy, monkeypatch):
    """Killed builds left .tmp-gen-* folders that only a successful reindex removed: once
    they filled a small disk, every reindex was refused for good."""
    leftover = built.backend.index_dir / ".tmp-gen-20261203T000000-dead00"
    leftover.mkdir()
    (leftover / "vectors.npy").write_bytes(b"\0" * 1000)
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(
        10 << 30, 10 << 30, 4096 if leftover.exists() else 1 << 30))
    report = built.reindex(corpus_copy)
    assert report.added == ["grain"] and not leftover.exists()


def test_the_free_space_check_counts_each_passage_of_the_new_generation_once(
        built, corpus_copy, monkeypatch):
    """A full re-embed counted the old passages again on top of the new ones."""
    from index.store import snapshot

    asked = []
    check = snapshot.check_space
    monkeypatch.setattr(snapshot, "check_space",
                        lambda d, passages, *rest: asked.append(passages) or check(d, passages,
                                                                                  *rest))
    seed = corpus_copy / "russia-turkiye-israel-hamas-war.md"
    seed.write_text(seed.read_text("utf-8") + "\nOne more paragraph about the talks.\n", "utf-8")
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    report = built.reindex(corpus_copy)
    assert report.changed and asked == [report.passages]
