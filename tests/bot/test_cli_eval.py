"""`briefing eval` on labelled sets, as a user runs it (tiny made-up data, real model)."""

import gzip
import json
import os
import random
import subprocess
import sys

import pytest

from tests.support import ROOT

TOPICS = {
    "Volcanoes": "Lava flowed from the crater after magma rose through the vent.",
    "Banking": "The bank raised its loan rate and sold bonds to cover credit losses.",
    "Frogs": "Tadpoles in the pond grew legs and became frogs within ten weeks.",
    "Football": "The striker scored twice and the keeper saved a late penalty.",
    "Bridges": "The suspension bridge has a main span of two kilometres over the estuary.",
    "Chess": "The grandmaster sacrificed a knight to trap the queen on move thirty.",
    "Tea": "Green tea leaves are steamed, rolled and dried before they are packed.",
    "Comets": "The comet's icy nucleus grew a bright tail as it neared the sun.",
}


def run(args, env):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}


def test_in_out_reports_both_halves_and_a_one_article_server(tmp_path, env):
    data = {"data": [{"title": title, "paragraphs": [
        {"context": text, "qas": [{"question": f"What happened with {title.lower()}?",
                                   "answers": [{"text": text.split()[1]}]}]}]}
        for title, text in TOPICS.items()]}
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps(data), encoding="utf-8")
    result = run(["eval", "--in-out", str(squad), "--json"], env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"fit", "test", "one article fit", "one article test"}
    for column in report.values():
        assert column["covered"] > 0 and column["not_covered"] > 0
        for key in ("answered_when_covered", "refused_when_not_covered", "recall@1"):
            assert 0.0 <= column[key] <= 1.0
    table = run(["eval", "--in-out", str(squad)], env).stdout
    header = table.splitlines()[0].split()
    assert header[:2] == ["fit", "test"] and "answered_when_covered" in table


def test_eval_help_gives_the_question_rows_keys_article_included(env):
    """The help named "q" and "paras" only: with several articles a user left out "article"
    and any article's paragraph of that number counted as found."""
    result = subprocess.run([sys.executable, "-m", "bot", "eval", "--help"], env=env,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert '{"q": QUESTION, "paras": [N, ...], "article": ID}' in text
    assert 'without "article", paragraph N of any article counts' in text


def test_wrong_eval_arguments_are_one_line_errors(tmp_path, env):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"q": "Why did Erdoğan approve Sweden?", "paras": [15]}\n', "utf-8")
    not_squad = tmp_path / "bad.json"
    not_squad.write_text('{"x": 1}', "utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    gzipped = tmp_path / "dev-v1.1.json.gz"  # a compressed file: not text at all
    gzipped.write_bytes(gzip.compress(random.Random(3).randbytes(200_000)))
    cases = {
        ("eval", "--squad", str(gzipped)): f"{gzipped}: not SQuAD v1.1 JSON (UnicodeDecodeError",
        ("eval", str(questions), "--per-line"): "--per-line goes with --archive",
        ("eval", str(questions), "--limit", "3"): "--limit goes with --squad",
        ("eval", str(questions), "--split", "dev"): "--split goes with --beir",
        ("eval", "--rows", "1-2"): "--rows goes with --summaries",  # not "eval needs one of"
        ("eval", "--in-out", str(tmp_path / "missing.json")): "no such file",
        ("eval", "--in-out", str(tmp_path)): "not a file",
        ("eval", "--in-out", str(not_squad)): f"{not_squad}: not SQuAD v1.1 JSON (KeyError",
        ("eval", "--archive", str(questions)): f"{questions}, line 1: not a CNN row",
        ("eval", "--recency", str(questions)): f"{questions}, line 1: not a CNN row",
        ("eval", "--in-out", str(empty)): f"{empty}: no CNN rows in it",
        ("eval", "--recency", str(empty)): f"{empty}: no CNN rows in it",
    }
    for args, message in cases.items():
        result = run(list(args), env)
        assert result.returncode == (2 if "goes with" in message else 1), args  # 2: usage
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert len(result.stderr) < 500, args  # it quoted the whole gzip file, escaped
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_stories_measures_the_grouping_on_a_test_half_against_single_link(tmp_path, env):
    """The measurement behind the README's story figures had no command to run it."""
    rows = tmp_path / "cnn.jsonl"
    with rows.open("w", encoding="utf-8") as out:
        for n, (title, text) in enumerate(TOPICS.items()):
            article = " ".join(f"{text} Report {i} on {title.lower()} adds detail."
                               for i in range(6))
            out.write(json.dumps({"id": str(n), "article": article,
                                  "highlights": f"{title}: {text}"}) + "\n")
    result = run(["eval", "--stories", str(rows), "--json"], env)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    assert (measured["stories"], measured["reports"]) == (8, 24)
    for method in ("ours", "single_link"):
        assert 0.4 <= measured[method]["threshold"] <= 0.9
        assert measured[method]["test"]["precision"] > 0.9  # eight unrelated topics
        assert measured[method]["test"]["recall"] > 0.9
