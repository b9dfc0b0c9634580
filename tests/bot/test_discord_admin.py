"""End to end: `/reindex` and `/add` — permissions, progress, fetching, answering while busy."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics

import pytest
from aiohttp import web

from index.store.snapshot import current_generation
from tests.bot.harness import Harness, answer_of, failing_worker, public_text
from tests.support import local_pages, squad_articles

PAGE = """<html><head><title>Black Sea grain corridor reopens</title>
<meta property="article:published_time" content="2023-11-02"></head><body>
<nav>Home | World | Business</nav><article><h1>Black Sea grain corridor reopens</h1>
<p>Ukraine says cargo ships carrying wheat have left the port of Odesa through a new corridor
hugging the coasts of Romania and Bulgaria, four months after Russia quit the grain deal.</p>
<p>Insurers in London cut war-risk premiums for the route by a third, shipping officials said on
Thursday, as the number of vessels waiting to load rose above forty.</p></article>
<footer>Copyright</footer></body></html>"""


QUESTIONS = ["Why did Erdoğan approve Sweden?", "How has Erdogan supported Hamas?",
             "Who won the 2018 World Cup?", "What happened to the Azov commanders?",
             "Did the Sochi talks revive the grain deal?"]


def original_edits(server, sent) -> list[str]:
    return [c.json.get("content", "") for c in server.calls
            if c.method == "PATCH" and c.path == sent.original_path]


def test_member_without_manage_server_cannot_reindex(run, tmp_path, corpus_copy):
    (corpus_copy / "new.md").write_text("A new article about wheat exports from Odesa.", "utf-8")

    async def scenario(h: Harness) -> None:
        before = current_generation(h.bot.index.backend.index_dir)
        sent = await h.server.send_interaction("reindex", user="member")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64
        assert "Manage Server" in reply.json["data"]["content"]
        await asyncio.sleep(0.5)
        assert current_generation(h.bot.index.backend.index_dir) == before
        assert [a.id for a in h.bot.index.sources()] == ["russia-turkiye-israel-hamas-war"]

    run(scenario)


def test_admin_reindex_shows_progress_and_new_articles_become_answerable(run, corpus_copy,
                                                                        shared_eval):
    for name, text in squad_articles(shared_eval, 3).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("reindex", user="admin")
        first = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert first.json["data"]["content"] == "Reindexing the articles…"
        await h.server.wait_for(
            lambda c: c.method == "PATCH" and c.path == sent.original_path
            and c.json.get("content", "").startswith("Reindex done"), timeout=120)
        edits = original_edits(h.server, sent)
        assert any(e.startswith("Embedding ") and "passages…" in e for e in edits)
        assert edits[-1].startswith("Reindex done: 3 added, 0 changed, 0 removed")
        asked = await h.server.send_interaction(
            "ask", {"question": "Which NFL team represented the AFC at Super Bowl 50?"})
        answer = await answer_of(h.server, asked)
        assert answer["embeds"][0]["fields"][0]["name"].startswith("1. Super Bowl 50")

    run(scenario)


def test_questions_are_deferred_at_once_while_a_reindex_runs(run, corpus_copy, shared_eval,
                                                             capsys):
    for name, text in squad_articles(shared_eval, 12, offset=20).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")

    async def scenario(h: Harness) -> None:
        heartbeats = h.server.heartbeats
        reindex = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                reindex.original_path and "Embedding" in c.json.get("content",
                                                                                    ""),
                                timeout=60)
        asks = [await h.server.send_interaction("ask", {"question": question})
                for question in QUESTIONS]
        callbacks = [await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path)
                     for sent in asks]
        delays = [c.time - s.created for c, s in zip(callbacks, asks, strict=True)]
        still_running = not any(e.startswith("Reindex done")
                                for e in original_edits(h.server, reindex))
        for sent in asks:
            await answer_of(h.server, sent, timeout=60)
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                reindex.original_path and c.json.get(
                                    "content", "").startswith("Reindex done"), timeout=120)
        with capsys.disabled():
            print(f"\ndefer while reindexing: median {statistics.median(delays) * 1000:.1f} ms,"
                  f" max {max(delays) * 1000:.1f} ms (reindex still running: {still_running})")
        assert still_running, "the reindex ended before the questions were deferred"
        assert max(delays) < 0.5
        assert h.server.heartbeats >= heartbeats

    run(scenario)


def test_add_url_fetches_a_local_page_and_makes_it_answerable(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        async def page(request: web.Request) -> web.Response:
            return web.Response(text=PAGE, content_type="text/html")

        async with local_pages({"/news/grain.html": page}) as base:
            url = f"{base}/news/grain.html"
            sent = await h.server.send_interaction("add", {"url": url}, user="admin")
            done = await answer_of(h.server, sent, timeout=60)
            # The same page shared with tracking parameters and a fragment is the same article.
            shared = await h.server.send_interaction(
                "add", {"url": url + "?utm_source=twitter&utm_medium=social#comments"},
                user="admin")
            again = await answer_of(h.server, shared, timeout=60)
        assert done["content"].startswith("Added “Black Sea grain corridor reopens”")
        assert again["content"].startswith("Already in the corpus, the same text:")
        saved = [p for p in corpus_copy.glob("*.md") if p.name.startswith("black-sea-grain")]
        assert len(saved) == 1
        text = saved[0].read_text("utf-8")
        assert f"source: {url}" in text and "Home | World" not in text
        asked = await h.server.send_interaction(
            "ask", {"question": "How much did insurers cut war-risk premiums?"})
        answer = await answer_of(h.server, asked)
        field = answer["embeds"][0]["fields"][0]
        assert field["name"].startswith("1. Black Sea grain corridor reopens")
        assert url in field["value"]  # the citation links to the source

    run(scenario)


def test_add_url_again_after_the_page_was_edited_updates_the_article_in_place(run,
                                                                                corpus_copy):
    """The edited page was saved as a second article beside the first: every question then
    cited the story twice, once with the figures since corrected."""
    pages = {"text": PAGE}

    async def scenario(h: Harness) -> None:
        async with local_pages({"/news/grain.html": lambda _r: web.Response(
                text=pages["text"], content_type="text/html")}) as base:
            url = f"{base}/news/grain.html"
            first = await answer_of(h.server, await h.server.send_interaction(
                "add", {"url": url}, user="admin"), timeout=60)
            pages["text"] = PAGE.replace("</article>", "<p>Update: the corridor closed again "
                                         "on Friday after a drone strike near Odesa.</p>"
                                         "</article>")
            second = await answer_of(h.server, await h.server.send_interaction(
                "add", {"url": url + "?utm_source=x"}, user="admin"), timeout=60)
        assert first["content"].startswith("Added “Black Sea grain corridor reopens”")
        assert second["content"].startswith("Updated “Black Sea grain corridor reopens”")
        [saved] = [p for p in corpus_copy.glob("*.md") if p.name.startswith("black-sea-grain")]
        assert "drone strike near Odesa" in saved.read_text("utf-8")
        titles = [r.title for r in h.bot.index.sources()]
        assert titles.count("Black Sea grain corridor reopens") == 1

    run(scenario)


def test_add_url_still_saves_the_page_when_the_index_cannot_be_read(tmp_path, corpus_copy):
    """Looking for an earlier copy of the link read the index first: a damaged one turned
    /add url into "…; run `briefing reindex`" before the page was saved (the reindex after
    saving it is what mends the index)."""
    from bot.adding import earlier_file
    from index import BriefingIndex

    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "CURRENT").write_text("gen-gone")  # its generation was deleted
    damaged = BriefingIndex(tmp_path / "damaged")
    assert earlier_file(damaged, corpus_copy, "https://example.org/a.html") is None


@pytest.mark.parametrize("url", ["http://10.1.2.3/article", "http://169.254.169.254/latest",
                                 "file:///etc/passwd", "ftp://example.org/a.html",
                                 "http://127.0.0.1:9/a", "http://[::1]/a", "http://exa mple.org/"])
def test_add_url_refused_on_sight_is_answered_privately_before_any_thinking(run, corpus_copy,
                                                                             url):
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("add", {"url": url}, user="admin")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path, timeout=20)
        assert reply.json["type"] == 4  # answered at once, not deferred
        assert reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"].startswith("Refused: ")
        assert h.server.public_messages() == []  # the channel saw nothing, not even a line

    run(scenario, fetch_allow_loopback=False)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


def test_add_url_of_a_page_with_almost_no_text_is_refused_and_nothing_is_indexed(run,
                                                                                 corpus_copy):
    """A cookie wall or a page that needs JavaScript was added as a 40-character "article"
    that then answered questions with "Please enable JavaScript"."""
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        async with local_pages({"/wall": lambda _r: web.Response(
                text="<html><head><title>News</title></head><body><p>Please enable JavaScript "
                     "to read this article.</p></body></html>", content_type="text/html")}
                               ) as base:
            sent = await h.server.send_interaction("add", {"url": f"{base}/wall"}, user="admin")
            await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        reply = h.server.messages[sent.message_ids[-1]]
        assert re.fullmatch(r"The page has only \d\d characters of text, too few for an "
                            r"article \(it may need a login or JavaScript to show one\)\.?",
                            reply["content"])

    run(scenario)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


@pytest.mark.parametrize(("status", "body", "reason"), [
    (200, "", "The page came back empty (it may need a login or JavaScript to show its "
              "text)."),  # it said "Empty file."
    (200, "<html><body><div id=root></div><script src=/app.js></script></body></html>",
     "No article text in the HTML (it may need a login or JavaScript to show its text): copy "
     "its text into a .txt or .md file."),  # it said "No article text found in the HTML."
    (404, "Not found", "Could not fetch the page (HTTP 404): check the link."),
    (503, "Busy", "Could not fetch the page (HTTP 503): try again later."),
])
def test_add_url_that_gives_no_page_says_why_in_a_sentence(run, corpus_copy, status, body,
                                                           reason):
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        async with local_pages({"/page": lambda _r: web.Response(
                status=status, text=body, content_type="text/html")}) as base:
            sent = await h.server.send_interaction("add", {"url": f"{base}/page"}, user="admin")
            await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        reply = h.server.messages[sent.message_ids[-1]]
        assert reply["flags"] & 64 and reply["content"] == reason

    run(scenario)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


def test_add_url_whose_name_resolves_to_loopback_is_refused_privately(run, corpus_copy):
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("add", {"url": "http://localhost/a"},
                                               user="admin")
        await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        reply = h.server.messages[sent.message_ids[-1]]
        assert reply["flags"] & 64 and reply["content"].startswith("Refused: ")
        assert "refused" not in public_text(h.server)  # the channel saw no refusal

    run(scenario, fetch_allow_loopback=False)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


def test_add_by_a_member_is_refused(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("add", {"url": "https://example.org/a"},
                                               user="member")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["flags"] & 64
        assert "Manage Server" in reply.json["data"]["content"]

    run(scenario)


def test_add_with_neither_a_url_nor_a_file_asks_for_one(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("add", {}, user="admin")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"] == "Give a url or a file to add."

    run(scenario)


def test_failed_reindex_says_so_where_the_progress_was_and_the_old_index_answers(run):
    async def scenario(h: Harness) -> None:
        h.bot.reindexer.command = failing_worker(
            {"progress": [1, 1]}, {"failed": "OSError: [Errno 30] Read-only file system"})
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path
                                and "failed" in c.json["content"], timeout=20)
        await asyncio.sleep(0.3)
        shown = h.server.messages[sent.original_id]
        assert shown["flags"] == 0 and shown["content"] == (
            "Reindex failed; the error has been logged. The previous index is still answering.")
        asked = await h.server.send_interaction("ask", {"question": QUESTIONS[0]})
        assert (await answer_of(h.server, asked))["embeds"][0]["fields"]

    run(scenario, expect_errors=True)


def test_reindex_process_killed_midway_leaves_the_old_index_answering(run, corpus_copy,
                                                                     shared_eval):
    """SIGKILL of the real reindex process while it embeds (as the OOM killer does): one line
    for the admin saying so, the old index keeps answering, and the next /reindex (the lock
    died with the process) works. It said only "the error has been logged"."""
    for name, text in squad_articles(shared_eval, 12, offset=20).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")

    async def scenario(h: Harness) -> None:
        before = current_generation(h.bot.index.backend.index_dir)
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path
                                and "Embedding" in c.json.get("content", ""), timeout=60)
        os.kill(h.bot.reindexer.process.pid, signal.SIGKILL)
        failed = await h.server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                         sent.original_path and "failed" in c.json["content"],
                                         timeout=20)
        assert failed.json["content"] == (
            "Reindex failed: the reindex process was killed (signal 9, often out of memory). "
            "The previous index is still answering.")
        assert current_generation(h.bot.index.backend.index_dir) == before
        assert [a.id for a in h.bot.index.sources()] == ["russia-turkiye-israel-hamas-war"]
        asked = await h.server.send_interaction("ask", {"question": QUESTIONS[0]})
        answer = await answer_of(h.server, asked)
        assert answer["embeds"][0]["fields"][0]["name"].startswith("1. ")
        again = await h.server.send_interaction("reindex", user="admin")
        done = await h.server.wait_for(lambda c: c.method == "PATCH" and c.path ==
                                       again.original_path and c.json.get(
                                           "content", "").startswith("Reindex done"), timeout=120)
        assert done.json["content"].startswith("Reindex done: 12 added")
        assert any("killed (SIGKILL)" in r.getMessage() for r in h.errors)

    run(scenario, expect_errors=True)


def test_add_whose_reindex_fails_says_the_article_waits_for_the_next_reindex(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        h.bot.reindexer.command = failing_worker(
            {"error": "the index folder refuses writes: No space left on device",
             "kind": "IndexNotWritable"})
        upload = h.server.upload("wheat.md", b"Wheat left Odesa on Tuesday in the first "
                                 b"convoy since the spring, bound for Egypt under naval escort "
                                 b"through the western Black Sea, port officials said on a "
                                 b"call with reporters, and more ships wait to load.\n")
        sent = await h.server.send_interaction("add", {"file": upload}, user="admin")
        shown = await answer_of(h.server, sent)
        assert "Reindex failed: the index folder refuses writes" in shown["content"]
        assert "still answering" in shown["content"]

    run(scenario)


def test_a_refused_reindex_is_said_in_whole_sentences_once(run, corpus_copy, tmp_path):
    """It read "Reindex failed: corpus directory … is a file, not a folder The previous index
    is still answering.", and a refused write said the previous index still answers twice."""
    target = tmp_path / "not-a-folder"
    target.write_text("a file where the corpus folder should be", "utf-8")

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path
                                and c.json.get("content", "").startswith("Reindex failed"),
                                timeout=120)
        assert original_edits(h.server, sent)[-1] == (
            f"Reindex failed: corpus directory {target} is a file, not a folder. "
            "The previous index is still answering.")
        h.bot.reindexer.command = failing_worker(
            {"error": "cannot write the index in /data/index (No space left on device); the "
                      "previous index, if any, still answers", "kind": "IndexNotWritable"})
        again = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == again.original_path
                                and c.json.get("content", "").startswith("Reindex failed"))
        assert original_edits(h.server, again)[-1] == (
            "Reindex failed: cannot write the index in /data/index (No space left on device). "
            "The previous index is still answering.")
        asked = await h.server.send_interaction("ask", {"question": QUESTIONS[0]})
        assert (await answer_of(h.server, asked))["embeds"][0]["fields"][0]["name"].endswith(
            "¶15")

    run(scenario, corpus_dir=target)


