"""A reindex killed with SIGKILL leaves the previous index serving, whole."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from index import BriefingIndex
from tests.support import squad_articles


def wait_for_output(process: subprocess.Popen, marker: bytes, timeout: float = 120) -> None:
    """Block until the child writes `marker` to stderr (read on a thread)."""
    seen = bytearray()
    found = threading.Event()

    def read() -> None:
        while chunk := process.stderr.read1(4096):
            seen.extend(chunk)
            if marker in seen:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"child never printed {marker!r}: {bytes(seen)[-300:]!r}"


def state(index_dir: Path, embedder) -> dict[str, str]:
    """Article id -> content hash of what the index serves, after checking it answers."""
    index = BriefingIndex(index_dir, embedder=embedder)
    answer = index.ask("Why did Erdoğan approve Sweden?")
    assert answer.answered and answer.hits[0].paragraphs == (15,)
    snapshot = index.snapshot()
    assert snapshot.size == sum(a.passages for a in index.sources())
    return {a.id: a.content_hash for a in index.sources()}


def test_kill_during_reindex_leaves_old_or_new_index(tmp_path, corpus_copy, embedder,
                                                     shared_eval):
    index_dir = tmp_path / "index"
    old = squad_articles(shared_eval, 6)
    for name, text in old.items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    BriefingIndex(index_dir, embedder=embedder).reindex(corpus_copy)
    old_state = state(index_dir, embedder)
    pristine = tmp_path / "pristine"
    shutil.copytree(index_dir, pristine)

    # The new corpus deletes two articles, edits one and adds eight.
    names = sorted(old)
    for name in names[:2]:
        (corpus_copy / f"{name}.md").unlink()
    edited = corpus_copy / f"{names[2]}.md"
    edited.write_text(edited.read_text("utf-8") + "\n\nAn added closing paragraph.\n", "utf-8")
    for name, text in squad_articles(shared_eval, 8, offset=10).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")

    env = {**os.environ, "BRIEFING_CORPUS_DIR": str(corpus_copy),
           "BRIEFING_INDEX_DIR": str(index_dir)}
    rng = random.Random(20261125)
    outcomes = []
    for _ in range(3):  # each kill starts again from the old index
        shutil.rmtree(index_dir)
        shutil.copytree(pristine, index_dir)
        process = subprocess.Popen([sys.executable, "-m", "bot", "reindex"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_output(process, b"Embedding")  # the progress bar: embedding has begun
        time.sleep(rng.uniform(0.0, 3.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        served = state(index_dir, embedder)
        assert served == old_state or set(served) == {p.stem for p in corpus_copy.glob("*.md")}
        outcomes.append("old" if served == old_state else "new")
    assert "old" in outcomes, "no kill landed before the new index was swapped in"

    finished = subprocess.run([sys.executable, "-m", "bot", "reindex"], env=env,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    new_state = state(index_dir, embedder)
    assert set(new_state) == {p.stem for p in corpus_copy.glob("*.md")}
    assert new_state[names[2]] != old_state[names[2]]
    assert not list(index_dir.glob(".tmp-*"))
