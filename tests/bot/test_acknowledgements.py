"""Acknowledgements first (`bot.acknowledgements`): answer work waits while interactions await
their first response, and never longer than the hold."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bot import acknowledgements
from bot.acknowledgements import Acknowledgements
from tests.bot.harness import Harness, answer_of

SWEDEN = "Why did Erdoğan approve Sweden?"


@dataclass
class Response:
    done: bool = False

    def is_done(self) -> bool:
        return self.done


@dataclass
class Interaction:
    id: int
    response: Response = field(default_factory=Response)


def test_answer_work_waits_until_every_interaction_is_acknowledged():
    async def scenario() -> None:
        acks = Acknowledgements()
        first, second = Interaction(1), Interaction(2)
        acks.arrived(first)
        acks.arrived(second)
        waiting = asyncio.create_task(acks.settled())
        await asyncio.sleep(0.05)
        first.response.done = True
        await asyncio.sleep(0.05)
        assert not waiting.done() and acks.pending() == 1
        second.response.done = True
        await asyncio.wait_for(waiting, 0.2)
        assert acks.pending() == 0
        await acks.settled()  # nothing pending: at once

    asyncio.run(scenario())


def test_answer_work_waits_for_an_earlier_interaction_when_a_later_one_is_acknowledged():
    async def scenario() -> None:
        acks = Acknowledgements()
        first, second = Interaction(1), Interaction(2)
        acks.arrived(first)
        acks.arrived(second)
        second.response.done = True
        waiting = asyncio.create_task(acks.settled())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        first.response.done = True
        await asyncio.wait_for(waiting, 0.2)

    asyncio.run(scenario())


def test_an_interaction_never_acknowledged_holds_answers_only_briefly(monkeypatch):
    monkeypatch.setattr(acknowledgements, "HOLD_S", 0.05)
    monkeypatch.setattr(acknowledgements, "STALE_S", 0.2)

    async def scenario() -> None:
        acks = Acknowledgements()
        acks.arrived(Interaction(1))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await acks.settled()
        assert 0.04 < loop.time() - started < 0.15
        await asyncio.sleep(0.25)  # past Discord's deadline: no longer waited for
        assert acks.pending() == 0

    asyncio.run(scenario())


def test_an_answer_waits_for_a_question_still_being_checked_before_its_defer(run):
    """B's scope check runs before its defer (a refusal stays private); A, deferred at
    once, is answered only after B is deferred."""
    async def scenario(h: Harness) -> None:
        index = h.bot.index
        asked: list[float] = []
        ask, check_scope = index.ask, index.check_scope

        def timed_ask(*args: object, **kwargs: object) -> object:
            asked.append(h.server.now())
            return ask(*args, **kwargs)

        def slow_check_scope(scope: object) -> None:
            time.sleep(0.3)
            check_scope(scope)

        index.ask, index.check_scope = timed_ask, slow_check_scope
        b = await h.server.send_interaction("ask", {"question": SWEDEN, "since": "3650d"})
        await asyncio.sleep(0.05)
        a = await h.server.send_interaction("ask", {"question": SWEDEN})
        await answer_of(h.server, a)
        await answer_of(h.server, b)
        b_deferred = next(c.time for c in h.server.calls if c.path == b.callback_path)
        assert min(asked) > b_deferred

    run(scenario)
