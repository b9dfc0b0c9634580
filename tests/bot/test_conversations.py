"""The conversation store: turns kept in order, bounded, expired, pruned, and kept on disk."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversations import ChannelModes, ChannelModeStore, ConversationStore
from index import Scope, Turn

SWEDEN = Turn("Why did Erdoğan approve Sweden's NATO bid?", True,
              (("russia-turkiye-israel-hamas-war", (15,)), ("russia-turkiye-israel-hamas-war",
                                                            (16,))))
PARLIAMENT = Turn("when did he send it to parliament?", False,
                  (("russia-turkiye-israel-hamas-war", (15,)),))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def store(path, clock, state_url=None, **limits) -> ConversationStore:
    values = {"ttl_s": 3600, "max_turns": 6, "max_conversations": 100} | limits
    return ConversationStore(path / "conversations.sqlite", clock=clock,
                             database_url=state_url, **values)


def test_turns_come_back_in_order_with_what_they_cited_after_a_reopen(tmp_path, state_url):
    clock = Clock()
    first = store(tmp_path, clock, state_url)
    scope = Scope("apnews.com", datetime(2024, 1, 1, tzinfo=UTC))
    first.add(42, SWEDEN, scope)
    first.add(42, PARLIAMENT)  # a question asked without a scope keeps the conversation's
    first.close()
    again = store(tmp_path, clock, state_url)
    assert again.turns(42) == [SWEDEN, PARLIAMENT]
    assert again.get(42).scope == scope
    again.add(42, SWEDEN, Scope("reuters.com"))  # one narrowed anew narrows what follows
    assert again.get(42).scope == Scope("reuters.com")
    assert again.turns(43) == [] and again.get(43) is None


def test_a_conversation_expires_a_while_after_its_last_turn(tmp_path, state_url):
    clock = Clock()
    conversations = store(tmp_path, clock, state_url, ttl_s=600)
    conversations.add(1, SWEDEN)
    clock.now += 500
    conversations.add(1, PARLIAMENT)  # activity keeps it alive
    clock.now += 500
    assert conversations.turns(1) == [SWEDEN, PARLIAMENT]
    clock.now += 101
    assert conversations.turns(1) == []
    conversations.add(1, PARLIAMENT)  # starts afresh
    assert conversations.turns(1) == [PARLIAMENT]


def test_only_the_last_turns_are_kept(tmp_path, state_url):
    conversations = store(tmp_path, Clock(), state_url, max_turns=3)
    for i in range(5):
        conversations.add(7, Turn(f"question {i}"))
    assert [t.question for t in conversations.turns(7)] == ["question 2", "question 3",
                                                            "question 4"]


def test_the_least_recently_active_conversations_are_dropped_beyond_the_cap(tmp_path,
                                                                           state_url):
    clock = Clock()
    conversations = store(tmp_path, clock, state_url, max_conversations=2)
    for conv_id in (1, 2):
        conversations.add(conv_id, SWEDEN)
        clock.now += 1
    conversations.add(1, PARLIAMENT)  # 1 is now the most recently active
    clock.now += 1
    conversations.add(3, SWEDEN)
    assert len(conversations) == 2
    assert conversations.turns(2) == [] and len(conversations.turns(1)) == 2
    clock.now += 4000
    conversations.prune()
    assert len(conversations) == 0


def test_channel_modes_default_off_and_survive_a_reopen(tmp_path, state_url):
    modes = ChannelModeStore(tmp_path / "c.sqlite", database_url=state_url)
    assert modes.get(5) == ChannelModes()
    assert modes.set(1, 5, autothread=True) == ChannelModes()  # the modes it replaced
    assert modes.set(1, 5, forum=True) == ChannelModes(autothread=True)
    assert modes.get(5) == ChannelModes(True, True)
    modes.close()
    again = ChannelModeStore(tmp_path / "c.sqlite", database_url=state_url)
    assert again.get(5) == ChannelModes(True, True)
    again.set(1, 5, autothread=False, forum=False)
    assert again.get(5) == ChannelModes()


def test_a_slow_post_holds_up_only_its_own_channel():
    import asyncio

    from bot.conversations import PostingLocks

    async def scenario() -> None:
        locks = PostingLocks()
        async with locks(1):  # an answer in channel 1 waits out a rate limit
            async with asyncio.timeout(1):
                async with locks(2):  # channel 2 goes on
                    pass
            assert locks(1).locked()
            waiting = asyncio.create_task(locks.idle())
            await asyncio.sleep(0.05)
            assert not waiting.done()  # closing waits for the post in flight
        await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())
