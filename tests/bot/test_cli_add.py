"""`briefing add URL`: `/add url:` from the command line, against pages served on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys

from index import BriefingIndex
from index.ingest.corpus import to_markdown
from tests.bot.feed_server import STORIES, FeedServer
from tests.support import ROOT

TITLE = STORIES["tahoe"][0]


def briefing(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_add_a_link_then_again_and_the_refusals_as_add_says_them(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    title, paragraphs = STORIES["tugboats"]
    (corpus / "tugs.md").write_text(to_markdown(title, "", "", "\n\n".join(paragraphs)), "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus), "BRIEFING_FETCH_ALLOW_LOOPBACK": "true"}
    assert briefing(["reindex"], env).returncode == 0
    with FeedServer() as site:
        site.pages("tahoe")
        site.text("/short.html", "<html><body><p>Subscribe to read.</p></body></html>",
                  "text/html")
        page = site.base + "/news/tahoe.html"
        added = briefing(["add", page + "?utm_source=feed#comments"], env)
        again = briefing(["add", page], env)
        missing = briefing(["add", site.base + "/gone.html"], env)
        short = briefing(["add", site.base + "/short.html"], env)
        guarded = briefing(["add", page], {**env, "BRIEFING_FETCH_ALLOW_LOOPBACK": "false"})

    assert added.returncode == 0, added.stderr
    first, *reindexed = added.stdout.splitlines()
    assert first == f"Added “{TITLE}” (4 paragraphs)."  # the byline too
    assert reindexed and "1 added" in reindexed[0]
    hit = BriefingIndex(tmp_path / "index", embedder=embedder).ask(
        "How clear is Lake Tahoe?").hits[0]
    assert (hit.title, hit.source) == (TITLE, page)  # cited without utm_* or #comments
    assert again.returncode == 0
    assert again.stdout.startswith(f"Already in the corpus, the same text: “{TITLE}”")
    assert (missing.returncode, missing.stderr) == (
        1, "briefing: could not fetch the page (HTTP 404): check the link\n")
    assert short.returncode == 1 and short.stderr.startswith(
        "briefing: the page has only 18 characters of text, too few for an article")
    assert (guarded.returncode, guarded.stderr) == (
        1, "briefing: refused: 127.0.0.1 is not a public address\n")
    assert len(list(corpus.glob("*.md"))) == 2
