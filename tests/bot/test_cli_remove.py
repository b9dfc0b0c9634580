"""`briefing remove` as a user runs it, on both backends: the article leaves the corpus folder,
the database's stored articles and the index (incrementally); the others keep answering."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.index.test_backends import GRAIN, GRAIN_Q, SWEDEN, WHALES
from tests.postgres import fresh_database
from tests.support import ROOT

SEED = "russia-turkiye-israel-hamas-war"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.fixture(params=["local", "postgres"])
def env(request: pytest.FixtureRequest, corpus_copy: Path, tmp_path: Path) -> dict[str, str]:
    """The seed, a grain and a whales article, indexed in an index folder or a database."""
    return indexed(request.param, request, corpus_copy, tmp_path)


@pytest.fixture
def database_env(request: pytest.FixtureRequest, corpus_copy: Path, tmp_path: Path
                 ) -> dict[str, str]:
    """The same articles indexed in a database."""
    return indexed("postgres", request, corpus_copy, tmp_path)


def indexed(kind: str, request: pytest.FixtureRequest, corpus_copy: Path, tmp_path: Path
            ) -> dict[str, str]:
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")
    values = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATABASE_URL"}
    values |= {"BRIEFING_CORPUS_DIR": str(corpus_copy),
               "BRIEFING_INDEX_DIR": str(tmp_path / "index")}
    if kind == "postgres":
        pytest.importorskip("psycopg", reason="psycopg is not installed")
        values["BRIEFING_DATABASE_URL"] = fresh_database(
            request.getfixturevalue("postgres_url"))
    built = run(["reindex"], values)
    assert built.returncode == 0, built.stderr
    return values


def ask(question: str, env: dict[str, str], k: int = 3) -> dict:
    result = run(["ask", "--json", "-k", str(k), question], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sources(env: dict[str, str]) -> list[str]:
    return [a["article"] for a in json.loads(run(["sources", "--json"], env).stdout)]


def test_remove_takes_the_article_out_and_reindexes_incrementally(env):
    assert ask(GRAIN_Q, env)["hits"][0]["article"] == "grain"
    result = run(["remove", "grain"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "removed grain",
        "0 added, 0 changed, 1 removed, 2 unchanged; embedded 0 passages; 19 passages indexed."]
    assert not (Path(env["BRIEFING_CORPUS_DIR"]) / "grain.md").exists()
    assert sources(env) == [SEED, "whales"]
    assert all(h["article"] != "grain" for h in ask(GRAIN_Q, env, k=10)["hits"])
    assert ask(SWEDEN, env)["hits"][0]["paragraphs"] == [15]
    assert ask("Where were humpback whales seen?", env)["hits"][0]["article"] == "whales"
    # The next reindex does not bring it back, from the folder or from the database.
    again = run(["reindex"], env)
    assert again.stdout.startswith("Nothing changed (2 articles, 19 passages)"), again.stdout


def test_unknown_ids_are_one_line_each_and_exit_non_zero_losing_nothing(env):
    corpus = Path(env["BRIEFING_CORPUS_DIR"])
    files = sorted(p.name for p in corpus.iterdir())
    result = run(["remove", "nonexistent", "../corpus/grain", "GRAIN"], env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"briefing: no article has the id {name!r} (see `briefing sources`)"
        for name in ("nonexistent", "../corpus/grain", "GRAIN")]
    assert sorted(p.name for p in corpus.iterdir()) == files
    assert sources(env) == ["grain", SEED, "whales"]

    mixed = run(["remove", "whales", "nonexistent", "whales"], env)
    assert mixed.returncode == 1
    assert mixed.stdout.splitlines()[0] == "removed whales"
    assert mixed.stderr.splitlines() == [
        "briefing: no article has the id 'nonexistent' (see `briefing sources`)"]
    assert sources(env) == ["grain", SEED]


def test_remove_of_an_article_the_database_keeps_without_its_file(database_env):
    """With a database the folder is an import source: deleting the file keeps the article,
    `briefing remove` (from a process with no corpus folder at all) removes it."""
    env = database_env
    (Path(env["BRIEFING_CORPUS_DIR"]) / "grain.md").unlink()
    kept = run(["reindex"], env)
    assert kept.stdout.startswith("Nothing changed (3 articles"), kept.stdout
    elsewhere = env | {"BRIEFING_CORPUS_DIR": str(Path(env["BRIEFING_INDEX_DIR"]).parent /
                                                  "no-corpus")}
    result = run(["remove", "grain"], elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "removed grain"
    assert sources(env) == [SEED, "whales"]
    assert all(h["article"] != "grain" for h in ask(GRAIN_Q, env, k=10)["hits"])
