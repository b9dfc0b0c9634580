"""The bot's reindex process (`bot.reindex_worker`): what it reports, and what the serving
index does when it succeeds, fails or dies."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.reindex_worker import Reindexer, ReindexFailed, report_from, report_to_dict
from index import BriefingIndex, IndexNotWritable, ReindexReport
from index.ingest.articles import Skipped
from index.ingest.embedding import Embedder
from index.store.snapshot import current_generation
from tests.support import squad_articles


@pytest.fixture
def served(tmp_path, seed_index, embedder) -> BriefingIndex:
    """A serving copy of the seed index (the bundled article), already loaded."""
    shutil.copytree(seed_index.backend.index_dir, tmp_path / "index")
    index = BriefingIndex(tmp_path / "index", embedder=embedder)
    index.snapshot()
    return index


def script(body: str) -> list[str]:
    """A stand-in reindex process running `body` (it ignores the spec argument)."""
    return [sys.executable, "-c", f"import json, os, signal, sys\n{body}"]


def test_a_report_survives_the_trip_through_json():
    report = ReindexReport(added=["a"], changed=["b"], removed=["c"], unchanged=2, embedded=7,
                           passages=9, skipped=[Skipped("x.pdf", "not an article file")],
                           rebuilt_from_scratch="manifest unreadable")
    assert report_from(report_to_dict(report)) == report


def test_the_new_article_is_answered_as_soon_as_the_reindex_returns(served, corpus_copy,
                                                                   shared_eval):
    for name, text in squad_articles(shared_eval, 2).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    seen: list[tuple[int, int]] = []

    report = asyncio.run(Reindexer().run(served, corpus_copy,
                                          lambda done, total: seen.append((done, total))))
    assert len(report.added) == 2 and report.embedded > 0
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == report.embedded
    answer = served.ask("Which NFL team represented the AFC at Super Bowl 50?")
    assert answer.hits[0].title.startswith("Super Bowl 50")


def test_a_user_error_in_the_process_is_raised_as_the_same_error(served, corpus_copy):
    failing = Reindexer(script(
        'print(json.dumps({"error": "the index folder refuses writes", '
        '"kind": "IndexNotWritable"}), flush=True)\nsys.exit(1)'))
    with pytest.raises(IndexNotWritable, match="refuses writes"):
        asyncio.run(failing.run(served, corpus_copy))


@pytest.mark.parametrize(("body", "reason"), [
    ('print("a library talking", flush=True)\nos.kill(os.getpid(), signal.SIGKILL)',
     "killed (SIGKILL)"),
    ('print(json.dumps({"progress": [3, 9]}), flush=True)\nsys.exit(3)',
     "exited with status 3"),
    ('print(json.dumps({"failed": "OSError: [Errno 28] No space left"}), flush=True)\n'
     'sys.exit(1)', "failed: OSError: [Errno 28] No space left"),
])
def test_a_process_that_dies_changes_nothing_served(served, corpus_copy, body, reason):
    (corpus_copy / "new.md").write_text("Wheat left Odesa on Tuesday.\n", "utf-8")
    before = current_generation(served.backend.index_dir)
    with pytest.raises(ReindexFailed, match=re.escape(reason)):
        asyncio.run(Reindexer(script(body)).run(served, corpus_copy))
    assert current_generation(served.backend.index_dir) == before
    assert [a.id for a in served.sources()] == ["russia-turkiye-israel-hamas-war"]


def test_the_process_gets_the_serving_index_settings(served, corpus_copy, tmp_path):
    embedder = Embedder(precision="float32", batch_size=8, cache_dir=tmp_path / "cache")
    served = BriefingIndex(served.backend.index_dir, embedder=embedder)  # not the defaults
    spec_file = tmp_path / "spec.json"
    dump = Reindexer(script(
        f"import os\nopen({str(spec_file)!r}, 'w').write(json.dumps({{**json.loads(sys.argv[1]),"
        f" 'address': os.environ['BRIEFING_REINDEX_INDEX']}}))\nsys.exit(1)"))
    with pytest.raises(ReindexFailed):
        asyncio.run(dump.run(served, corpus_copy))
    spec = json.loads(spec_file.read_text("utf-8"))
    assert spec["address"] == str(served.backend.index_dir.resolve())  # in the environment
    assert Path(spec["corpus_dir"]) == corpus_copy.resolve()
    child = Embedder(**spec["embedder"])  # as the process builds its own
    assert (child.model_path, child.precision, child.batch_size, child.cache_dir) == (
        embedder.model_path, "float32", 8, tmp_path / "cache")
    assert child.options() == embedder.options()


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux only")
def test_the_process_runs_only_on_time_the_bot_leaves():
    """SCHED_IDLE (and nice 10) for the process and the threads it starts later."""
    probe = ("import os, threading\n"
             "from bot.reindex_worker import yield_cpu\n"
             "yield_cpu()\n"
             "seen = []\n"
             "t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))\n"
             "t.start(); t.join()\n"
             "print(os.sched_getscheduler(0) == os.SCHED_IDLE, seen == [os.SCHED_IDLE],"
             " os.nice(0))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.split() == ["True", "True", "10"]
