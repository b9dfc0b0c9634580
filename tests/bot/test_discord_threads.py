"""End to end: conversations. Follow-ups in threads and reply chains, auto-threads, forum
posts, state across a restart and its expiry, through the real discord.py client."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.render import SEEMS_NOT_COVERED
from tests.bot.harness import Harness, answer_of

SWEDEN = "Why did Erdoğan approve Sweden's NATO bid?"
PARLIAMENT = "when did he send it to parliament?"  # alone, the articles "don't seem to cover" it
POSTS = "/channels/{channel_id}/messages"


def cites(message: dict) -> list[str]:
    """The paragraph labels an answer cites, best first ([] for a refusal)."""
    if message["content"].startswith(SEEMS_NOT_COVERED):
        return []
    return [f["name"].rsplit("· ", 1)[-1] for e in message["embeds"] for f in e["fields"]]


async def bot_post(h: Harness, channel_id: str, start: int, timeout: float = 20) -> dict:
    """The next message the bot posts in ``channel_id`` (REST calls from ``start`` on)."""
    await h.server.wait_for(
        lambda c: c.method == "POST" and c.route == POSTS and c.status == 200
        and c.path == f"/channels/{channel_id}/messages", timeout, start=start)
    bot_id = h.server.users["bot"]["id"]
    return [m for m in h.server.public_messages(channel_id) if m["author"]["id"] == bot_id][-1]


async def ask(h: Harness, question: str, **options: object) -> dict:
    """The public answer to ``/ask question``."""
    sent = await h.server.send_interaction("ask", {"question": question, **options},
                                           user="member")
    return await answer_of(h.server, sent)


async def open_thread(h: Harness, answer: dict) -> tuple[dict, dict]:
    """Click "Follow up in thread" on ``answer``; returns the thread and the bot's private
    reply to the click."""
    start = len(h.server.calls)
    click = await h.server.click(answer["id"], "Follow up in thread", user="member")
    reply = await answer_of(h.server, click, start=start)
    return h.server.threads[answer["id"]], reply


async def say(h: Harness, text: str, channel_id: str, *, mention: bool = False,
              **options: object) -> dict:
    """A member's message; returns the bot's next post in that channel."""
    start = len(h.server.calls)
    bot = h.server.users["bot"]
    content = f"<@{bot['id']}> {text}" if mention else text
    await h.server.send_message(content, channel_id=channel_id, author="member", **options)
    return await bot_post(h, channel_id, start)


async def nothing_posted(h: Harness, channel_id: str, start: int) -> bool:
    await asyncio.sleep(0.5)
    return not any(c.method == "POST" and c.path == f"/channels/{channel_id}/messages"
                   for c in h.server.calls[start:])


def test_follow_up_in_a_thread_is_answered_in_context_without_a_mention(run):
    async def scenario(h: Harness) -> None:
        assert h.server.intents & (1 << 15)  # BRIEFING_MESSAGE_CONTENT asks for the intent
        alone = await ask(h, PARLIAMENT)
        assert alone["content"] == SEEMS_NOT_COVERED  # no context: not answered
        answer = await ask(h, SWEDEN)
        assert cites(answer)[0] == "¶15"
        thread, reply = await open_thread(h, answer)
        assert reply["flags"] & 64 and reply["content"] == f"Follow up in <#{thread['id']}>."
        assert thread["parent_id"] == h.server.channel_id and thread["name"] == SWEDEN
        assert thread["owner_id"] == h.server.users["bot"]["id"]
        assert h.server.users["member"]["id"] in h.server.thread_members[thread["id"]]
        [hint] = h.server.public_messages(thread["id"])
        assert hint["content"].startswith("Ask follow-up questions here: I answer every message")

        followup = await say(h, PARLIAMENT, thread["id"])  # no mention
        assert cites(followup)[0] == "¶15"
        assert followup["message_reference"]["channel_id"] == thread["id"]
        labels = [b.get("label") for row in followup["components"] for b in row["components"]]
        assert "Follow up in thread" not in labels  # no threads inside threads

        again = await h.server.click(answer["id"], "Follow up in thread", user="admin")
        second = await answer_of(h.server, again)
        assert second["content"] == f"Follow up in <#{thread['id']}>."
        assert len(h.server.threads) == 1

    run(scenario, message_content=True)


def test_without_message_content_thread_follow_ups_need_a_mention_and_the_thread_says_so(run):
    async def scenario(h: Harness) -> None:
        thread, _ = await open_thread(h, await ask(h, SWEDEN))
        [hint] = h.server.public_messages(thread["id"])
        assert "by mentioning me (@briefing-bot …)" in hint["content"]
        start = len(h.server.calls)
        await h.server.send_message(PARLIAMENT, channel_id=thread["id"], author="member")
        assert await nothing_posted(h, thread["id"], start)  # Discord sent it without text
        followup = await say(h, PARLIAMENT, thread["id"], mention=True)
        assert cites(followup)[0] == "¶15"

    run(scenario)


def test_replies_to_answers_are_follow_ups_along_the_chain(run):
    async def scenario(h: Harness) -> None:
        answer = await ask(h, SWEDEN)
        channel = h.server.channel_id
        first = await say(h, PARLIAMENT, channel, reply_to=answer["id"])  # pings the bot
        assert cites(first)[0] == "¶15"
        second = await say(h, "and what did he say two days later?", channel,
                           reply_to=first["id"])
        assert cites(second)[0] == "¶15"
        labels = [b.get("label") for row in second["components"] for b in row["components"]]
        assert "Follow up in thread" in labels  # the chain can move to a thread too
        thread, _ = await open_thread(h, second)
        in_thread = await say(h, PARLIAMENT, thread["id"], mention=True)
        assert cites(in_thread)[0] == "¶15"

        start = len(h.server.calls)
        await h.server.send_message(PARLIAMENT, reply_to=answer["id"], ping=False)
        assert await nothing_posted(h, channel, start)  # no ping, no intent: no text arrives

    run(scenario)


def test_autothread_channel_gives_every_question_its_own_thread(run):
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]
        refused = await h.server.send_interaction(
            "conversation", {"autothread": {"enabled": True}}, user="member")
        reply = await h.server.wait_for(lambda c: c.path == refused.callback_path)
        assert reply.json["data"]["flags"] & 64 and "Manage Server" in reply.json["data"][
            "content"]

        sent = await h.server.send_interaction(
            "conversation", {"autothread": {"enabled": True}}, user="admin")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["content"].startswith(
            f"Every new question in <#{h.server.channel_id}> now gets its own thread.")
        assert "need a mention" in reply.json["data"]["content"]

        start = len(h.server.calls)
        question = await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member")
        answer = await h.server.wait_for(
            lambda c: c.route == POSTS and c.method == "POST" and c.json.get("embeds"),
            timeout=20, start=start)
        thread = h.server.threads[question["id"]]  # a thread on the question itself
        assert thread["name"] == SWEDEN
        assert answer.path == f"/channels/{thread['id']}/messages"
        await h.server.wait_for(  # then how to follow up
            lambda c: c.path == answer.path and (c.json.get("content") or "").startswith(
                "Ask follow-up"), timeout=20, start=start)
        assert cites(h.server.public_messages(thread["id"])[0])[0] == "¶15"
        followup = await say(h, PARLIAMENT, thread["id"], mention=True)
        assert cites(followup)[0] == "¶15"

        slash = await ask(h, SWEDEN)
        labels = [b.get("label") for row in slash["components"] for b in row["components"]]
        assert "Follow up in thread" not in labels  # it has its thread already
        await h.server.wait_for(lambda c: slash["id"] in h.server.threads)
        assert h.server.threads[slash["id"]]["name"] == SWEDEN

        threads = len(h.server.threads)  # an unusable question: its reason, and no thread
        refused = await say(h, "???", h.server.channel_id, mention=True)
        assert refused["content"] == "The question has no words."
        assert len(h.server.threads) == threads

        await h.server.send_interaction("conversation", {"autothread": {"enabled": False}})
        await h.server.wait_for(lambda c: c.json and "answered in place again" in str(c.json))
        threads = len(h.server.threads)
        in_place = await say(h, SWEDEN, h.server.channel_id, mention=True)
        assert cites(in_place)[0] == "¶15" and len(h.server.threads) == threads

    run(scenario)


@pytest.mark.parametrize("message_content", [True, False])
def test_an_auto_thread_shows_the_answer_first_then_how_to_follow_up(run, message_content):
    """The thread a mention got opened with "Ask follow-up questions here…", alone while the
    answer was worked out, and the answer came under it."""
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction(
            "conversation", {"autothread": {"enabled": True}}, user="admin")
        await h.server.wait_for(lambda c: c.path == sent.callback_path)
        bot = h.server.users["bot"]
        question = await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member")
        await h.server.wait_for(lambda c: question["id"] in h.server.threads, timeout=20)
        thread = h.server.threads[question["id"]]
        posted = lambda c: (c.method == "POST" and c.status == 200  # noqa: E731
                            and c.path == f"/channels/{thread['id']}/messages")
        await h.server.wait_for(lambda c: sum(map(posted, h.server.calls)) == 2, timeout=20)
        answer, hint = h.server.public_messages(thread["id"])
        assert cites(answer)[0] == "¶15"
        assert hint["content"].startswith("Ask follow-up questions here") and not hint["embeds"]

    run(scenario, message_content=message_content)


@pytest.mark.parametrize("message_content", [True, False])
def test_forum_posts_are_answered_once_an_admin_turns_it_on(run, message_content):
    async def scenario(h: Harness) -> None:
        forum = h.server.forum_id
        start = len(h.server.calls)
        ignored, _ = await h.server.forum_post(SWEDEN, "Asking for a friend.")
        assert await nothing_posted(h, ignored["id"], start)

        sent = await h.server.send_interaction(
            "conversation", {"forum": {"channel": forum, "enabled": True}})
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["content"].startswith(
            f"Every new post in <#{forum}> is now answered.")

        start = len(h.server.calls)
        post, _ = await h.server.forum_post(SWEDEN, "Asking for a friend.")
        answer = await bot_post(h, post["id"], start)
        assert cites(answer)[0] == "¶15"
        labels = [b.get("label") for row in answer["components"] for b in row["components"]]
        assert "Follow up in thread" not in labels
        if message_content:
            assert not answer["content"]
            followup = await say(h, PARLIAMENT, post["id"])
        else:
            assert "by mentioning me" in answer["content"]  # said once, in the answer
            followup = await say(h, PARLIAMENT, post["id"], mention=True)
        assert cites(followup)[0] == "¶15"

        for expected in (f"Posts in <#{forum}> are no longer answered (new ones, and follow-ups",
                         f"Posts in <#{forum}> were not being answered."):
            sent = await h.server.send_interaction(
                "conversation", {"forum": {"channel": forum, "enabled": False}})
            reply = await h.server.wait_for(lambda c, s=sent: c.path == s.callback_path)
            assert reply.json["data"]["content"].startswith(expected)

    run(scenario, message_content=message_content)


def test_a_conversation_survives_a_restart_and_then_expires(run):
    async def scenario(h: Harness) -> None:
        answer = await ask(h, SWEDEN)
        thread, _ = await open_thread(h, answer)
        other = await ask(h, SWEDEN)

        await h.restart()
        followup = await say(h, PARLIAMENT, thread["id"])
        assert cites(followup)[0] == "¶15"  # the turns came back from disk
        later, _ = await open_thread(h, other)  # the button outlives the bot that sent it
        assert later["id"] == other["id"]
        chained = await say(h, PARLIAMENT, h.server.channel_id, reply_to=other["id"])
        assert cites(chained)[0] == "¶15"

        ttl = h.bot.settings.conversation_ttl_s
        h.bot.conversations.clock = lambda: time.time() + ttl + 60
        expired = await say(h, PARLIAMENT, thread["id"])
        assert expired["content"] == SEEMS_NOT_COVERED  # answered afresh, without context

    run(scenario, message_content=True, conversation_ttl_s=3600)


def test_an_ask_in_a_thread_whose_conversation_expired_starts_the_threads_next_one(run):
    """/ask in the bot's thread after its conversation expired kept the turn under the answer's
    id, where the thread's next message does not look: "when did he send it to parliament?"
    was answered without the question before it."""
    async def scenario(h: Harness) -> None:
        thread, _ = await open_thread(h, await ask(h, SWEDEN))
        ttl = h.bot.settings.conversation_ttl_s
        h.bot.conversations.clock = lambda: time.time() + ttl + 60
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member",
                                               channel_id=thread["id"])
        assert cites(await answer_of(h.server, sent))[0] == "¶15"
        followup = await say(h, PARLIAMENT, thread["id"])
        assert cites(followup)[0] == "¶15"

    run(scenario, message_content=True, conversation_ttl_s=3600)


def test_a_change_of_subject_is_not_dragged_back_to_the_first_question(run):
    async def scenario(h: Harness) -> None:
        thread, _ = await open_thread(h, await ask(h, SWEDEN))
        trade = await say(h, "btw, how much did trade between Russia and Turkey grow?",
                          thread["id"])
        assert cites(trade)[0] == "¶6" and "¶15" not in cites(trade)
        this_year = await say(h, "and this year?", thread["id"])
        assert cites(this_year)[0] == "¶6"  # the context is now trade, not Sweden

    run(scenario, message_content=True)


def test_a_dm_to_the_bot_is_a_question_without_any_mention(run):
    async def scenario(h: Harness) -> None:
        dm = h.server.dm_channel("member")["id"]
        start = len(h.server.calls)
        await h.server.send_message(SWEDEN, channel_id=dm, author="member")
        answer = await bot_post(h, dm, start)
        assert cites(answer)[0] == "¶15"
        for reply_to in (answer["id"], None):  # a reply, or just the next message
            start = len(h.server.calls)
            await h.server.send_message("when did he send it to parliament?", channel_id=dm,
                                        author="member", reply_to=reply_to)
            assert cites(await bot_post(h, dm, start))[0] == "¶15"  # a follow-up either way

        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member",
                                               dm=True)  # /ask in the DM: its own conversation
        asked = await answer_of(h.server, sent)
        start = len(h.server.calls)
        await h.server.send_message("when did he send it to parliament?", channel_id=dm,
                                    author="member", reply_to=asked["id"])
        assert cites(await bot_post(h, dm, start))[0] == "¶15"  # a reply follows up on it

    run(scenario, guild_ids=[])  # global commands: /ask is offered in DMs


def test_a_thread_a_member_opens_on_an_answer_continues_its_conversation(run):
    """Discord's own "Create Thread" on an answer: the thread has the answer's id, so its
    follow-ups are read in the answer's context, as in a thread the bot opened."""
    async def scenario(h: Harness) -> None:
        answer = await ask(h, SWEDEN)
        thread = h.server.start_thread(h.server.channel_id, answer["id"], "my thread", "member")
        await h.server.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        followup = await say(h, PARLIAMENT, thread["id"], mention=True)
        assert cites(followup)[0] == "¶15"
        again = await say(h, "and what did he say two days later?", thread["id"])  # no mention
        assert cites(again)[0] == "¶15"
        start = len(h.server.calls)
        click = await h.server.click(answer["id"], "Follow up in thread", user="admin")
        reply = await answer_of(h.server, click, start=start)
        assert reply["content"] == f"Follow up in <#{thread['id']}>."

    run(scenario, message_content=True)


