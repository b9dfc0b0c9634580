"""Load: 100 questions at once (and mentions) while a reindex runs; 1,000 questions in a row.

Slow: run with `python -m pytest -m slow`; `.ci/run` runs it after the main suite.
"""

from __future__ import annotations

import asyncio
import resource
import statistics

import pytest

from tests.bot.harness import Harness, answer_of, run_scenario
from tests.support import squad_articles

pytestmark = pytest.mark.slow

QUESTIONS = ["Why did Erdoğan approve Sweden?", "How has Erdogan supported Hamas?",
             "Who won the 2018 World Cup?", "What happened to the Azov commanders?",
             "Did the Sochi talks revive the grain deal?",
             "By how much did Russian-Turkish trade grow in 2022?"]
HEARTBEAT_MS = 1000
OFF_TOPIC = "Who won the 2018 World Cup?"
NOT_COVERED = "The indexed articles don't seem to cover that."
POSTS = "/channels/{channel_id}/messages"


def check_answer(question: str, message: dict, *, may_refuse: bool = False) -> None:
    """An answer to ``question`` as Discord shows it: cited passages under the question, or
    for the off-topic one (any, with ``may_refuse``), the refusal."""
    refused = (message.get("content") or "").startswith(NOT_COVERED)
    if question.startswith(OFF_TOPIC) or (may_refuse and refused):
        assert refused, message
        return
    [embed] = message["embeds"]
    assert embed["title"] == question and embed["fields"], embed


def rss_mb() -> float:
    """Resident memory of this process now (the bot runs in it)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def test_hundred_questions_at_once_during_a_reindex(tmp_path, seed_index, embedder,
                                                    corpus_copy, shared_eval, capsys):
    for name, text in squad_articles(shared_eval, 12, offset=30).items():
        (corpus_copy / f"{name}.md").write_text(text, "utf-8")
    report = {}

    async def scenario(h: Harness) -> None:
        bot_user = h.server.users["bot"]
        reindex = await h.server.send_interaction("reindex", user="admin")
        await h.server.wait_for(lambda c: c.path == reindex.original_path
                                and "Embedding" in (c.json or {}).get("content", ""), timeout=60)
        beats_from = len(h.server.heartbeat_times)
        sent = await asyncio.gather(*[
            h.server.send_interaction("ask", {"question": QUESTIONS[i % len(QUESTIONS)]},
                                      user="member" if i % 2 else "admin")
            for i in range(100)])
        for i in range(10):
            await h.server.send_message(f"<@{bot_user['id']}> {QUESTIONS[i % len(QUESTIONS)]}",
                                        mentions=[bot_user])
        callbacks = [await h.server.wait_for(lambda c, s=s: c.path == s.callback_path,
                                             timeout=30) for s in sent]
        answers = [await answer_of(h.server, s, timeout=300) for s in sent]
        await h.server.wait_for(lambda c: c.path == reindex.original_path and (
            c.json or {}).get("content", "").startswith("Reindex done"), timeout=300)
        await h.server.wait_for(  # bounded: a lost reply fails the test instead of hanging it
            lambda _: sum(c.route == POSTS for c in h.server.calls) >= 10, timeout=120)
        replies = [c for c in h.server.calls if c.route == POSTS]
        delays = [c.time - s.created for c, s in zip(callbacks, sent, strict=True)]
        beats = h.server.heartbeat_times[beats_from - 1:] if beats_from else []
        gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
        report.update(p50=statistics.median(delays), p99=percentile(delays, 99),
                      max=max(delays), answered=len(answers), mentions=len(replies),
                      max_heartbeat_gap=max(gaps) if gaps else 0.0)
        assert all(c.json["type"] == 5 for c in callbacks)
        for i, answer in enumerate(answers):
            check_answer(QUESTIONS[i % len(QUESTIONS)], answer)
        assert len(replies) == 10 and all(c.status == 200 for c in replies)
        asked = {str(c.json["message_reference"]["message_id"]) for c in replies}
        assert len(asked) == 10  # each mention answered once
        for reply in replies:
            question = h.server.messages[str(reply.json["message_reference"]["message_id"])][
                "content"].split("> ", 1)[1]
            check_answer(question, reply.json)

    run_scenario(scenario, workdir=tmp_path, seed_index=seed_index, embedder=embedder,
                 corpus=corpus_copy, server_options={"heartbeat_interval": HEARTBEAT_MS})
    with capsys.disabled():
        print(f"\nload: 100 /ask + 10 mentions during /reindex: defer p50 "
              f"{report['p50'] * 1000:.0f} ms, p99 {report['p99'] * 1000:.0f} ms, max "
              f"{report['max'] * 1000:.0f} ms; answered {report['answered']}/100, mentions "
              f"{report['mentions']}/10; longest heartbeat gap {report['max_heartbeat_gap']:.2f} s")
    assert report["max"] < 3.0
    assert report["max_heartbeat_gap"] < HEARTBEAT_MS / 1000 * 1.5


def test_memory_is_stable_over_a_thousand_questions(tmp_path, seed_index, embedder,
                                                    corpus_copy, capsys):
    measured = {}

    async def scenario(h: Harness) -> None:
        async def round_of(n: int) -> None:
            for start in range(0, n, 50):
                batch = await asyncio.gather(*[
                    h.server.send_interaction("ask", {"question": f"{QUESTIONS[i % 6]} ({i})"})
                    for i in range(start, start + 50)])
                for i, s in zip(range(start, start + 50), batch, strict=True):
                    answer = await answer_of(h.server, s, timeout=120)
                    check_answer(f"{QUESTIONS[i % 6]} ({i})", answer, may_refuse=True)
                h.server.calls.clear()  # the fake server lives in this process too
                h.server.messages.clear()
                h.server.interactions.clear()

        await round_of(200)  # warm-up: caches, allocator pools
        measured["before"] = rss_mb()
        await round_of(1000)
        measured["after"] = rss_mb()

    run_scenario(scenario, workdir=tmp_path, seed_index=seed_index, embedder=embedder,
                 corpus=corpus_copy)
    with capsys.disabled():
        print(f"\nmemory over 1,000 questions: RSS {measured['before']:.0f} MB before, "
              f"{measured['after']:.0f} MB after")
    assert measured["after"] - measured["before"] < 50
