"""A reindex that dies at each step of writing a generation leaves exactly the old or the new
index serving: deterministic fault injection, where the SIGKILL tests land at random times."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index import BriefingIndex
from tests.support import ROOT

# Each fault ends the process with os._exit (no clean-up, no finally blocks: as a kill would)
# at one point of index/store/snapshot.py's write path.
FAULTS = {
    "after the vectors": ("index.store.snapshot", "DenseStore", "write", "after"),
    "after the metadata": ("index.store.snapshot", "MetadataStore", "write", "after"),
    "before the pointer rename": ("index.store.snapshot", "os", "replace", "before"),
    "after the pointer rename": ("index.store.snapshot", "os", "replace", "after"),
    "while removing a killed run's leftovers": ("index.store.snapshot", "shutil", "rmtree",
                                                "after", ".tmp-gen-"),
    "while removing old generations": ("index.store.snapshot", "shutil", "rmtree", "after",
                                       "gen-"),
}

RUNNER = textwrap.dedent("""
    import importlib, os, sys
    module, owner, name, when = sys.argv[1:5]
    prefix = sys.argv[5] if len(sys.argv) > 5 else ""  # only for a path named so
    target = getattr(importlib.import_module(module), owner)
    real = getattr(target, name)

    def dying(*args, **kwargs):
        if prefix and not os.path.basename(str(args[0])).startswith(prefix):
            return real(*args, **kwargs)
        if when == "before":
            os._exit(70)
        result = real(*args, **kwargs)
        os._exit(70)

    setattr(target, name, staticmethod(dying) if isinstance(target, type) else dying)
    from bot.cli import main
    sys.exit(main(["reindex"]))
""")


def harbour(number: int, extra: str = "") -> str:
    return (f"---\ntitle: Harbour report {number}\n---\n\nThe harbour of Port Number{number} "
            f"reopened after storm damage, and {number * 7} ships waited to unload grain."
            f"{extra}\n")


def served(index_dir: Path, embedder) -> dict[str, str]:
    """Article id -> content hash of what the index serves, after checking it answers."""
    index = BriefingIndex(index_dir, embedder=embedder)
    assert index.ask("Why did Erdoğan approve Sweden?").hits[0].paragraphs == (15,)
    assert index.snapshot().size == sum(a.passages for a in index.sources())
    return {a.id: a.content_hash for a in index.sources()}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, embedder):
    """An old index (seed + harbours 1, 2) and a corpus that deletes, edits and adds."""
    base = tmp_path_factory.mktemp("faults")
    corpus = base / "corpus"
    corpus.mkdir()
    seed = "russia-turkiye-israel-hamas-war.md"
    (corpus / seed).write_text((ROOT / "corpus" / seed).read_text("utf-8"), "utf-8")
    for number in (1, 2):
        (corpus / f"harbour-{number}.md").write_text(harbour(number), "utf-8")
    old_index = base / "old-index"
    BriefingIndex(old_index, embedder=embedder).reindex(corpus)
    old = served(old_index, embedder)
    (corpus / "harbour-1.md").unlink()
    (corpus / "harbour-2.md").write_text(harbour(2, " Cranes were repaired by June."), "utf-8")
    (corpus / "harbour-3.md").write_text(harbour(3), "utf-8")
    new_index = base / "new-index"
    BriefingIndex(new_index, embedder=embedder).reindex(corpus)
    return corpus, old_index, old, served(new_index, embedder)


@pytest.mark.parametrize(("fault", "expected"), [
    ("after the vectors", "old"), ("after the metadata", "old"),
    ("before the pointer rename", "old"), ("after the pointer rename", "new"),
    ("while removing a killed run's leftovers", "old"), ("while removing old generations", "new"),
])
def test_a_reindex_dying_at_each_write_step_leaves_the_old_or_the_new_index(
        tmp_path, embedder, corpora, fault, expected):
    import shutil

    corpus, old_index, old, new = corpora
    index_dir = tmp_path / "index"
    shutil.copytree(old_index, index_dir)
    (index_dir / ".tmp-gen-20261130T000000-dead00").mkdir()  # left by an earlier killed run
    current = (index_dir / "CURRENT").read_text("utf-8").strip()
    shutil.copytree(index_dir / current, index_dir / "gen-20000101T000000-000000")  # older
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(index_dir),
           "BRIEFING_CORPUS_DIR": str(corpus), "PYTHONPATH": str(ROOT)}
    died = subprocess.run([sys.executable, "-c", RUNNER, *FAULTS[fault]], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert died.returncode == 70, died.stderr  # the fault point was reached
    assert served(index_dir, embedder) == (old if expected == "old" else new)
    finished = subprocess.run([sys.executable, "-m", "bot", "reindex"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert served(index_dir, embedder) == new
    assert not list(index_dir.glob(".tmp-*")) and not list(index_dir.glob(".CURRENT.*"))