def test_a_thread_renamed_is_not_a_question(run):
    """Discord posts "X changed the thread name" as a message (type 4) whose content is the new
    name: with the Message Content intent it reads like a follow-up, but nobody asked."""
    async def scenario(h: Harness) -> None:
        thread, _ = await open_thread(h, await ask(h, SWEDEN))
        start = len(h.server.calls)
        renamed = h.server.new_message(thread["id"], h.server.users["member"],
                                       {"content": "Turkey Sweden talk"})
        renamed["type"] = 4  # CHANNEL_NAME_CHANGE
        await h.server.dispatch("MESSAGE_CREATE",
                                h.server.message_event(renamed, h.server.intents))
        assert await nothing_posted(h, thread["id"], start)
        assert cites(await say(h, PARLIAMENT, thread["id"]))[0] == "¶15"  # still listening

    run(scenario, message_content=True)


def test_ask_in_a_conversation_thread_is_a_follow_up_of_it(run):
    async def scenario(h: Harness) -> None:
        thread, _ = await open_thread(h, await ask(h, SWEDEN))
        sent = await h.server.send_interaction("ask", {"question": PARLIAMENT}, user="member",
                                               channel_id=thread["id"])
        assert cites(await answer_of(h.server, sent))[0] == "¶15"
        # the /ask joined the conversation: a later follow-up sees both questions
        assert cites(await say(h, "what did he say two days later?", thread["id"],
                               mention=True))[0] == "¶15"

    run(scenario)


