"""End to end: `/ask`, mentions, refusals and errors through the real discord.py client."""

from __future__ import annotations

import asyncio

from tests.bot.harness import Harness

SWEDEN = "Why did Erdoğan approve Sweden?"


def followup_of(sent) -> callable:
    return lambda c: (c.method == "POST" and c.path == sent.webhook_path)


def test_login_syncs_every_command_with_its_options_and_permissions(run):
    async def scenario(h: Harness) -> None:
        pass

    server = run(scenario)
    sync = next(c for c in server.calls if c.method == "PUT")
    commands = {c["name"]: c for c in sync.json}
    assert {"ask", "sources", "reindex", "add"} <= set(commands)
    ask_options = {o["name"]: o for o in commands["ask"]["options"]}
    assert ask_options["question"]["required"] is True and ask_options["question"]["type"] == 3
    assert (ask_options["results"]["min_value"], ask_options["results"]["max_value"]) == (1, 5)
    assert ask_options["private"]["type"] == 5
    for admin in ("reindex", "add"):
        assert int(commands[admin]["default_member_permissions"]) == 1 << 5  # Manage Server
        assert commands[admin].get("dm_permission") is False or commands[admin].get(
            "contexts") == [0]
    add_options = {o["name"]: o["type"] for o in commands["add"]["options"]}
    assert add_options == {"url": 3, "file": 11}
    assert server.identifies[0]["token"] == server.token
    assert not server.identifies[0]["intents"] & (1 << 15)  # no privileged message content


def test_ask_defers_then_answers_with_an_embed_citing_paragraph_15(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        callback = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["type"] == 5  # deferred: "Briefing is thinking…"
        assert callback.time - sent.created < 1.0
        answer = await h.server.wait_for(followup_of(sent), timeout=20)
        [embed] = answer.json["embeds"]
        assert embed["title"] == SWEDEN
        first = embed["fields"][0]
        assert first["name"].endswith("· ¶15")
        assert "**Just two days before giving an angry speech" in first["value"]
        assert len(embed["fields"]) == 3
        labels = [b.get("label") or b["emoji"]["name"]
                  for row in answer.json["components"] for b in row["components"]]
        assert labels == ["More results", "👍", "👎"]
        assert answer.json["allowed_mentions"] == {"parse": []}

    run(scenario)


def test_private_ask_with_one_result_is_ephemeral(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "ask", {"question": SWEDEN, "results": 1, "private": True}, user="member")
        callback = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["data"]["flags"] & 64
        answer = await h.server.wait_for(followup_of(sent), timeout=20)
        assert answer.json["flags"] & 64
        assert len(answer.json["embeds"][0]["fields"]) == 1

    run(scenario)


def test_off_topic_question_says_so_then_quotes_and_cites_the_closest_sentence(run):
    question = "Who won the 2018 World Cup?"

    async def scenario(h: Harness) -> None:
        closest = (await asyncio.to_thread(h.bot.index.ask, question, 3)).hits[0]
        sent = await h.server.send_interaction("ask", {"question": question})
        answer = await h.server.wait_for(followup_of(sent), timeout=20)
        bot_id = h.server.users["bot"]["id"]
        await h.server.send_message(f"<@{bot_id}> {question}", author="member",
                                    mentions=[h.server.users["bot"]])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20)
        for message in (answer.json, reply.json):
            assert message["content"] == ("The indexed articles don't seem to cover that. "
                                          "The closest passage, low confidence:")
            [embed] = message["embeds"]
            [field] = embed["fields"]
            assert field["name"] == f"{closest.title} · ¶{closest.paragraphs[0]}"
            assert field["value"] == f"> {closest.highlight}"  # verbatim; no markdown in it
            assert not message.get("components")  # no paging, no votes on a refusal
            assert message["allowed_mentions"]["parse"] == []
        assert reply.json["message_reference"]["message_id"]

    run(scenario)


def test_mention_is_answered_as_a_reply_and_other_messages_are_ignored(run):
    async def scenario(h: Harness) -> None:
        bot_id = h.server.users["bot"]["id"]
        await h.server.send_message("just chatting about Sweden", author="member")
        await h.server.send_message(f"<@{bot_id}> why did Erdoğan approve Sweden?",
                                    author="member", mentions=[h.server.users["bot"]])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20)
        assert reply.json["message_reference"]["message_id"]
        assert reply.json["embeds"][0]["fields"][0]["name"].endswith("· ¶15")
        assert reply.json["allowed_mentions"]["parse"] == []
        await asyncio.sleep(0.3)
        posts = [c for c in h.server.calls if c.route == "/channels/{channel_id}/messages"]
        assert len(posts) == 1  # the plain message got nothing

    run(scenario)


def test_everyone_in_a_question_pings_nobody(run):
    async def scenario(h: Harness) -> None:
        question = "@everyone <@&123> why did Erdoğan approve Sweden's NATO membership?"
        sent = await h.server.send_interaction("ask", {"question": question})
        answer = await h.server.wait_for(followup_of(sent), timeout=20)
        assert answer.json["allowed_mentions"] == {"parse": []}
        assert "@everyone" in answer.json["embeds"][0]["title"]

    run(scenario)


def test_exception_inside_a_command_is_an_ephemeral_error_and_the_bot_keeps_serving(run):
    async def scenario(h: Harness) -> None:
        real_ask = h.bot.index.ask
        calls = {"n": 0}

        def failing_once(question: str, k: int = 3):
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("disk on fire")
            return real_ask(question, k)

        h.bot.index.ask = failing_once
        sent = await h.server.send_interaction("ask", {"question": SWEDEN})
        error = await h.server.wait_for(followup_of(sent), timeout=20)
        assert error.json["flags"] & 64
        assert "went wrong" in error.json["content"] and "disk on fire" not in error.json[
            "content"]
        again = await h.server.send_interaction("ask", {"question": SWEDEN})
        answer = await h.server.wait_for(followup_of(again), timeout=20)
        assert answer.json["embeds"][0]["fields"][0]["name"].endswith("· ¶15")

    run(scenario, expect_errors=True)


def test_too_long_question_is_refused_with_one_line(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": "why " * 300})
        reply = await h.server.wait_for(followup_of(sent), timeout=20)
        assert reply.json["flags"] & 64
        assert "the limit is 1000" in reply.json["content"] or "1000" in reply.json["content"]

    run(scenario)

