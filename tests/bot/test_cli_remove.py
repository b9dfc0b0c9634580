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
    return sorted(a["article"] for a in json.loads(run(["sources", "--json"], env).stdout))


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
    result = run(["remove", "nonexistent", "../corpus/grain", "grains"], env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"briefing: no indexed article has that id or title: {name!r} (see `briefing sources`)"
        for name in ("nonexistent", "../corpus/grain", "grains")]
    assert sorted(p.name for p in corpus.iterdir()) == files
    assert sources(env) == ["grain", SEED, "whales"]

    mixed = run(["remove", "whales", "nonexistent", "whales"], env)
    assert mixed.returncode == 1
    assert mixed.stdout.splitlines()[0] == "removed whales"
    assert mixed.stderr.splitlines() == [
        "briefing: no indexed article has that id or title: 'nonexistent' (see `briefing sources`)"]
    assert sources(env) == ["grain", SEED]


def test_articles_are_named_by_whole_title_or_by_id_in_any_case_as_in_discord(env):
    result = run(["remove", "  whales OFF norway ", "GRAIN"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["removed whales", "removed grain"]
    assert sources(env) == [SEED]


def test_a_title_two_articles_share_names_neither(env):
    corpus = Path(env["BRIEFING_CORPUS_DIR"])
    (corpus / "whales-copy.md").write_text(WHALES, "utf-8")
    assert run(["reindex"], env).returncode == 0
    result = run(["remove", "Whales off Norway"], env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == ["briefing: several indexed articles have that title: "
                                          "'Whales off Norway' (see `briefing sources`)"]
    assert sources(env) == ["grain", SEED, "whales", "whales-copy"]


def test_remove_works_on_the_folder_the_index_was_built_from(corpus_copy, tmp_path):
    """An index built with `reindex --corpus OTHER`: `remove` without --corpus removes from
    OTHER (it used to reindex the default corpus, dropping every article of OTHER), and a
    --corpus naming a third folder is refused before anything is deleted."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "grain.md").write_text(GRAIN, "utf-8")
    (other / "whales.md").write_text(WHALES, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATABASE_URL"}
    env |= {"BRIEFING_CORPUS_DIR": str(corpus_copy), "BRIEFING_INDEX_DIR": str(tmp_path / "i")}
    assert run(["reindex", "--corpus", str(other)], env).returncode == 0

    wrong = run(["remove", "grain", "--corpus", str(corpus_copy)], env)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.startswith(f"briefing: the index was built from {other.resolve()}, "
                                   f"not {corpus_copy.resolve()}")
    assert sources(env) == ["grain", "whales"] and (other / "grain.md").exists()

    result = run(["remove", "grain"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "removed grain"
    assert not (other / "grain.md").exists()
    assert sources(env) == ["whales"]
    assert (corpus_copy / f"{SEED}.md").exists()

    switched = run(["reindex"], env)  # the default folder replaces the other: said so
    assert switched.stderr.splitlines()[0] == (
        f"briefing: the index was built from {other.resolve()}; it will now hold the "
        f"articles of {corpus_copy} instead")
    assert sources(env) == [SEED]


def test_remove_after_the_corpus_folder_moved_is_refused_not_said_done(tmp_path):
    """It printed "removed grain" and removed nothing (the file was in the moved folder)."""
    before, after = tmp_path / "corpus", tmp_path / "moved"
    before.mkdir()
    (before / "grain.md").write_text(GRAIN, "utf-8")
    (before / "whales.md").write_text(WHALES, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATABASE_URL"}
    env |= {"BRIEFING_CORPUS_DIR": str(before), "BRIEFING_INDEX_DIR": str(tmp_path / "i")}
    assert run(["reindex"], env).returncode == 0
    before.rename(after)
    result = run(["remove", "grain"], {**env, "BRIEFING_CORPUS_DIR": str(after)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"briefing: the index was built from {before.resolve()}, "
                                    "which is no longer there")
    assert (after / "grain.md").exists()


def test_a_damaged_feed_store_is_one_line_and_the_removal_still_reindexes(corpus_copy,
                                                                          tmp_path):
    env = indexed("local", None, corpus_copy, tmp_path)
    damaged = tmp_path / "feeds.sqlite"
    damaged.write_text("not a database\n", encoding="utf-8")
    result = run(["remove", "grain"], {**env, "BRIEFING_FEEDS_DB": str(damaged)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the feed store was not told of the removal" in result.stderr
    assert "grain" not in sources(env)  # the index no longer serves it


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


@pytest.fixture
def in_process(monkeypatch, corpus_copy: Path, tmp_path: Path, embedder):
    """`briefing` run in this process (so a test can make a deletion fail) on a local index of
    the seed, a grain and a whales article; returns `main`."""
    from bot import cli, engine
    from bot.cli import corpus as corpus_commands
    from bot.cli import query as query_commands
    from index import BriefingIndex

    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")
    monkeypatch.delenv("BRIEFING_DATABASE_URL", raising=False)
    for name, value in (("CORPUS_DIR", corpus_copy), ("INDEX_DIR", tmp_path / "index"),
                        ("FEEDS_DB", tmp_path / "feeds.sqlite")):
        monkeypatch.setenv(f"BRIEFING_{name}", str(value))
    monkeypatch.setenv("BRIEFING_FETCH_ALLOW_LOOPBACK", "true")
    opened = BriefingIndex(tmp_path / "index", embedder=embedder)
    opened.reindex(corpus_copy)
    for module in (corpus_commands, query_commands, engine):
        monkeypatch.setattr(module, "open_index", lambda settings: opened)
    return cli.main


def test_a_file_that_cannot_be_deleted_is_reported_and_the_others_are_removed(
        in_process, corpus_copy, monkeypatch, capsys):
    unlink = Path.unlink

    def refuse_grain(path, missing_ok=False):
        if path == corpus_copy / "grain.md":
            raise PermissionError(13, "Permission denied")
        unlink(path, missing_ok=missing_ok)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "unlink", refuse_grain)
        status = in_process(["remove", "whales", "grain", "nonexistent"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        "removed whales",
        "0 added, 0 changed, 1 removed, 2 unchanged; embedded 0 passages; 19 passages indexed."]
    assert [line for line in err.splitlines() if line.startswith("briefing:")] == [
        f"briefing: could not remove 'grain': cannot remove {corpus_copy / 'grain.md'}: "
        "Permission denied",
        "briefing: no indexed article has that id or title: 'nonexistent' (see `briefing sources`)"]
    assert (corpus_copy / "grain.md").exists() and not (corpus_copy / "whales.md").exists()
    assert in_process(["sources", "--json"]) == 0
    assert [a["article"] for a in json.loads(capsys.readouterr().out)] == ["grain", SEED]
    assert in_process(["ask", "--json", "Where were humpback whales seen?"]) == 0
    assert all(h["article"] != "whales" for h in json.loads(capsys.readouterr().out)["hits"])


def test_a_removed_feed_article_is_not_brought_back_by_its_feed(in_process, corpus_copy,
                                                                capsys):
    from tests.bot.feed_server import FeedServer, Item, page_html, rss

    with FeedServer() as site:
        site.pages("tahoe")
        items = [Item("tahoe", "/news/tahoe.html", guid="t1")]
        site.text("/rss.xml", lambda: rss(items, site.base), "application/rss+xml")
        assert in_process(["feed", "add", site.base + "/rss.xml"]) == 0
        assert in_process(["feed", "poll"]) == 0
        [article] = [p for p in (corpus_copy / "feeds").iterdir()]
        article_id = f"feeds/{article.stem}"
        capsys.readouterr()
        assert in_process(["remove", article_id]) == 0
        assert capsys.readouterr().out.splitlines()[0] == f"removed {article_id}"

        items[0] = Item("tahoe", "/news/tahoe.html", guid="t1",
                        title="Lake Tahoe is clearer than in twenty years")
        assert in_process(["feed", "poll"]) == 0
        assert not article.exists() and list((corpus_copy / "feeds").iterdir()) == []
        assert in_process(["reindex"]) == 0
        capsys.readouterr()

        site.text("/partner/tahoe", page_html("tahoe", byline="By Wire Agency, Reno"),
                  "text/html")
        items.append(Item("tahoe", "/partner/tahoe", guid="t2",
                          title="Tahoe water clearest in 20 years"))
        assert in_process(["feed", "poll"]) == 0
        assert "1 new, 0 updated, 0 duplicates" in capsys.readouterr().out
        assert in_process(["sources", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [a["title"] for a in listed if a["article"].startswith("feeds/")] == [
            "Tahoe water clearest in 20 years"]
        assert article_id not in [a["article"] for a in listed]


@pytest.mark.parametrize("command", [["ask", "Why did Erdoğan approve Sweden?"], ["sources"],
                                     ["remove", "grain"]])
def test_an_unreachable_database_is_one_line(command, tmp_path):
    """The pointer's warning came first, then the same error again: two lines."""
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_DATABASE_URL": "postgresql://nobody@/postgres?host=/nonexistent-socket-dir"}
    result = run(command, env)
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("briefing: cannot connect to the database")


def test_reindex_of_a_named_folder_that_is_missing_is_an_error_with_a_database_too(
        database_env, tmp_path):
    """A database reindexes what it stores when its default folder is missing, but a
    `--corpus` typo succeeded silently ("Nothing changed")."""
    result = run(["reindex", "--corpus", str(tmp_path / "no-such-folder")], database_env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"briefing: corpus directory {tmp_path / 'no-such-folder'} does "
                             "not exist\n")


def test_a_restored_file_of_a_removed_article_comes_back_with_readmit(database_env):
    """With a database a removed article's text stays out even when its file is back (another
    machine's folder may hold it); `reindex --readmit ID` is the way to want it again."""
    corpus = Path(database_env["BRIEFING_CORPUS_DIR"])
    assert run(["remove", "grain"], database_env).returncode == 0
    (corpus / "grain.md").write_text(GRAIN, "utf-8")  # restored from a backup
    skipped = run(["reindex"], database_env)
    assert "grain" not in sources(database_env)
    assert "briefing reindex --readmit grain" in skipped.stdout
    back = run(["reindex", "--readmit", "grain"], database_env)
    assert back.returncode == 0 and back.stdout.startswith("1 added")
    assert ask(GRAIN_Q, database_env)["hits"][0]["article"] == "grain"


def test_removing_every_article_empties_the_index(env):
    """Removal is asking for the articles to go: the guard against an emptied corpus folder
    does not refuse the reindex that follows it."""
    result = run(["remove", "grain", "whales", SEED], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"No articles are indexed yet: {env['BRIEFING_CORPUS_DIR']} has no readable .md, .txt "
        "or .html file.")
    assert sources(env) == []