def test_a_question_deleted_before_its_answer_is_dropped_without_an_error(run):
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]
        start = len(h.server.calls)
        asked = await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member")
        del h.server.messages[asked["id"]]
        await h.server.dispatch("MESSAGE_DELETE", {"id": asked["id"],
                                                   "channel_id": asked["channel_id"],
                                                   "guild_id": h.server.guild_id})
        await h.server.wait_for(lambda c: c.method == "POST" and c.route == POSTS, 20,
                                start=start)  # Discord refuses the reply (400)
        await asyncio.sleep(0.3)
        assert not [m for m in h.server.public_messages() if m["author"]["id"] == bot["id"]]

    run(scenario)  # fails on any ERROR logged ("Ignoring exception in on_message" before)


THREADS = "/channels/{channel_id}/messages/{message_id}/threads"


@pytest.mark.parametrize("refused", [THREADS, POSTS])
def test_without_thread_permissions_the_clicker_is_told_what_the_bot_needs(run, refused):
    """Discord answers 403 (Missing Permissions) when the bot may not open a thread, or may
    not post in one (its hint); the clicker was told "Something went wrong"."""
    async def scenario(h: Harness) -> None:
        answer = await ask(h, SWEDEN)
        h.server.fail_next("POST", refused, status=403)
        start = len(h.server.calls)
        click = await h.server.click(answer["id"], "Follow up in thread", user="member")
        reply = await answer_of(h.server, click, start=start)
        assert reply["flags"] & 64
        assert reply["content"].startswith("I can't follow up in a thread here") and (
            "Create Public Threads and Send Messages in Threads" in reply["content"])

    run(scenario)  # and no ERROR logged: the bot was refused, nothing broke


