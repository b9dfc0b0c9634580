"""A reindex killed with SIGKILL leaves the previous index serving, whole."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@dataclass
class CrashSetup:
    """An old index (kept pristine) and a corpus that adds, edits and deletes articles."""

    index_dir: Path
    pristine: Path
    env: dict[str, str]
    old_state: dict[str, str]
    edited: str

    def restore(self) -> None:
        shutil.rmtree(self.index_dir, ignore_errors=True)
        shutil.copytree(self.pristine, self.index_dir)

    def start_reindex(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bot", "reindex"], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish_reindex(self) -> None:
        done = subprocess.run([sys.executable, "-m", "bot", "reindex"], env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr


@pytest.fixture
def crash(tmp_path, corpus_copy, embedder, shared_eval) -> CrashSetup:
    index_dir = tmp_path / "index"
    old = squad_articles(shared_eval, 6)
    for name, text in old.items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    BriefingIndex(index_dir, embedder=embedder).reindex(corpus_copy)
    old_state = state(index_dir, embedder)
    pristine = tmp_path / "pristine"
    shutil.copytree(index_dir, pristine)
    names = sorted(old)
    for name in names[:2]:
        (corpus_copy / f"{name}.md").unlink()
    edited = corpus_copy / f"{names[2]}.md"
    edited.write_text(edited.read_text("utf-8") + "\n\nAn added closing paragraph.\n", "utf-8")
    for name, text in squad_articles(shared_eval, 8, offset=10).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    env = {**os.environ, "BRIEFING_CORPUS_DIR": str(corpus_copy),
           "BRIEFING_INDEX_DIR": str(index_dir)}
    return CrashSetup(index_dir, pristine, env, old_state, names[2])


def kill_and_check(crash: CrashSetup, embedder, new_state: dict[str, str] | None,
                   process: subprocess.Popen) -> str:
    """SIGKILL the reindex, then check the index serves exactly the old or the new corpus."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    served = state(crash.index_dir, embedder)
    if served == crash.old_state:
        return "old"
    if new_state is None:  # not yet known: at least the articles must be the new set
        assert crash.edited in served and served[crash.edited] != crash.old_state[crash.edited]
    else:
        assert served == new_state
    return "new"


def test_kill_during_reindex_leaves_old_or_new_index(crash, embedder):
    rng = random.Random(20261125)
    outcomes = []
    for _ in range(3):  # each kill starts again from the old index
        crash.restore()
        process = crash.start_reindex()
        wait_for_output(process, b"Embedding")  # the progress bar: embedding has begun
        time.sleep(rng.uniform(0.0, 3.0))
        outcomes.append(kill_and_check(crash, embedder, None, process))
    assert "old" in outcomes, "no kill landed before the new index was swapped in"
    crash.finish_reindex()
    new_state = state(crash.index_dir, embedder)
    assert new_state[crash.edited] != crash.old_state[crash.edited]
    assert not list(crash.index_dir.glob(".tmp-*"))


@pytest.mark.slow
def test_twenty_four_kills_across_the_whole_reindex(crash, embedder, capsys):
    """Kill points spread uniformly over a full run's duration (seeded, reported)."""
    crash.restore()
    began = time.monotonic()
    crash.finish_reindex()
    duration = time.monotonic() - began
    new_state = state(crash.index_dir, embedder)
    seed = 20261125
    rng = random.Random(seed)
    delays = sorted(rng.uniform(0.0, duration) for _ in range(24))
    outcomes = []
    for delay in delays:
        crash.restore()
        process = crash.start_reindex()
        time.sleep(delay)
        outcomes.append(kill_and_check(crash, embedder, new_state, process))
    crash.finish_reindex()
    assert state(crash.index_dir, embedder) == new_state
    with capsys.disabled():
        print(f"\ncrash: 24 SIGKILLs (seed {seed}) over a {duration:.1f} s reindex at "
              + ", ".join(f"{d:.2f}" for d in delays)
              + f" s: {outcomes.count('old')} left the old index, {outcomes.count('new')} "
              "the new one, none a mix")
    assert outcomes.count("old") >= 12