def test_a_reindex_of_an_emptied_corpus_folder_keeps_the_index_and_says_so(run, corpus_copy):
    for path in corpus_copy.iterdir():  # as a volume that failed to mount looks
        path.unlink()

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == sent.original_path
                                and "empty" in c.json.get("content", ""), timeout=120)
        await asyncio.sleep(0.3)
        assert original_edits(h.server, sent)[-1] == (
            f"The corpus folder {corpus_copy} is empty (is it mounted?); keeping the 1 indexed "
            "article; `briefing reindex --allow-empty` empties the index.")
        asked = await h.server.send_interaction("ask", {"question": QUESTIONS[0]})
        assert (await answer_of(h.server, asked))["embeds"][0]["fields"][0]["name"].endswith(
            "¶15")

    run(scenario)


def test_reindex_reports_its_end_in_the_channel_after_the_token_expired(run):
    """The reindex waits behind another process's lock while the token expires."""
    from index.store.writer_lock import writer_lock

    async def scenario(h: Harness) -> None:
        with writer_lock(h.bot.index.backend.index_dir):
            sent = await h.server.send_interaction("reindex", user="admin")
            await h.server.wait_for(
                lambda c: c.path == sent.original_path and "waiting" in str(c.json), timeout=30)
            h.server.advance(16 * 60)  # a reindex of a large corpus
            start = len(h.server.calls)
        post = await h.server.wait_for(
            lambda c: c.route == "/channels/{channel_id}/messages", timeout=60)
        assert post.status == 200 and post.json["content"].startswith("Reindex done")
        expired = [c for c in h.server.calls[start:] if c.path == sent.original_path]
        assert expired and all(c.status == 401 for c in expired)

    run(scenario)


