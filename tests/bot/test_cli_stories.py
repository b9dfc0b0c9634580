"""`briefing digest` by story and `briefing stories`, as a user runs them."""

import json
import os
import subprocess
import sys

from index.ingest.corpus import to_markdown
from tests.bot.feed_server import STORIES
from tests.support import ROOT

ENTRY_KEYS = {"article", "title", "published", "indexed_at", "sentences", "story", "outlets",
              "reports", "earlier", "new_since"}


def run(args: list[str], env: dict[str, str]):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_digest_json_has_one_entry_per_story_with_its_outlets(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    title, paragraphs = STORIES["tugboats"]
    for name, source, text in (("tug-a", "https://www.harbour.example/tugs", paragraphs),
                               ("tug-b", "https://wire.example/tugs",
                                ["By Wire staff.", *paragraphs[:2]])):
        (corpus / f"{name}.md").write_text(
            to_markdown(title, source, "2025-03-03", "\n\n".join(text)), "utf-8")
    (corpus / "tahoe.md").write_text(to_markdown(*STORIES["tahoe"][:1], "", "2025-03-04",
                                                 "\n\n".join(STORIES["tahoe"][1])), "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus)}
    assert run(["reindex"], env).returncode == 0

    result = run(["digest", "--since", "1d", "--json"], env)
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)
    assert (digest["total"], digest["stories"]) == (3, 2)
    tugs, tahoe = digest["articles"]
    assert set(tugs) == ENTRY_KEYS and set(tahoe) == ENTRY_KEYS
    assert tugs["outlets"] == ["harbour.example", "wire.example"]
    assert sorted(tugs["reports"]) == ["tug-a", "tug-b"] and tugs["new_since"] is None
    assert tahoe["outlets"] == []  # no source: its title was listed as an outlet
    assert 1 <= len(tugs["sentences"]) <= 3
    texts = [s["text"] for s in tugs["sentences"]]
    assert len(set(texts)) == len(texts) and "By Wire staff." not in texts

    text = run(["digest", "--since", "1d"], env)
    assert text.stdout.startswith("2 stories from 3 articles indexed since")
    assert "reported by 2 sources (harbour.example, wire.example)" in text.stdout
    assert (f"\n{STORIES['tahoe'][0]} · 1 report without a source · 2025-03-04\n"
            in text.stdout)  # it read "reported by 1 source (<its own title>)"

    stories = run(["stories", "--json"], env)
    assert [len(s["articles"]) for s in json.loads(stories.stdout)] == [1, 2]
