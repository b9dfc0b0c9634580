"""End to end: `/ask`, mentions, refusals and errors through the real discord.py client."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.bot.harness import Harness, answer_of, public_text

SWEDEN = "Why did Erdoğan approve Sweden?"


def test_login_syncs_every_command_with_its_options_and_permissions(run):
    async def scenario(h: Harness) -> None:
        pass

    server = run(scenario)
    sync = next(c for c in server.calls if c.method == "PUT")
    commands = {c["name"]: c for c in sync.json}
    assert {"ask", "sources", "reindex", "add", "remove"} <= set(commands)
    ask_options = {o["name"]: o for o in commands["ask"]["options"]}
    assert ask_options["question"]["required"] is True and ask_options["question"]["type"] == 3
    assert ask_options["question"]["max_length"] == 1000  # BRIEFING_MAX_QUESTION_CHARS
    assert (ask_options["results"]["min_value"], ask_options["results"]["max_value"]) == (1, 10)
    assert ask_options["results"]["description"] == "Passages to show (1-10, default 3)"
    assert ask_options["private"]["type"] == 5
    for admin in ("reindex", "add", "remove"):
        assert int(commands[admin]["default_member_permissions"]) == 1 << 5  # Manage Server
        assert commands[admin].get("dm_permission") is False or commands[admin].get(
            "contexts") == [0]
    add_options = {o["name"]: o["type"] for o in commands["add"]["options"]}
    assert add_options == {"url": 3, "file": 11}
    [article] = commands["remove"]["options"]
    assert (article["name"], article["required"], article["autocomplete"]) == ("article", True,
                                                                                True)
    assert server.identifies[0]["token"] == server.token
    assert not server.identifies[0]["intents"] & (1 << 15)  # no privileged message content


def test_ask_defers_then_answers_with_an_embed_citing_paragraph_15(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        callback = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["type"] == 5  # deferred: "Briefing is thinking…"
        assert callback.time - sent.created < 1.0
        answer = await answer_of(h.server, sent)
        [embed] = answer["embeds"]
        assert embed["title"] == SWEDEN
        first = embed["fields"][0]
        assert first["name"].endswith("· ¶15")
        assert "**Just two days before giving an angry speech" in first["value"]
        assert len(embed["fields"]) == 3
        labels = [b.get("label") or b["emoji"]["name"]
                  for row in answer["components"] for b in row["components"]]
        assert labels == ["More results", "👍", "👎", "Follow up in thread"]
        assert answer["flags"] == 0 and answer["id"] == sent.original_id  # thinking → answer
        assert h.server.public_messages() == [answer]
        edit = h.server.calls[-1]
        assert edit.method == "PATCH" and edit.json["allowed_mentions"] == {"parse": []}

    run(scenario)


def test_an_answer_to_a_misspelt_question_says_how_it_was_read(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "ask", {"question": "what did nebenzya say about israel's right to self defense"})
        answer = await answer_of(h.server, sent)
        assert answer["content"] == "Read “nebenzya” as “Nebenzha”."  # as the article writes it
        assert answer["embeds"][0]["fields"][0]["name"].endswith("· ¶9")

    run(scenario)


def test_private_ask_with_one_result_is_ephemeral(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "ask", {"question": SWEDEN, "results": 1, "private": True}, user="member")
        callback = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert callback.json["data"]["flags"] & 64
        answer = await answer_of(h.server, sent)
        assert answer["flags"] & 64 and h.server.public_messages() == []
        assert len(answer["embeds"][0]["fields"]) == 1

    run(scenario)


def test_a_private_answer_whose_token_expired_goes_by_direct_message_not_to_the_channel(run):
    """It was dropped, with "command ask failed" and a traceback in the log."""
    async def scenario(h: Harness) -> None:
        real, release = h.bot.index.ask, threading.Event()

        def slow_ask(*args, **kwargs):
            release.wait(20)
            return real(*args, **kwargs)

        h.bot.index.ask = slow_ask
        sent = await h.server.send_interaction("ask", {"question": SWEDEN, "private": True},
                                               user="member")
        await h.server.wait_for(lambda c: c.path == sent.callback_path)
        h.server.advance(16 * 60)  # the answer comes after the interaction token expired
        release.set()
        expired = await h.server.wait_for(
            lambda c: c.path == sent.original_path and c.status == 401, timeout=30)
        assert expired
        dm = h.server.dm_channel("member")["id"]
        told = await h.server.wait_for(lambda c: c.path == f"/channels/{dm}/messages")
        assert told.status == 200 and told.json["embeds"][0]["title"] == SWEDEN
        await asyncio.sleep(0.5)
        assert h.server.public_messages() == []  # not shown to the channel

    run(scenario)


def test_off_topic_question_says_so_then_quotes_and_cites_the_closest_sentence(run):
    question = "Who won the 2018 World Cup?"

    async def scenario(h: Harness) -> None:
        closest = (await asyncio.to_thread(h.bot.index.ask, question, 3)).hits[0]
        sent = await h.server.send_interaction("ask", {"question": question})
        answer = await answer_of(h.server, sent)
        bot_id = h.server.users["bot"]["id"]
        await h.server.send_message(f"<@{bot_id}> {question}", author="member",
                                    mentions=[h.server.users["bot"]])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20)
        for message in (answer, reply.json):
            assert message["content"] == ("The indexed articles don't seem to cover that. "
                                          "The closest passage, low confidence:")
            [embed] = message["embeds"]
            [field] = embed["fields"]
            assert field["name"] == f"{closest.title} · ¶{closest.paragraphs[0]}"
            assert field["value"] == f"> {closest.highlight}"  # verbatim; no markdown in it
            assert not message.get("components")  # no paging, no votes on a refusal
        # Discord shows the channel "used /ask", not the question: the refusal names it, as an
        # answer does; the reply to a mention sits under the question already.
        assert answer["embeds"][0]["title"] == question
        assert "title" not in reply.json["embeds"][0]
        assert reply.json["allowed_mentions"]["parse"] == []
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
        answer = await answer_of(h.server, sent)
        assert h.server.calls[-1].json["allowed_mentions"] == {"parse": []}
        assert "@everyone" in answer["embeds"][0]["title"]

    run(scenario)


def test_exception_inside_a_command_is_an_ephemeral_error_and_the_bot_keeps_serving(run):
    async def scenario(h: Harness) -> None:
        real_ask = h.bot.index.ask
        calls = {"n": 0}

        def failing_once(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("disk on fire")
            return real_ask(*args, **kwargs)

        h.bot.index.ask = failing_once
        sent = await h.server.send_interaction("ask", {"question": SWEDEN})
        await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        error = h.server.messages[sent.message_ids[-1]]
        assert error["flags"] & 64  # really private: a message of its own
        assert "went wrong" in error["content"] and "disk on fire" not in error["content"]
        assert "went wrong" not in public_text(h.server)
        thinking = h.server.messages[sent.original_id]
        assert thinking["content"].startswith("That didn't work out") and not thinking[
            "flags"] & 128  # no longer "thinking…"
        again = await h.server.send_interaction("ask", {"question": SWEDEN})
        answer = await answer_of(h.server, again)
        assert answer["embeds"][0]["fields"][0]["name"].endswith("· ¶15")

    run(scenario, expect_errors=True)


def refusal(server, sent) -> dict:
    """The bot's answer to ``sent`` given straight away, without a defer."""
    return server.wait_for(lambda c: c.path == sent.callback_path and c.json["type"] == 4)