def test_a_scoped_conversation_whose_articles_were_removed_says_how_to_go_on(run, corpus_copy):
    from index.ingest.corpus import to_markdown
    from tests.bot.feed_server import STORIES

    title, paragraphs = STORIES["tugboats"]
    (corpus_copy / "tugboats.md").write_text(
        to_markdown(title, "https://harbour.example/tugs", "2025-03-03", "\n\n".join(paragraphs)),
        "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        scoped = await ask(h, "Where are hydrogen tugboats being trialled?",
                           source="harbour.example")
        assert scoped["embeds"][0]["fields"][0]["name"].startswith("1. " + title)
        thread, _ = await open_thread(h, scoped)
        (corpus_copy / "tugboats.md").unlink()
        await h.bot.reindexing.run()
        reply = await say(h, "who built them?", h.server.channel_id, reply_to=scoped["id"])
        assert reply["content"].startswith("This conversation is limited to articles that are "
                                           "no longer indexed (No indexed article or outlet is")
        assert reply["content"].endswith("Ask a new question, outside this conversation, to "
                                         "search every article.")
        sent = await h.server.send_interaction("ask", {"question": "who built them?"},
                                               user="member", channel_id=thread["id"])
        await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        refused = h.server.messages[sent.message_ids[-1]]  # /ask in its thread: the same, privately
        assert refused["flags"] & 64 and refused["content"].startswith(
            "This conversation is limited to articles that are no longer indexed")

    run(scenario)


