"""Discord misbehaving, or being Discord: dropped and reconnecting gateways, rate limits, 429s
and 500s (some after the work was done) — the bot recovers and every answer shows once."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.harness import Harness, answer_of

SWEDEN = "Why did Erdoğan approve Sweden?"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
POSTS = "/channels/{channel_id}/messages"


def answers_shown(server, question: str = SWEDEN) -> list[dict]:
    """The public messages that answer ``question``."""
    return [m for m in server.public_messages()
            if any(e.get("title") == question for e in m["embeds"])]


async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py pauses 5 s before a re-IDENTIFY, for Discord's identify limit."""


def test_dropped_gateway_is_resumed_and_a_question_asked_meanwhile_is_answered_once(run):
    async def scenario(h: Harness) -> None:
        await h.server.drop_gateway()
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        await h.server.wait_connected(timeout=15)
        assert (await answer_of(h.server, sent, timeout=30))["embeds"]
        await asyncio.sleep(0.3)
        assert h.server.resumes == 1 and h.server.replayed >= 1
        assert len(answers_shown(h.server)) == 1

    run(scenario)


def test_reconnect_request_replays_what_was_missed_without_doubling(run):
    async def scenario(h: Harness) -> None:
        before = await h.server.send_interaction("ask", {"question": SWEDEN})
        await answer_of(h.server, before)
        await h.server.request_reconnect()  # op 7
        bot = h.server.users["bot"]
        await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member", mentions=[bot])
        await h.server.wait_connected(timeout=15)
        await h.server.wait_for(lambda c: c.route == POSTS and c.status == 200, timeout=30)
        await asyncio.sleep(0.3)
        assert h.server.resumes == 1 and len(h.server.identifies) == 1
        assert len(answers_shown(h.server)) == 2  # the earlier /ask and the mention, once each
        assert len([c for c in h.server.calls if c.route == POSTS]) == 1

    run(scenario)


def test_invalid_session_identifies_afresh_and_answers_are_not_repeated(run):
    async def scenario(h: Harness) -> None:
        h.bot.before_identify_hook = no_wait
        before = await h.server.send_interaction("ask", {"question": SWEDEN})
        await answer_of(h.server, before)
        await h.server.invalidate_session()  # op 9, not resumable
        await h.server.wait_connected(timeout=15)
        await asyncio.wait_for(h.bot.wait_until_ready(), 10)
        after = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        await answer_of(h.server, after)
        await asyncio.sleep(0.3)
        assert len(h.server.identifies) == 2
        assert len(answers_shown(h.server)) == 2

    run(scenario)


@pytest.mark.parametrize(("method", "route", "status", "after"), [
    ("POST", CALLBACK, 429, False), ("PATCH", ORIGINAL, 429, False),
    ("PATCH", ORIGINAL, 500, False), ("PATCH", ORIGINAL, 500, True)],
    ids=["callback-429", "answer-429", "answer-500", "answer-500-after-it-was-shown"])
def test_rate_limits_and_server_errors_are_retried_and_answered_once(run, method, route,
                                                                     status, after):
    async def scenario(h: Harness) -> None:
        h.server.fail_next(method, route, status=status, retry_after=0.2, after=after)
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        await h.server.wait_for(lambda c: c.path in (sent.original_path, sent.callback_path)
                                and c.method == method and c.status == 200, timeout=30)
        assert [c.status for c in h.server.calls if c.status >= 400] == [status]
        await asyncio.sleep(0.3)
        assert len(answers_shown(h.server)) == 1  # retried, never doubled

    run(scenario)


def test_a_burst_of_questions_and_mentions_waits_for_the_rate_limits_instead_of_429(run):
    async def scenario(h: Harness) -> None:
        bot = h.server.users["bot"]
        asks = [await h.server.send_interaction("ask", {"question": f"{SWEDEN} ({i})"})
                for i in range(8)]
        for i in range(8):
            await h.server.send_message(f"<@{bot['id']}> {SWEDEN} [{i}]", author="member",
                                        mentions=[bot])
        for sent in asks:
            assert (await answer_of(h.server, sent, timeout=30))["embeds"]
        await h.server.wait_for(
            lambda _: sum(c.route == POSTS for c in h.server.calls) >= 8, timeout=30)
        posts = [c for c in h.server.calls if c.route == POSTS]
        assert all(c.status == 200 for c in h.server.calls)  # no 429: discord.py waited
        window = h.server.rate_limits.window
        assert posts[-1].time - posts[0].time >= window * 0.9  # 8 posts need two windows of 5
        assert sorted(c.json["embeds"][0]["title"][-3:] for c in posts) == [
            f"[{i}]" for i in range(8)]

    run(scenario)


def test_a_mention_reply_that_failed_after_it_was_posted_shows_once(run):
    async def scenario(h: Harness) -> None:
        h.server.fail_next("POST", POSTS, status=500, after=True)
        bot = h.server.users["bot"]
        await h.server.send_message(f"<@{bot['id']}> {SWEDEN}", author="member", mentions=[bot])
        await h.server.wait_for(lambda c: c.route == POSTS and c.status == 200, timeout=30)
        assert [c.status for c in h.server.calls if c.route == POSTS] == [500, 200]
        assert len(answers_shown(h.server)) == 1  # the retry carried the same nonce

    run(scenario)


def test_a_defer_that_took_effect_before_its_500_still_gets_its_answer(run):
    """Discord carried out the defer and answered 500; discord.py's retry was refused as
    "already acknowledged" (40060), and the member saw "thinking…" for good."""
    async def scenario(h: Harness) -> None:
        h.server.fail_next("POST", CALLBACK, status=500, after=True)
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        assert (await answer_of(h.server, sent, timeout=30))["embeds"]
        assert [c.status for c in h.server.calls if c.path == sent.callback_path] == [500, 400]
        await asyncio.sleep(0.3)
        assert len(answers_shown(h.server)) == 1

    run(scenario)


def test_a_reindex_whose_first_message_took_effect_before_its_500_still_runs(run):
    """The same for /reindex's "Reindexing the articles…": the reindex never ran."""
    async def scenario(h: Harness) -> None:
        h.server.fail_next("POST", CALLBACK, status=500, after=True)
        sent = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(
            lambda c: c.method == "PATCH" and c.path == sent.original_path
            and c.json.get("content", "").startswith("Reindex done"), timeout=120)

    run(scenario)


def test_an_interaction_past_discords_three_seconds_is_logged_not_reported_as_a_fault(run):
    """Interactions replayed after a gateway outage (or a stalled loop) come too late to
    acknowledge: each logged "command ask failed" with a traceback and tried an error reply
    that could not arrive either."""
    async def scenario(h: Harness) -> None:
        h.server.ack_deadline = 0.0  # every acknowledgement arrives too late
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        await h.server.wait_for(lambda c: c.path == sent.callback_path and c.status == 404)
        await asyncio.sleep(0.5)
        assert [c.status for c in h.server.calls if sent.token in c.path] == [404]

    run(scenario)  # and nothing logged as a warning or an error
