"""`briefing summary`, `briefing digest` and `briefing eval --summaries` as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.terminal import format_summary
from index import Summary
from index.ingest.articles import read_article
from tests.support import ROOT

SEED = "russia-turkiye-israel-hamas-war"
SENTENCE_KEYS = {"text", "article", "title", "paragraph", "start", "end"}


def run(args: list[str], env: dict[str, str]):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """An index directory of its own; the first command builds it."""
    index_dir = tmp_path_factory.mktemp("cli-summary") / "index"
    return {**os.environ, "BRIEFING_INDEX_DIR": str(index_dir),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}


@pytest.fixture(scope="module")
def body() -> str:
    return read_article(ROOT / "corpus" / f"{SEED}.md", SEED).body


def test_article_summary_json_is_verbatim_spread_out_and_covers_the_sweden_bill(env, body):
    result = run(["summary", SEED, "--json"], env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"answered", "sentences"} and summary["answered"] is True
    sentences = summary["sentences"]
    assert len(sentences) == 5
    assert all(set(s) == SENTENCE_KEYS for s in sentences)
    assert all(body[s["start"]:s["end"]] == s["text"] for s in sentences)
    assert len({s["paragraph"] for s in sentences}) >= 4
    assert any(s["paragraph"] == 15 and "Sweden" in s["text"] for s in sentences)
    assert [s["start"] for s in sentences] == sorted(s["start"] for s in sentences)


def test_article_summary_text_names_the_title_and_cites_paragraphs(env):
    result = run(["summary", SEED, "--sentences", "3"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Russia and Türkiye Align on the Israel-Hamas War"
    assert result.stdout.count(" - ") == 3 and "(¶15)" in result.stdout


def test_an_article_may_be_named_by_its_whole_title_or_its_id_in_any_case(env):
    by_id = run(["summary", SEED, "--json"], env)
    for name in ("Russia and Türkiye  align on the Israel-Hamas war", SEED.upper()):
        named = run(["summary", name, "--json"], env)
        assert named.returncode == 0, named.stderr
        assert named.stdout == by_id.stdout
    unknown = run(["summary", "Russia and Türkiye"], env)
    assert unknown.returncode == 1 and unknown.stderr == (
        "briefing: no indexed article has that id or title: 'Russia and Türkiye'\n")


def test_topic_briefing_cites_ties_to_hamas_and_nothing_about_grain_or_trade(env, body):
    result = run(["summary", "--topic", "Hamas", "--json"], env)
    assert result.returncode == 0, result.stderr
    briefing = json.loads(result.stdout)
    assert briefing["answered"] is True
    paragraphs = {s["paragraph"] for s in briefing["sentences"]}
    assert {10, 11} <= paragraphs and not paragraphs & {4, 5, 6}
    assert all(body[s["start"]:s["end"]] == s["text"] for s in briefing["sentences"])


def test_off_topic_briefing_is_refused(env):
    result = run(["summary", "--topic", "sourdough bread", "--json"], env)
    assert result.returncode == 0, result.stderr
    refused = json.loads(result.stdout)
    assert refused["answered"] is False and refused["sentences"] == []
    closest = refused["hits"][0]  # the evidence, as `ask --json` gives it
    assert closest["article"] == SEED and closest["highlight"] in closest["text"]
    text = run(["summary", "--topic", "sourdough bread"], env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == ("The indexed articles don't seem to cover that. "
                        "The closest passage, low confidence:")
    assert lines[-1].startswith(f"   — {closest['title']} · ¶{closest['paragraphs'][0]}")
    assert format_summary(Summary(False, ())) == "The indexed articles don't cover that."


def test_an_empty_briefing_on_a_misspelt_topic_says_how_it_was_read_as_ask_does():
    """A topic whose passages gave no sentence to brief on printed the not-covered line alone,
    while --json gave "read_as" and an answered or refused topic said it first."""
    empty = Summary(False, (), read_as={"Ankra": "Ankara"})
    assert format_summary(empty).splitlines() == ["Read “Ankra” as “Ankara”.",
                                                  "The indexed articles don't cover that."]


def test_a_refused_topic_says_how_a_misspelt_word_was_read_as_ask_does(env):
    topic = "sourdough bread in Ankra"
    asked = run(["ask", topic], env).stdout.splitlines()
    refused = run(["summary", "--topic", topic], env).stdout.splitlines()
    assert refused[:2] == asked[:2] == [
        "Read “Ankra” as “Ankara”.",
        "The indexed articles don't seem to cover that. The closest passage, low confidence:"]
    data = json.loads(run(["summary", "--topic", topic, "--json"], env).stdout)
    assert data["answered"] is False and data["read_as"] == {"Ankra": "Ankara"}


def test_an_answered_topic_says_how_a_misspelt_word_was_read_as_ask_does(env):
    """Only a refused topic said so: the briefing on "Erdogn" was silently on "Erdoğan"."""
    topic = "Erdogn Sweden NATO"
    asked = run(["ask", topic], env).stdout.splitlines()
    briefed = run(["summary", "--topic", topic], env).stdout.splitlines()
    assert briefed[0] == asked[0] == "Read “Erdogn” as “Erdoğan”."
    assert briefed[1] == "Russia and Türkiye Align on the Israel-Hamas War"
    data = json.loads(run(["summary", "--topic", topic, "--json"], env).stdout)
    assert data["answered"] is True and data["read_as"] == {"Erdogn": "Erdoğan"}
    assert "read_as" not in json.loads(run(["summary", "--topic", "Erdoğan Sweden NATO",
                                            "--json"], env).stdout)


def test_digest_lists_the_freshly_indexed_article_and_nothing_from_the_future(env, body):
    recent = run(["digest", "--since", "1d", "--json"], env)
    assert recent.returncode == 0, recent.stderr
    digest = json.loads(recent.stdout)
    [entry] = digest["articles"]
    assert entry["article"] == SEED and digest["total"] == 1
    assert 2 <= len(entry["sentences"]) <= 3
    assert all(body[s["start"]:s["end"]] == s["text"] for s in entry["sentences"])
    future = run(["digest", "--since", "2999-01-01"], env)
    assert future.returncode == 0 and future.stdout.startswith("No articles indexed since 2999")


def test_a_topic_without_words_is_named_as_the_topic(env):
    result = run(["summary", "--topic", " "], env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "briefing: --topic: the topic is empty"


def test_unknown_article_is_one_line_without_traceback(env):
    result = run(["summary", "no-such-article"], env)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no-such-article" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["summary", SEED, "--sentences", "11"], "must be 3 to 10"),
    (["summary", SEED, "--sentences", "2"], "must be 3 to 10"),
    (["summary", SEED, "--topic", "Hamas"], "either ARTICLE or --topic"),
    (["summary"], "either ARTICLE or --topic"),
    (["digest", "--since", "last week"], "is not a date"),
    (["stories", "--since", "-3d"], "'-3d' has a minus sign: an age already counts back, so "
                                    "write 3d"),  # argparse said only "expected one argument"
    (["digest", "--since", "-3d", "--json"], "so write 3d"),
    (["ask", "--since", "-12h", "Sweden"], "so write 12h"),
    (["chat", "--since=-1w"], "so write 1w"),
    (["eval", "--summaries", "x.jsonl", "--rows", "5-2"], "is not a row range"),
])
def test_bad_arguments_are_a_usage_error(args, message):
    result = run(args, dict(os.environ))
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_summaries_scores_ours_and_lead3_on_a_few_rows(shared_eval, tmp_path: Path):
    data = shared_eval / "cnn-1000" / "test.jsonl"
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "unused")}
    result = run(["eval", "--summaries", str(data), "--rows", "2-4", "--json"], env)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert {"rouge1", "rouge2", "rougeLsum", "lead3_rouge1", "lead3_rouge2", "lead3_rougeLsum",
            "rows", "same_as_lead3"} <= set(scores)
    assert scores["rows"] == 3 and scores["first_row"] == 2
    beyond = run(["eval", "--summaries", str(data), "--rows", "990-1200"], env)
    assert beyond.returncode == 1 and "has 1000 rows" in beyond.stderr