def test_unusable_questions_are_refused_privately_at_once(run):
    async def scenario(h: Harness) -> None:
        with pytest.raises(ValueError, match="stops at 1000"):  # Discord's client stops it
            await h.server.send_interaction("ask", {"question": "why " * 300})
        long = await h.server.send_interaction("ask", {"question": "why " * 300}, force=True)
        empty = await h.server.send_interaction("ask", {"question": "\u2003\u2003"})
        blank = await h.server.send_interaction("ask", {"question": "\u200b\u200b ?"})
        for sent, reason in ((long, "the limit is 1000."), (empty, "The question is empty."),
                             (blank, "The question has no words.")):
            reply = await refusal(h.server, sent)
            assert reply.json["data"]["flags"] & 64 and reason in reply.json["data"]["content"]
        await asyncio.sleep(0.2)
        assert h.server.public_messages() == []  # nobody else saw anything

    run(scenario)


def test_declared_ranges_follow_the_settings(run):
    async def scenario(h: Harness) -> None:
        [ask] = [c for c in h.server.commands[h.server.guild_id] if c["name"] == "ask"]
        options = {o["name"]: o for o in ask["options"]}
        assert options["question"]["max_length"] == 300
        assert options["results"]["max_value"] == 10
        sent = await h.server.send_interaction("ask", {"question": SWEDEN})
        answer = await answer_of(h.server, sent)
        assert len(answer["embeds"][0]["fields"]) == 7  # BRIEFING_TOP_K, not a fixed 3
        many = await h.server.send_interaction("ask", {"question": SWEDEN, "results": 9})
        assert len((await answer_of(h.server, many))["embeds"][0]["fields"]) == 9

    run(scenario, top_k=7, max_question_chars=300)