def test_a_follow_up_whose_article_was_removed_says_it_is_gone(run, corpus_copy):
    """The article an answer cited was removed: a follow-up on it got the plain refusal with
    an unrelated passage, as if the articles had never covered the subject."""
    from index.ingest.corpus import to_markdown
    from tests.bot.feed_server import STORIES

    title, paragraphs = STORIES["tugboats"]
    (corpus_copy / "tugboats.md").write_text(
        to_markdown(title, "https://harbour.example/tugs", "2025-03-03", "\n\n".join(paragraphs)),
        "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        answer = await ask(h, SWEDEN)
        assert cites(answer)[0] == "¶15"
        (corpus_copy / "russia-turkiye-israel-hamas-war.md").unlink()
        await h.bot.reindexing.run()
        reply = await say(h, PARLIAMENT, h.server.channel_id, reply_to=answer["id"])
        assert reply["content"] == ("The article this conversation was about is no longer "
                                    f"indexed.\n{SEEMS_NOT_COVERED}")
        alone = await ask(h, PARLIAMENT)  # a new question: the plain refusal
        assert alone["content"] == SEEMS_NOT_COVERED

    run(scenario)


def test_a_first_ask_in_a_dm_starts_the_dms_conversation(run):
    """/ask as the first question of a DM was stored under its answer, while the DM's next
    message looked the DM's conversation up: the follow-up had no context."""
    async def scenario(h: Harness) -> None:
        dm = h.server.dm_channel("member")["id"]
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member",
                                               dm=True)
        assert cites(await answer_of(h.server, sent))[0] == "¶15"
        assert cites(await say(h, PARLIAMENT, dm))[0] == "¶15"

    run(scenario, guild_ids=[])


