"""End to end: `/remove` — autocomplete, permissions, private answers, the reindex after it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.bot.harness import Harness, answer_of, public_text
from tests.index.test_backends import GRAIN, GRAIN_Q, SWEDEN

GRAIN_TITLE = "Grain corridor closes"


def test_admin_removes_an_article_picked_from_autocomplete(run, corpus_copy):
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        asked = await h.server.send_interaction("ask", {"question": GRAIN_Q})
        fields = (await answer_of(h.server, asked))["embeds"][0]["fields"]
        assert GRAIN_TITLE in fields[0]["name"]

        typed = await h.server.send_interaction("remove", {"article": "CORRIDOR"}, type=4,
                                                focused="article")
        offered = await h.server.wait_for(lambda c: c.path == typed.callback_path)
        assert offered.status == 200
        assert offered.json["data"]["choices"] == [{"name": GRAIN_TITLE, "value": "grain"}]

        sent = await h.server.send_interaction("remove", {"article": "grain"}, user="admin")
        thinking = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert thinking.json["type"] == 5 and thinking.json["data"]["flags"] & 64
        done = await answer_of(h.server, sent, timeout=60)
        assert done["flags"] & 64
        assert done["content"] == (
            f"Removed “{GRAIN_TITLE}”. Reindex done: 0 added, 0 changed, 1 removed; "
            "embedded 0 passages; 17 passages indexed.")
        assert not (corpus_copy / "grain.md").exists()
        assert [a.id for a in h.bot.index.sources()] == ["russia-turkiye-israel-hamas-war"]

        asked = await h.server.send_interaction("ask", {"question": GRAIN_Q})
        assert GRAIN_TITLE not in str(await answer_of(h.server, asked))
        asked = await h.server.send_interaction("ask", {"question": SWEDEN})
        fields = (await answer_of(h.server, asked))["embeds"][0]["fields"]
        assert fields[0]["name"].endswith("¶15")
        assert "Removed" not in public_text(h.server)  # only the admin saw it

    run(scenario)


def test_removing_the_last_article_empties_the_index(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "remove", {"article": "russia-turkiye-israel-hamas-war"}, user="admin")
        done = await answer_of(h.server, sent, timeout=60)
        assert done["content"].startswith("Removed “Russia and Türkiye Align on the "
                                          "Israel-Hamas War”. Reindex done: 0 added, 0 changed, "
                                          "1 removed; embedded 0 passages; 0 passages indexed.")
        assert h.bot.index.sources() == []

    run(scenario)


def test_remove_of_an_unknown_article_is_one_private_line(run, corpus_copy):
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        for typed in ("nonexistent", "../corpus/russia-turkiye-israel-hamas-war", " "):
            sent = await h.server.send_interaction("remove", {"article": typed}, user="admin")
            reply = await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path)
            assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64
            assert reply.json["data"]["content"] == (
                "No indexed article has that id or title; pick one from the list.")
        assert [a.id for a in h.bot.index.sources()] == ["russia-turkiye-israel-hamas-war"]

    run(scenario)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


def test_remove_by_a_member_is_refused(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "remove", {"article": "russia-turkiye-israel-hamas-war"}, user="member")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["flags"] & 64
        assert "Manage Server" in reply.json["data"]["content"]
        await asyncio.sleep(0.3)
        assert [a.id for a in h.bot.index.sources()] == ["russia-turkiye-israel-hamas-war"]

    run(scenario)
    assert (corpus_copy / "russia-turkiye-israel-hamas-war.md").exists()


def test_an_article_that_cannot_be_removed_is_one_private_line(run, corpus_copy, monkeypatch):
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")
    unlink = Path.unlink

    def refuse_grain(path, missing_ok=False):
        if path == corpus_copy / "grain.md":
            raise PermissionError(13, "Permission denied")
        unlink(path, missing_ok=missing_ok)

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        monkeypatch.setattr(Path, "unlink", refuse_grain)
        sent = await h.server.send_interaction("remove", {"article": "grain"}, user="admin")
        done = await answer_of(h.server, sent, timeout=60)
        assert done["flags"] & 64
        assert done["content"] == (f"Could not remove “{GRAIN_TITLE}”: cannot remove "
                                   f"{corpus_copy / 'grain.md'}: Permission denied.")
        assert (corpus_copy / "grain.md").exists()
        assert "grain" in [a.id for a in h.bot.index.sources()]

    run(scenario)


def test_remove_during_a_reindex_is_refused_in_one_private_line(run, corpus_copy):
    (corpus_copy / "grain.md").write_text(GRAIN, "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        async with h.bot.reindexing.lock:  # as a running /reindex, /add or feed poll holds it
            sent = await h.server.send_interaction("remove", {"article": "grain"}, user="admin")
            reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"] == (
            "A reindex is already running; try again when it has finished.")
        assert (corpus_copy / "grain.md").exists()
        assert "grain" in [a.id for a in h.bot.index.sources()]

    run(scenario)


def test_two_admins_at_once_one_reindex_runs_and_the_other_is_told(run):
    async def scenario(h: Harness) -> None:
        # dispatched back to back, before the bot has answered either
        first, second = await asyncio.gather(
            h.server.send_interaction("reindex", user="admin"),
            h.server.send_interaction("reindex", user="admin"))
        replies = [await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path, 10)
                   for sent in (first, second)]
        texts = sorted(r.json["data"]["content"] for r in replies)
        assert texts == ["A reindex is already running; try again when it has finished.",
                         "Reindexing the articles…"]
        [running] = [sent for sent, reply in zip((first, second), replies, strict=True)
                     if reply.json["data"]["content"] == "Reindexing the articles…"]
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == running.original_path
                                and c.json.get("content", "").startswith("Reindex done"), 60)

    run(scenario)
