"""End to end: the bot starts on an empty (or missing) corpus and says nothing is indexed yet."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bot.harness import Harness, run_scenario

NOTHING = "No articles are indexed yet."


def followup_of(sent) -> callable:
    return lambda c: (c.method == "POST" and c.path == sent.webhook_path)


@pytest.mark.parametrize("corpus_exists", [True, False], ids=["empty", "missing"])
def test_bot_starts_on_an_empty_corpus_and_questions_get_nothing_indexed(tmp_path: Path,
                                                                         embedder, seed_index,
                                                                         corpus_exists):
    corpus = tmp_path / "corpus"
    if corpus_exists:
        corpus.mkdir()
    (tmp_path / "index").mkdir()  # no index: the bot builds one at start

    async def scenario(h: Harness) -> None:
        assert h.bot.index.snapshot().size == 0 and corpus.is_dir()
        sent = await h.server.send_interaction("ask", {"question": "Why did Erdoğan approve "
                                                                   "Sweden?"}, user="member")
        answer = await h.server.wait_for(followup_of(sent), timeout=20)
        assert answer.json["content"] == NOTHING and not answer.json.get("embeds")

        bot_id = h.server.users["bot"]["id"]
        await h.server.send_message(f"<@{bot_id}> Sweden NATO", author="member",
                                    mentions=[h.server.users["bot"]])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20)
        assert reply.json["content"] == NOTHING
        assert reply.json["message_reference"]["message_id"]

        topic = await h.server.send_interaction("summary", {"topic": "Sweden"})
        briefing = await h.server.wait_for(followup_of(topic), timeout=20)
        assert briefing.json["content"] == NOTHING

        listed = await h.server.send_interaction("sources", {})
        shown = await h.server.wait_for(lambda c: c.path == listed.callback_path, timeout=20)
        [embed] = shown.json["data"]["embeds"]
        assert embed["title"] == "Indexed articles (0)" and embed["description"] == NOTHING

    run_scenario(scenario, workdir=tmp_path, seed_index=seed_index, embedder=embedder,
                 corpus=corpus)


def test_an_auto_thread_channel_on_an_empty_index_says_so_in_place_without_a_thread(
        tmp_path: Path, embedder, seed_index):
    """A mention in an auto-thread channel on an empty index got a thread holding only "Ask
    follow-up questions here…", while the reason it was not answered went to the channel."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / "index").mkdir()

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "conversation", {"autothread": {"enabled": True}}, user="admin")
        await h.server.wait_for(lambda c: c.path == sent.callback_path)
        bot = h.server.users["bot"]
        start = len(h.server.calls)
        question = await h.server.send_message(f"<@{bot['id']}> Sweden NATO", author="member",
                                               mentions=[bot])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20, start=start)
        assert reply.path == f"/channels/{h.server.channel_id}/messages"
        assert reply.json["content"] == NOTHING
        assert str(reply.json["message_reference"]["message_id"]) == question["id"]
        await asyncio.sleep(0.5)
        assert question["id"] not in h.server.threads  # no thread for a question not answered
        assert not any(c.method == "POST" and "/threads" in c.path
                       for c in h.server.calls[start:])

    run_scenario(scenario, workdir=tmp_path, seed_index=seed_index, embedder=embedder,
                 corpus=corpus)