def test_new_typed_in_a_dm_starts_its_conversation_over(run):
    """"/new" (the chat's start-over, a command of no Discord app) sent as a message in a DM
    was searched as a question and refused, and the DM's subject stayed."""
    async def scenario(h: Harness) -> None:
        dm = h.server.dm_channel("member")["id"]
        for typed in ("/new", "New"):
            assert cites(await say(h, SWEDEN, dm))[0] == "¶15"
            started = await say(h, typed, dm)
            assert started["content"] == ("Started a new conversation: your next message is "
                                          "a new question, not a follow-up."), typed
            assert not started.get("embeds")
            assert cites(await say(h, PARLIAMENT, dm)) == [], typed  # no earlier subject

    run(scenario)


def test_new_sent_while_an_answer_is_on_its_way_still_starts_over(run):
    """"/new" sent before the answer to the message above it came back: the answer was stored
    after the start-over, so the next message was read as its follow-up."""
    async def scenario(h: Harness) -> None:
        dm = h.server.dm_channel("member")["id"]
        work, delayed = h.bot.answer_work, []

        async def busy_first(*args: object, **kwargs: object) -> object:
            if not delayed:  # the bot is busy with the first question
                delayed.append(True)
                await asyncio.sleep(1.5)
            return await work(*args, **kwargs)

        h.bot.answer_work = busy_first
        start = len(h.server.calls)
        await h.server.send_message(SWEDEN, channel_id=dm, author="member")
        started = await say(h, "/new", dm)
        assert started["content"].startswith("Started a new conversation")
        answer = await bot_post(h, dm, len(h.server.calls))  # the first question's answer
        assert cites(answer)[0] == "¶15", h.server.calls[start:]
        assert cites(await say(h, PARLIAMENT, dm)) == []  # a new question: no subject

    run(scenario)


