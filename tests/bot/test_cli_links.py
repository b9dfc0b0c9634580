"""`briefing ask` cites an article's link, not only its title and paragraph, as the bot does."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

WHEAT = """---
title: Wheat prices climb as drought hits Kansas
source: https://news.example.com/wheat
published: 2024-05-02
---

Wheat futures rose 6% in Chicago on Wednesday as a drought in Kansas cut the expected harvest.

Farmers in the state said the winter wheat crop was the poorest since 2014.
"""

NOTES = """---
title: Harbour notes
source: file:///home/someone/notes.txt
---

The port of Rotterdam closed on Tuesday after a storm brought strong winds to the coast.
"""


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(tmp_path / "corpus")}
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_answers_and_refusals_cite_the_article_s_web_link(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wheat.md").write_text(WHEAT, "utf-8")
    (corpus / "notes.md").write_text(NOTES, "utf-8")

    answered = run(["ask", "-k", "1", "How much did wheat futures rise in Chicago?"], tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.splitlines()[0] == (
        "1. Wheat prices climb as drought hits Kansas · ¶1 · https://news.example.com/wheat")

    refused = run(["ask", "Who is the best football player in Kansas?"], tmp_path)
    assert refused.returncode == 0, refused.stderr
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("The indexed articles don't seem to cover that.")
    assert lines[-1] == ("   — Wheat prices climb as drought hits Kansas · ¶1 · "
                         "https://news.example.com/wheat")

    # a source that is no web address is not shown as a link
    harbour = run(["ask", "-k", "1", "When did the port of Rotterdam close?"], tmp_path)
    assert harbour.returncode == 0, harbour.stderr
    assert harbour.stdout.splitlines()[0] == "1. Harbour notes · ¶1"