def test_reindex_says_it_waits_while_another_process_reindexes(run):
    """A `briefing reindex` from a shell holds the index folder's writer lock."""
    from index.store.writer_lock import writer_lock

    async def scenario(h: Harness) -> None:
        with writer_lock(h.bot.index.backend.index_dir):
            sent = await h.server.send_interaction("reindex", user="admin")
            waiting = await h.server.wait_for(
                lambda c: c.path == sent.original_path and "waiting" in str(c.json), timeout=30)
            assert "Another reindex" in waiting.json["content"]
        done = await h.server.wait_for(
            lambda c: c.path == sent.original_path and "Reindex done" in str(c.json),
            timeout=60)
        assert done.status == 200

    run(scenario)


def test_only_admins_of_the_servers_named_may_change_the_shared_articles(run, corpus_copy):
    """One corpus answers every server the bot is in: with BRIEFING_ADMIN_GUILD_IDS naming
    another server, this server's admin may not add, remove or reindex articles, and is told
    why in one line; naming this server lets them."""
    async def scenario(h: Harness) -> None:
        before = current_generation(h.bot.index.backend.index_dir)
        article = "russia-turkiye-israel-hamas-war"
        for name, options in (("reindex", None), ("remove", {"article": article}),
                              ("add", {"url": "http://127.0.0.1:9/a.html"})):
            sent = await h.server.send_interaction(name, options, user="admin")
            reply = await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path)
            assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64, name
            assert reply.json["data"]["content"] == (
                "The articles are shared by every server the bot is in, and only admins of "
                "the servers in BRIEFING_ADMIN_GUILD_IDS may change them."), name
        await asyncio.sleep(0.5)
        assert current_generation(h.bot.index.backend.index_dir) == before
        assert [a.id for a in h.bot.index.sources()] == [article]
        assert (corpus_copy / f"{article}.md").exists()

        h.bot.settings.admin_guild_ids = [1, int(h.server.guild_id)]
        sent = await h.server.send_interaction("reindex", user="admin")
        done = await answer_of(h.server, sent, timeout=60)
        assert done["content"].startswith("Reindex done"), done["content"]

    run(scenario, admin_guild_ids=[1])
