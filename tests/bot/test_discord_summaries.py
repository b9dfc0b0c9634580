"""End to end: `/summary`, `/digest show`, and a scheduled digest that survives a restart."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.wording import as_sentence
from tests.bot.harness import Harness, answer_of, public_text
from tests.support import ROOT

SEED = "russia-turkiye-israel-hamas-war"


def test_summary_of_an_article_cites_paragraphs_in_order(run):
    async def scenario(h: Harness) -> None:
        choices = await h.server.send_interaction("summary", {"article": "russia"}, type=4,
                                                  focused="article")
        offered = await h.server.wait_for(lambda c: c.path == choices.callback_path)
        assert offered.json["type"] == 8
        assert offered.json["data"]["choices"][0]["value"] == SEED

        sent = await h.server.send_interaction("summary", {"article": SEED, "sentences": 5})
        reply = await answer_of(h.server, sent, timeout=30)
        embed = reply["embeds"][0]
        lines = embed["description"].splitlines()
        assert len(lines) == 5
        cited = [int(line.rsplit("(¶", 1)[1].rstrip(")")) for line in lines]
        assert cited == sorted(cited) and len(set(cited)) >= 4
        assert embed["title"].startswith("Russia and Türkiye")

    run(scenario)


def test_topic_briefing_and_refusal(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("summary", {"topic": "Hamas"})
        reply = await answer_of(h.server, sent, timeout=30)
        field = reply["embeds"][0]["fields"][0]
        assert "(¶" in field["value"]
        topic = "sourdough bread"
        closest = (await asyncio.to_thread(h.bot.index.ask, topic, 3)).hits[0]
        refused = await h.server.send_interaction("summary", {"topic": topic})
        answer = await answer_of(h.server, refused, timeout=30)
        # Refused as a question is, with the closest passage's sentence as hedged evidence.
        assert answer["content"] == ("The indexed articles don't seem to cover that. "
                                     "The closest passage, low confidence:")
        [embed] = answer["embeds"]
        assert embed["title"] == topic
        [field] = embed["fields"]
        assert field["name"] == f"{closest.title} · ¶{closest.paragraphs[0]}"
        assert field["value"] == f"> {closest.highlight}"

    run(scenario)


def test_an_answered_topic_says_how_a_misspelt_word_was_read_as_ask_does(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("summary", {"topic": "Erdogn Sweden NATO"})
        reply = await answer_of(h.server, sent, timeout=30)
        assert reply["content"] == "Read “Erdogn” as “Erdoğan”."
        [embed] = reply["embeds"]
        assert embed["title"] == "Briefing: Erdogn Sweden NATO" and "(¶" in embed["fields"][0][
            "value"]

    run(scenario)


def test_digest_lists_recent_articles(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("digest", {"show": {"since": "7d"}})
        reply = await answer_of(h.server, sent, timeout=30)
        embed = reply["embeds"][0]
        assert embed["title"].startswith("Digest: 1 story from 1 article since")
        assert embed["fields"][0]["name"].startswith("Russia and Türkiye")
        bad = await h.server.send_interaction("digest", {"show": {"since": "last tuesday"}})
        error = await h.server.wait_for(lambda c: c.path == bad.callback_path)
        assert "is not a date" in error.json["data"]["content"]

    run(scenario)


def test_scheduled_digest_posts_and_survives_a_restart(run, tmp_path):
    channel_posts = "/channels/{channel_id}/messages"

    async def schedule(h: Harness) -> None:
        member_try = await h.server.send_interaction(
            "digest", {"schedule": {"channel": h.server.channel_id, "time": "08:00"}},
            user="member")
        refused = await h.server.wait_for(lambda c: c.path == member_try.callback_path)
        assert "Manage Server" in refused.json["data"]["content"]
        sent = await h.server.send_interaction(
            "digest", {"schedule": {"channel": h.server.channel_id, "time": "08:00"}})
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert "every day at 08:00 UTC" in reply.json["data"]["content"]

    run(schedule, digest_check_s=0.2)
    assert len(stored(tmp_path)) == 1

    async def restarted(h: Harness) -> None:
        # The fake server gives new ids on every start, and the last post should be two days
        # old for a post to be due now: adjust the schedule the first run stored.
        with sqlite3.connect(tmp_path / "schedules.sqlite") as db:
            db.execute("UPDATE schedules SET guild_id = ?, channel_id = ?, last_posted = ?",
                       (int(h.server.guild_id), int(h.server.channel_id),
                        (datetime.now(UTC) - timedelta(days=2)).isoformat()))
        post = await h.server.wait_for(lambda c: c.route == channel_posts, timeout=20)
        assert post.json["embeds"][0]["title"].startswith("Digest:")
        unschedule = await h.server.send_interaction("digest", {"unschedule": {}})
        done = await h.server.wait_for(lambda c: c.path == unschedule.callback_path)
        assert done.json["data"]["content"] == "The daily digest is stopped."

    run(restarted, digest_check_s=0.2)
    assert stored(tmp_path) == []


LONG_ID = "grain-" + "corridor-" * 14 + "odesa"  # 137 characters: longer than a choice


@pytest.mark.parametrize("typed", [f"  {SEED} ",
                                   "russia and türkiye  align on the israel-hamas war"])
def test_summary_of_an_article_typed_instead_of_picked(run, typed):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("summary", {"article": typed, "sentences": 3})
        reply = await answer_of(h.server, sent, timeout=30)
        assert reply["embeds"][0]["title"] == "Russia and Türkiye Align on the Israel-Hamas War"
        assert len(reply["embeds"][0]["description"].splitlines()) == 3

    run(scenario)


def test_autocomplete_ignores_case_and_long_ids_still_resolve(run, corpus_copy):
    (corpus_copy / f"{LONG_ID}.md").write_text(
        "---\ntitle: Grain corridor\n---\n\nShips left Odesa with wheat on Tuesday. Insurers "
        "cut premiums by a third. More than forty vessels waited to load.\n", "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        for typed, expected in (("TURKIYE-ISRAEL", SEED), ("GRAIN-CORRIDOR", None)):
            asked = await h.server.send_interaction("summary", {"article": typed}, type=4,
                                                    focused="article")
            offered = await h.server.wait_for(lambda c, a=asked: c.path == a.callback_path)
            assert offered.status == 200  # Discord accepted every choice
            [choice] = offered.json["data"]["choices"]
            assert expected in (None, choice["value"])
        assert len(choice["value"]) <= 100 and choice["name"] == "Grain corridor"
        sent = await h.server.send_interaction("summary", {"article": choice["value"],
                                                           "sentences": 3})
        reply = await answer_of(h.server, sent, timeout=30)
        assert reply["embeds"][0]["title"] == "Grain corridor"

    run(scenario)


@pytest.mark.parametrize(("options", "reason"), [
    ({"article": "no-such-article"}, "No indexed article has that id"),
    ({"topic": "Hamas " * 250}, "The topic is 1499 characters long; the limit is 1000."),
    ({"topic": "???"}, "The topic has no words."),
], ids=["unknown-article", "1500-character-topic", "topic-without-words"])
def test_refusals_reach_only_the_person_who_asked(run, options, reason):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("summary", options, user="member", force=True)
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["type"] == 4 and reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"].startswith(reason)
        await asyncio.sleep(0.2)
        assert h.server.public_messages() == []

    run(scenario)


@pytest.mark.parametrize("topic", ["Hamas " * 250, "???"], ids=["too-long", "no-words"])
def test_a_refused_topic_is_worded_as_the_terminal_words_it(run, tmp_path, corpus_copy, topic):
    """/summary wrote its own refusal ("Give a topic of 1 to 1,000 characters.") while
    `briefing summary --topic` said what the engine says of the topic."""
    refusals: list[str] = []

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("summary", {"topic": topic}, force=True)
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        refusals.append(reply.json["data"]["content"])

    run(scenario)
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus_copy)}
    terminal = subprocess.run([sys.executable, "-m", "bot", "summary", "--topic", topic],
                              env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert terminal.returncode == 1
    reason = terminal.stderr.strip().splitlines()[-1].removeprefix("briefing: --topic: ")
    assert refusals == [as_sentence(reason)]


def test_digest_that_fails_after_thinking_tells_only_the_person_who_asked(run):
    async def scenario(h: Harness) -> None:
        def broken(*args, **kwargs):
            raise RuntimeError("database is locked")

        h.bot.index.digest = broken
        sent = await h.server.send_interaction("digest", {"show": {"since": "7d"}},
                                               user="member")
        await h.server.wait_for(lambda c: c.path == sent.webhook_path, timeout=20)
        private = h.server.messages[sent.message_ids[-1]]
        assert private["flags"] & 64 and "went wrong" in private["content"]
        assert "went wrong" not in public_text(h.server)
        assert not h.server.messages[sent.original_id]["flags"] & 128  # no longer thinking

    run(scenario, expect_errors=True)


def stored(workdir) -> list[tuple]:
    with sqlite3.connect(workdir / "schedules.sqlite") as db:
        return db.execute("SELECT * FROM schedules").fetchall()


def test_a_digest_the_bot_may_not_post_is_tried_again_at_the_next_slot_not_every_check(
        run, tmp_path):
    channel_posts = "/channels/{channel_id}/messages"

    async def scenario(h: Harness) -> None:
        first = await h.server.send_interaction(
            "digest", {"schedule": {"channel": h.server.channel_id, "time": "08:00"}})
        await h.server.wait_for(lambda c: c.path == first.callback_path)
        news = await h.server.send_interaction(
            "digest", {"schedule": {"channel": h.server.channel_id, "time": "18:00"}})
        reply = (await h.server.wait_for(lambda c: c.path == news.callback_path)).json["data"]
        assert "This replaces the digest in" in reply["content"] and "at 08:00 UTC" in reply[
            "content"]
        assert "one goes out now" not in reply["content"]  # just scheduled: nothing due yet
        h.server.fail_next("POST", channel_posts, status=403, times=100)
        start = len(h.server.calls)
        with sqlite3.connect(tmp_path / "schedules.sqlite") as db:  # a digest is due now
            db.execute("UPDATE schedules SET last_posted = ?",
                       ((datetime.now(UTC) - timedelta(days=2)).isoformat(),))
        await h.server.wait_for(lambda c: c.route == channel_posts, timeout=20, start=start)
        await asyncio.sleep(1.5)  # seven more checks
        assert sum(c.route == channel_posts for c in h.server.calls[start:]) == 1

    run(scenario, digest_check_s=0.2)  # and no error logged: a warning says it
    [(last_posted,)] = sqlite3.connect(tmp_path / "schedules.sqlite").execute(
        "SELECT last_posted FROM schedules").fetchall()
    assert datetime.fromisoformat(last_posted) < datetime.now(UTC) - timedelta(days=1)


def test_a_scheduled_digest_with_nothing_new_is_not_posted(run, tmp_path):
    """On a quiet day the channel got "No articles were indexed since …" every day."""
    from index import Digest

    async def scenario(h: Harness) -> None:
        h.bot.index.digest = lambda since, **_: Digest(since, (), 0)  # nothing indexed since
        sent = await h.server.send_interaction(
            "digest", {"schedule": {"channel": h.server.channel_id, "time": "08:00"}})
        await h.server.wait_for(lambda c: c.path == sent.callback_path)
        with sqlite3.connect(tmp_path / "schedules.sqlite") as db:
            db.execute("UPDATE schedules SET last_posted = ?",
                       ((datetime.now(UTC) - timedelta(days=2)).isoformat(),))
        for _ in range(50):  # until the due digest was claimed
            await asyncio.sleep(0.1)
            with sqlite3.connect(tmp_path / "schedules.sqlite") as db:
                [(posted,)] = db.execute("SELECT last_posted FROM schedules").fetchall()
            if datetime.fromisoformat(posted) > datetime.now(UTC) - timedelta(hours=1):
                break
        else:
            raise AssertionError("the digest never came due")
        await asyncio.sleep(0.5)
        assert not [m for m in h.server.public_messages() if m["embeds"]]  # the reply only

    run(scenario, digest_check_s=0.2)
