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


def test_add_a_file_then_again_and_the_refusals_as_add_file_says_them(tmp_path, embedder):
    """`briefing add` took links only, where `/add` also takes a file."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    title, paragraphs = STORIES["tugboats"]
    (corpus / "tugs.md").write_text(to_markdown(title, "", "", "\n\n".join(paragraphs)), "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus), "BRIEFING_ATTACHMENT_MAX_BYTES": "5000"}
    assert briefing(["reindex"], env).returncode == 0
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    title, paragraphs = STORIES["estonia"]
    page = downloads / "estonia.html"
    page.write_text(f"<html><head><title>{title}</title></head><body><article>"
                    + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>",
                    "utf-8")
    (downloads / "latin1.txt").write_bytes("Erdoğan said".encode("iso-8859-9"))
    (downloads / "note.txt").write_text("Sweden NATO", "utf-8")
    (downloads / "notes.pdf").write_bytes(b"%PDF-1.4")
    (downloads / "big.md").write_text("x" * 6000, "utf-8")

    added = briefing(["add", str(page)], env)
    assert added.returncode == 0, added.stderr
    first, *reindexed = added.stdout.splitlines()
    assert first == f"Added “{title}” (3 paragraphs)."
    assert reindexed and "1 added" in reindexed[0]
    hit = BriefingIndex(tmp_path / "index", embedder=embedder).ask(
        "When will Estonia issue the new ID cards?").hits[0]
    assert (hit.title, hit.source) == (title, "")
    again = briefing(["add", str(page)], env)
    assert again.returncode == 0 and again.stdout.startswith(
        f"Already in the corpus, the same text: “{title}”")

    refusals = {name: briefing(["add", str(downloads / name)], env)
                for name in ("latin1.txt", "note.txt", "notes.pdf", "big.md", "gone.md")}
    assert {name: (done.returncode, done.stderr) for name, done in refusals.items()} == {
        "latin1.txt": (1, "briefing: not valid UTF-8 (byte 4): save it as UTF-8\n"),
        "note.txt": (1, "briefing: the file has only 11 characters of text, too few for an "
                        "article (at least 200)\n"),
        "notes.pdf": (1, "briefing: refused: only .txt, .md and .html files can be added\n"),
        "big.md": (1, "briefing: refused: the file is larger than 5,000 bytes\n"),
        "gone.md": (1, f"briefing: no such file: {downloads / 'gone.md'} (a link starts "
                       "with http:// or https://)\n")}
    assert len(list(corpus.iterdir())) == 2  # the article, once; nothing refused is written


def test_add_into_another_folder_than_the_index_was_built_from_says_so_as_reindex_does(
        tmp_path):
    built_from, other = tmp_path / "corpus", tmp_path / "elsewhere"
    for folder, story in ((built_from, "tugboats"), (other, "tahoe")):
        folder.mkdir()
        title, paragraphs = STORIES[story]
        (folder / f"{story}.md").write_text(to_markdown(title, "", "", "\n\n".join(paragraphs)),
                                            "utf-8")
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(built_from)}
    assert briefing(["reindex"], env).returncode == 0
    title, paragraphs = STORIES["copper"]
    article = tmp_path / "copper.txt"
    article.write_text(title + "\n\n" + "\n\n".join(paragraphs), "utf-8")

    added = briefing(["add", str(article)], {**env, "BRIEFING_CORPUS_DIR": str(other)})
    assert added.returncode == 0, added.stderr
    assert added.stderr.splitlines()[0] == (  # then the progress bar
        f"briefing: the index was built from {built_from}; it will now hold the articles of "
        f"{other} instead")
    assert added.stdout.startswith(f"Added “{title}”")