def test_new_sent_while_an_ask_in_the_dm_is_on_its_way_still_starts_over(run):
    """/ask in a DM, then "/new" typed before its answer came back: the answer was stored as
    the new conversation's first turn (a typed message's was not), so the next message was
    read as its follow-up."""
    async def scenario(h: Harness) -> None:
        dm = h.server.dm_channel("member")["id"]
        work, delayed = h.bot.answer_work, []

        async def busy_first(*args: object, **kwargs: object) -> object:
            if not delayed:  # the bot is busy with the /ask
                delayed.append(True)
                await asyncio.sleep(1.5)
            return await work(*args, **kwargs)

        h.bot.answer_work = busy_first
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member",
                                               dm=True)
        started = await say(h, "/new", dm)
        assert started["content"].startswith("Started a new conversation")
        assert cites(await answer_of(h.server, sent))[0] == "¶15"
        assert cites(await say(h, PARLIAMENT, dm)) == []  # a new question: no subject

    run(scenario, guild_ids=[])


def test_other_peoples_mentions_are_not_words_of_the_question(run):
    """"@admin @Briefing Sweden NATO" searched the admin's id digits (refused) and showed
    "<@…>" codes in the answer's title and the thread's name."""
    async def scenario(h: Harness) -> None:
        bot, admin = h.server.users["bot"]["id"], h.server.users["admin"]["id"]
        plain = await say(h, "Sweden NATO", h.server.channel_id, mention=True)
        crowded = await say(h, f"<@{admin}> <#{h.server.channel_id}> <@&{h.server.guild_id}> "
                               f"<@{bot}> Sweden NATO", h.server.channel_id)
        assert cites(crowded) == cites(plain) and cites(plain)
        assert crowded["embeds"][0]["title"] == "Sweden NATO"

    run(scenario)


def test_a_thread_discord_started_before_a_500_is_where_the_answer_goes(run):
    """Discord started the autothread and answered 500; discord.py's retry was refused with
    "already has a thread" (160004): the answer went to the channel and the thread stayed
    empty, with no hint and without the member."""
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]
        sent = await h.server.send_interaction(
            "conversation", {"autothread": {"enabled": True}}, user="admin")
        await h.server.wait_for(lambda c: c.path == sent.callback_path)
        h.server.fail_next("POST", "/channels/{channel_id}/messages/{message_id}/threads",
                           status=500, after=True)
        start = len(h.server.calls)
        question = await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member")
        answer = await h.server.wait_for(
            lambda c: c.route == POSTS and c.method == "POST" and c.json.get("embeds"),
            timeout=30, start=start)
        thread = h.server.threads[question["id"]]
        assert answer.path == f"/channels/{thread['id']}/messages"
        await h.server.wait_for(lambda c: c.path == answer.path and (
            c.json.get("content") or "").startswith("Ask follow-up"), timeout=20, start=start)
        shown = h.server.public_messages(thread["id"])
        assert cites(shown[0])[0] == "¶15"
        assert shown[-1]["content"].startswith("Ask follow-up questions here")
        assert h.server.users["member"]["id"] in h.server.thread_members[thread["id"]]
        assert len(h.server.threads) == 1

    run(scenario)


def test_a_mention_where_the_bot_may_not_post_is_told_privately_not_a_traceback(run):
    """Discord refused the reply (403: no Send Messages there): the member heard nothing and
    the log had "Ignoring exception in on_message" with a traceback for every mention."""
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]
        h.server.fail_next("POST", POSTS, status=403)
        start = len(h.server.calls)
        await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member")
        told = await h.server.wait_for(
            lambda c: c.route == POSTS and c.status == 200, timeout=20, start=start)
        assert told.json["content"].startswith(
            f"I can't answer in <#{h.server.channel_id}>: a server admin needs to give me")
        assert told.path.split("/")[2] == h.server.dm_channel(h.server.users["member"]["id"])["id"]

    run(scenario)


