"""Acknowledgements first: answer work waits while interactions await their first response.

Discord gives a bot 3 s to acknowledge an interaction (the defer, for a question). When many
arrive at once, the answers already under way (embedding, search, in the worker threads) take
the CPU and the GIL from the event loop that sends those acknowledgements: 100 /ask at once on
2 loaded cores, with a reindex running, waited ~100 ms each for their defer. So work done after
an acknowledgement (`BriefingBot.answer_work`) first waits until no interaction that arrived is
still unacknowledged, for at most `HOLD_S`; then the answers share the CPU as before.
"""

from __future__ import annotations

import asyncio
import time

import discord

HOLD_S = 0.5  # the longest answer work waits for other interactions' acknowledgements
STALE_S = 3.0  # Discord's deadline: an interaction pending longer is never acknowledged
POLL_S = 0.005  # how often pending interactions are checked while any remain


class Acknowledgements:
    """The interactions received and not yet acknowledged (answered, deferred, or given
    autocomplete choices), and a wait for there being none. Use from the event loop."""

    def __init__(self) -> None:
        self._pending: dict[int, tuple[discord.Interaction, float]] = {}
        self._clear = asyncio.Event()
        self._clear.set()
        self._watcher: asyncio.Task[None] | None = None

    def arrived(self, interaction: discord.Interaction) -> None:
        """Count an interaction from the moment the gateway delivered it."""
        self._pending[interaction.id] = (interaction, time.monotonic())
        self._clear.clear()
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    def pending(self) -> int:
        """How many interactions still await their first response (forgets the others)."""
        now = time.monotonic()
        for key, (interaction, since) in list(self._pending.items()):
            if interaction.response.is_done() or now - since > STALE_S:
                del self._pending[key]
        if not self._pending:
            self._clear.set()
        return len(self._pending)

    def waiting(self) -> bool:
        """Whether any interaction still awaits its first response. Stops at the first that
        does, forgetting the acknowledged ones before it: in a burst every answer asks this
        right after its own defer, and counting them all each time (`pending`) was quadratic."""
        now = time.monotonic()
        answered = []
        for key, (interaction, since) in self._pending.items():
            if not (interaction.response.is_done() or now - since > STALE_S):
                break
            answered.append(key)
        else:
            self._pending.clear()
            self._clear.set()
            return False
        for key in answered:
            del self._pending[key]
        return True

    async def settled(self) -> None:
        """Return once no interaction awaits its first response, or after `HOLD_S`."""
        if not self.waiting():
            return
        try:
            async with asyncio.timeout(HOLD_S):
                await self._clear.wait()
        except TimeoutError:
            pass

    async def _watch(self) -> None:
        while self.pending():
            await asyncio.sleep(POLL_S)
