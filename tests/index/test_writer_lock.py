"""Two reindexes of one index folder at once: the second waits, neither breaks the other."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import BriefingIndex
from index.store.snapshot import current_generation
from index.store.writer_lock import writer_lock
from tests.support import ROOT


def briefing(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_in_background(stream) -> list[str]:
    """Lines of `stream`, collected by a thread as they come."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")), daemon=True).start()
    return lines


def environment(index_dir: Path, corpus: Path) -> dict[str, str]:
    return {**os.environ, "BRIEFING_INDEX_DIR": str(index_dir),
            "BRIEFING_CORPUS_DIR": str(corpus)}


def article(number: int) -> str:
    return (f"---\ntitle: Harbour report {number}\n---\n\nThe harbour of Port Number{number} "
            f"reopened after storm damage, and {number * 7} ships waited to unload grain.\n")


def test_a_second_reindex_waits_for_the_first_and_leaves_its_work_alone(
        tmp_path, embedder, corpus_copy):
    index_dir = tmp_path / "index"
    BriefingIndex(index_dir, embedder=embedder).reindex(corpus_copy)
    (corpus_copy / "harbour-1.md").write_text(article(1), "utf-8")
    with writer_lock(index_dir):  # a first reindex, mid-build
        in_progress = index_dir / ".tmp-gen-20261130T000000-abcdef"
        in_progress.mkdir()
        (in_progress / "vectors.npy").write_bytes(b"half written")
        second = briefing(environment(index_dir, corpus_copy), "reindex")
        said = read_in_background(second.stderr)
        deadline = time.monotonic() + 120
        while "waiting" not in "".join(said) and second.poll() is None:
            assert time.monotonic() < deadline, "the second reindex neither waited nor ended"
            time.sleep(0.1)
        time.sleep(1)
        assert second.poll() is None, f"the second reindex did not wait: {''.join(said)}"
        assert (in_progress / "vectors.npy").read_bytes() == b"half written"
    assert second.wait(timeout=300) == 0, "".join(said)
    assert "another reindex" in "".join(said) and "Traceback" not in "".join(said)
    served = BriefingIndex(index_dir, embedder=embedder)
    assert served.ask("How many ships waited in Port Number1?").hits[0].article == "harbour-1"


@pytest.mark.slow
def test_three_rounds_of_two_concurrent_reindexes_each_leave_a_working_index(
        tmp_path, embedder, corpus_copy):
    index_dir = tmp_path / "index"
    env = environment(index_dir, corpus_copy)
    for round_number in range(1, 4):
        (corpus_copy / f"harbour-{round_number}.md").write_text(article(round_number), "utf-8")
        first, second = briefing(env, "reindex"), briefing(env, "reindex")
        for process in (first, second):
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0 and "Traceback" not in err, err
        ask = subprocess.run([sys.executable, "-m", "bot", "ask", "--json",
                              f"How many ships waited in Port Number{round_number}?"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert ask.returncode == 0, ask.stderr
        assert f'"harbour-{round_number}"' in ask.stdout.split('"hits"')[1][:400]
        assert current_generation(index_dir) is not None
        assert not list(index_dir.glob(".tmp-gen-*"))