def test_a_message_whose_answering_fails_unexpectedly_is_told_so_and_logged(run):
    """A fault while answering a mention or a DM (here the index raising) left the member
    with no reply, and discord.py's "Ignoring exception in on_message" in the log; /ask
    says the error has been logged, and so do messages now, without the fault's text."""
    async def scenario(h: Harness) -> None:
        def broken(question: str, k: int = 3, **options: object):
            raise RuntimeError("disk on fire")

        h.bot.index.ask = broken
        mention = await say(h, SWEDEN, h.server.channel_id, mention=True)
        dm = h.server.dm_channel("member")["id"]
        direct = await say(h, SWEDEN, dm)
        for reply in (mention, direct):
            assert reply["content"] == ("Something went wrong while handling that; the error "
                                        "has been logged.")
            assert reply["message_reference"] is not None
        logged = [r for r in h.errors if r.exc_info and "disk on fire" in str(r.exc_info[1])]
        assert len(logged) == 2
        assert not any("Ignoring exception" in r.getMessage() for r in h.errors)

    run(scenario, expect_errors=True)


def test_custom_emoji_are_not_words_of_the_question(run):
    """A custom emoji's code was searched ("flag" and its id) and shown in the answer's
    title, in a mention and in /ask; a mention holding only an emoji was answered as a
    question."""
    async def scenario(h: Harness) -> None:
        plain = await say(h, "Sweden NATO", h.server.channel_id, mention=True)
        decorated = await say(h, "Sweden NATO <a:flag:123456789012345679>",
                              h.server.channel_id, mention=True)
        assert cites(decorated) == cites(plain) and cites(plain)
        assert decorated["embeds"][0]["title"] == "Sweden NATO"
        only_emoji = await say(h, "<:sweden:123456789012345678>", h.server.channel_id,
                               mention=True)
        assert only_emoji["content"].startswith("Ask me something after the mention")
        asked = await h.server.send_interaction(
            "ask", {"question": "Sweden NATO <:flag:123456789012345679>"})
        answer = await answer_of(h.server, asked)
        assert answer["embeds"][0]["title"] == "Sweden NATO" and cites(answer) == cites(plain)

    run(scenario)


def test_a_greeting_help_or_thanks_gets_the_usage_hint_not_a_refusal(run):
    """A newcomer's "@Briefing help" (or hi, hello, thanks) was searched and refused as not
    covered, with an unrelated low-confidence passage."""
    async def scenario(h: Harness) -> None:
        for text in ("help", "hi", "Hello!", "thanks", "hey there, thank you"):
            hint = await say(h, text, h.server.channel_id, mention=True)
            name = h.server.users["bot"]["username"]
            assert hint["content"] == ("Ask me something after the mention, e.g. "
                                       f"“@{name} why did Erdoğan approve Sweden?”"), text
            assert not hint.get("embeds"), text
        question = await say(h, "how did Turkey help Hamas?", h.server.channel_id,
                             mention=True)
        assert cites(question)  # a question with "help" in it is still asked
        dm = h.server.dm_channel("member")["id"]
        start = len(h.server.calls)
        await h.server.send_message("hi", channel_id=dm, author="member")
        assert (await bot_post(h, dm, start))["content"].startswith(
            "Ask me something about the indexed articles")

    run(scenario)


def test_a_burst_of_mentions_over_the_limit_gets_one_slow_down(run):
    """Ten quick mentions with a limit of two a minute: two answers and eight public
    "Slow down" replies, which only added to the noise."""
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]["id"]
        start = len(h.server.calls)
        for i in range(10):
            await h.server.send_message(f"<@{bot}> {SWEDEN} {i}", author="member")
        await asyncio.sleep(3)
        posted = [c.json["content"] if c.json.get("content") else "answer"
                  for c in h.server.calls[start:]
                  if c.method == "POST" and c.route == POSTS and c.status == 200]
        assert posted.count("answer") == 2
        assert len([p for p in posted if p.startswith("Slow down")]) == 1

    run(scenario, ask_per_minute=2)