def test_per_user_rate_limit_is_one_budget_for_every_way_of_asking(run):
    async def scenario(h: Harness) -> None:
        for _ in range(2):
            sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
            await answer_of(h.server, sent)
        third = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        reply = await refusal(h.server, third)
        assert reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"].startswith("Slow down a little: try again in")
        topic = await h.server.send_interaction("summary", {"topic": "Sweden NATO"},
                                                user="member")
        assert (await refusal(h.server, topic)).json["data"]["content"].startswith("Slow down")
        other = await h.server.send_interaction("ask", {"question": SWEDEN}, user="admin")
        assert (await answer_of(h.server, other))["embeds"]  # others are not held back

        bot = h.server.users["bot"]
        for author in ("member", "admin", "admin"):  # the admin has one question left
            await h.server.send_message(f"<@{bot['id']}> {SWEDEN} ({author})", author=author,
                                        mentions=[bot])
        posts = "/channels/{channel_id}/messages"
        await h.server.wait_for(
            lambda _: sum(c.route == posts for c in h.server.calls) >= 3, timeout=20)
        replies = [c.json for c in h.server.calls if c.route == posts and c.method == "POST"]
        assert sorted(bool(r.get("embeds")) for r in replies) == [False, False, True]
        assert all(r["content"].startswith("Slow down a little") for r in replies
                   if not r.get("embeds"))

    run(scenario, ask_per_minute=2)



@pytest.mark.parametrize("message_content", [True, False])
def test_a_mention_of_the_bot_s_role_is_a_mention_of_the_bot(run, message_content):
    """Discord's mention list offers the role it made for the bot beside the bot, and
    members pick either: "@Briefing …" as the role was ignored without a word."""
    async def scenario(h: Harness) -> None:
        role = h.server.bot_role_id
        await h.server.send_message(f"<@&{role}> why did Erdoğan approve Sweden?",
                                    author="member", mentions=[])
        reply = await h.server.wait_for(
            lambda c: c.method == "POST" and c.route == "/channels/{channel_id}/messages",
            timeout=20)
        assert reply.json["message_reference"]["message_id"]
        if message_content:  # the question can be read: it is answered
            assert reply.json["embeds"][0]["fields"][0]["name"].endswith("· ¶15")
        else:  # Discord withholds the text: the member is told how to reach the bot
            assert reply.json["content"] == (
                "I can't read a message that mentions my role: pick @briefing-bot marked APP "
                "in the mention list, or ask with /ask.")

    run(scenario, message_content=message_content)
