"""`briefing` on an empty, badly filled or missing corpus folder: one clear line, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

NOTHING = "briefing: No articles are indexed yet."


def run(args: list[str], env: dict[str, str]):
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def env_for(corpus: Path, index_dir: Path) -> dict[str, str]:
    return {**os.environ, "BRIEFING_CORPUS_DIR": str(corpus), "BRIEFING_INDEX_DIR": str(index_dir)}


@pytest.fixture
def empty(tmp_path: Path) -> dict[str, str]:
    """An empty corpus folder and no index yet."""
    (tmp_path / "corpus").mkdir()
    return env_for(tmp_path / "corpus", tmp_path / "index")


def test_reindex_of_an_empty_corpus_says_so_in_one_line(empty):
    result = run(["reindex"], empty)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"No articles are indexed yet: {empty['BRIEFING_CORPUS_DIR']} has no readable .md, .txt "
        "or .html file."]
    assert result.stderr == ""
    sources = run(["sources"], empty)
    assert (sources.returncode, sources.stdout) == (0, "No articles are indexed yet.\n")


def test_ask_on_an_empty_corpus_says_nothing_is_indexed(empty):
    first = run(["ask", "Sweden"], empty)  # builds the (empty) index first
    assert first.returncode == 1 and first.stdout == ""
    assert first.stderr.splitlines() == [
        f"No index yet in {empty['BRIEFING_INDEX_DIR']}; indexing "
        f"{empty['BRIEFING_CORPUS_DIR']} first.", NOTHING]
    for args in (["ask", "Sweden"], ["ask", "--json", "Sweden"], ["summary", "--topic", "Sweden"]):
        result = run(args, empty)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", NOTHING + "\n")


def test_corpus_of_only_bad_files_names_them_then_says_nothing_is_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02")
    (corpus / "latin1.txt").write_bytes("Erdoğan said".encode("iso-8859-9"))
    env = env_for(corpus, tmp_path / "index")
    result = run(["reindex"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "skipped binary.txt: binary file (contains NUL bytes)", "skipped empty.md: empty file",
        "skipped latin1.txt: not valid UTF-8 (byte 4): save it as UTF-8",
        f"No articles are indexed yet: {corpus} has no readable .md, .txt or .html file."]
    assert "Traceback" not in result.stderr
    asked = run(["ask", "Sweden"], env)
    assert asked.returncode == 1 and asked.stderr.splitlines()[-1] == NOTHING
    assert "Traceback" not in asked.stderr


def test_missing_corpus_folder_is_one_line(tmp_path):
    missing = tmp_path / "nowhere"
    env = env_for(missing, tmp_path / "index")
    result = run(["reindex"], env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"briefing: corpus directory {missing} does not exist\n"
    asked = run(["ask", "Sweden"], env)
    assert asked.returncode == 1 and asked.stdout == ""
    assert asked.stderr.splitlines()[-1] == f"briefing: corpus directory {missing} does not exist"
    assert "Traceback" not in asked.stderr


def test_a_missing_corpus_folder_is_the_only_line_when_the_index_has_another(tmp_path,
                                                                            corpus_copy):
    """The "built from another folder" warning came first, though nothing was replaced."""
    built = env_for(corpus_copy, tmp_path / "index")
    assert run(["reindex"], built).returncode == 0
    missing = tmp_path / "unmounted"
    result = run(["reindex"], env_for(missing, tmp_path / "index"))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"briefing: corpus directory {missing} does not exist\n"


def test_an_emptied_corpus_folder_does_not_empty_the_index_unless_asked(tmp_path, corpus_copy):
    env = env_for(corpus_copy, tmp_path / "index")
    assert run(["reindex"], env).returncode == 0
    for path in corpus_copy.iterdir():  # as a volume that failed to mount looks
        path.unlink()
    refused = run(["reindex"], env)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"briefing: the corpus folder {corpus_copy} is empty (is it mounted?); keeping the 1 "
        "indexed article; `briefing reindex --allow-empty` empties the index\n")
    assert run(["sources"], env).stdout.startswith("russia-turkiye-israel-hamas-war: ")
    emptied = run(["reindex", "--allow-empty"], env)
    assert (emptied.returncode, emptied.stderr) == (0, "")
    assert emptied.stdout == (f"No articles are indexed yet: {corpus_copy} has no readable "
                              ".md, .txt or .html file.\n")


def test_skipped_file_names_cannot_forge_terminal_lines(tmp_path):
    """A corpus of one unreadable file whose name carries an escape sequence and a newline:
    the skip line shows the name on one line, without the control characters."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a\x1b[31mRED\x1b[0m\nforged line.md").write_bytes(b"")
    result = run(["reindex"], env_for(corpus, tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert result.stdout.splitlines() == [
        "skipped a[31mRED[0m forged line.md: empty file",
        f"No articles are indexed yet: {corpus} has no readable .md, .txt or .html file."]
