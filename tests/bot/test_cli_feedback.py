"""`briefing feedback`: the answers readers voted on, worst first, as the bot's admin reads them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bot.cogs.answers import passage_key
from bot.feedback import FeedbackLog
from tests.postgres import fresh_database
from tests.support import ROOT

SWEDEN = "Why did Erdoğan approve Sweden?"
HOSTAGES = "How many hostages did Hamas take?"


def briefing(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.fixture
def env(tmp_path, seed_index) -> dict[str, str]:
    shutil.copytree(seed_index.backend.index_dir, tmp_path / "index")
    return {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus"),
            "BRIEFING_FEEDBACK_DB": str(tmp_path / "feedback.sqlite")}


def test_an_empty_log_says_so_in_one_line(env):
    result = briefing(["feedback"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No votes on answers yet.\n"
    assert json.loads(briefing(["feedback", "--json"], env).stdout) == []


def test_answers_voted_on_are_listed_worst_first_with_their_citations(env, tmp_path,
                                                                      seed_index):
    sweden = seed_index.ask(SWEDEN, 3).hits
    hostages = seed_index.ask(HOSTAGES, 2).hits
    log = FeedbackLog(tmp_path / "feedback.sqlite")
    log.record(HOSTAGES, [passage_key(h) for h in hostages], "reader-a", 1)
    for reader, vote in (("reader-a", 1), ("reader-b", -1), ("reader-c", -1)):
        log.record(SWEDEN, [passage_key(h) for h in sweden], reader, vote)
    log.record(SWEDEN, [passage_key(h) for h in sweden], "reader-a", 1)  # the same reader again
    log.close()

    result = briefing(["feedback"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"👍 1 · 👎 2 · {SWEDEN}"  # worst first; reader-a counted once
    for line, hit in zip(lines[1:4], sweden, strict=True):
        assert line.startswith(f"   {hit.title} · ¶")  # cited as the answer cites it
        assert f"¶{hit.paragraphs[0]}" in line
    assert lines[4] == ""
    assert lines[5] == f"👍 1 · 👎 0 · {HOSTAGES}"
    assert len(lines) == 8

    listed = json.loads(briefing(["feedback", "--json"], env).stdout)
    assert [(a["question"], a["helpful"], a["unhelpful"]) for a in listed] == [
        (SWEDEN, 1, 2), (HOSTAGES, 1, 0)]
    assert [(p["article"], p["title"], p["paragraphs"]) for p in listed[0]["passages"]] == [
        (h.article, h.title, list(h.paragraphs)) for h in sweden]
    assert "reader-a" not in json.dumps(listed)  # who voted stays out of the listing

    assert json.loads(briefing(["feedback", "--since", "1d", "--json"], env).stdout) == listed
    later = briefing(["feedback", "--since", "2999-01-01"], env)
    assert later.stdout == "No votes on answers since 2999-01-01 00:00 UTC.\n"
    refused = briefing(["feedback", "--since", "yesterday"], env)
    assert refused.returncode == 2 and "is not a date" in refused.stderr


def test_votes_kept_in_postgresql_are_listed(tmp_path, postgres_url):
    url = fresh_database(postgres_url)
    log = FeedbackLog(tmp_path / "unused.sqlite", database_url=url)
    log.record(SWEDEN, ["some-article:0-120"], "reader-a", -1)
    log.close()
    env = {**os.environ, "BRIEFING_DATABASE_URL": url,
           "BRIEFING_FEEDBACK_DB": str(tmp_path / "unused.sqlite")}

    listed = json.loads(briefing(["feedback", "--json"], env).stdout)
    assert [(a["question"], a["helpful"], a["unhelpful"]) for a in listed] == [(SWEDEN, 0, 1)]
    # no index in that database: the passage is named by its article and place
    assert listed[0]["passages"] == [{"article": "some-article", "start": 0, "end": 120,
                                      "title": None, "paragraphs": [], "source": None}]
    text = briefing(["feedback"], env)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[1] == "   some-article, characters 0–120 (not indexed now)"
