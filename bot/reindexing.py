"""One reindex at a time in the bot: `/reindex`, `/add`, `/remove` and feed polls share it.

Each runs in a child process (bot/reindex_worker.py); the index keeps answering from the
generation it has until the new one is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from bot.errors import UserError
from bot.reindex_worker import Reindexer, ReindexFailed
from bot.wording import as_sentence
from index import (
    PREVIOUS_STILL_ANSWERS,
    BriefingError,
    BriefingIndex,
    CorpusEmpty,
    ReindexReport,
)

log = logging.getLogger(__name__)

STILL_ANSWERING = "The previous index is still answering."
SHUTTING_DOWN = "Reindex stopped: the bot is shutting down. The previous index is kept."
STOP_NOTICE_S = 2.0  # how long closing waits for a reindex's progress message to say so


class Progress(Protocol):
    """Where a reindex reports progress (a Discord message that is edited)."""

    def update(self, done: int, total: int) -> None:
        """Passages embedded so far, of `total`."""

    def waiting(self) -> None:
        """Another process is reindexing this index: this one waits for it."""

    async def settle(self) -> None:
        """Wait for the reports already sent, before the last one."""

    def finish(self, text: str) -> None:
        """Show `text` in place of the progress, and nothing after it (the reindex was
        stopped)."""


class Reindexing:
    """The bot's reindexes, one at a time, in `reindexer`'s child process."""

    def __init__(self, index: BriefingIndex, corpus_dir: Path, reindexer: Reindexer) -> None:
        self.index = index
        self.corpus_dir = corpus_dir
        self.reindexer = reindexer
        self.lock = asyncio.Lock()
        self.queued = 0  # reindexes (feed polls, /add) waiting for the lock
        self.progress: Progress | None = None  # the running reindex's
        self.stopping = False  # the bot is closing: no reindex is to finish

    async def run(self, progress: Progress | None = None, *, holding: bool = False,
                  allow_empty: bool = False) -> ReindexReport:
        """Run one reindex, after any reindex already running (`holding`: the caller holds
        the lock already, see `slot`); the index serves the new generation when this
        returns. `allow_empty`: see `BriefingIndex.reindex`."""
        if holding:
            return await self._run(progress, allow_empty)
        self.queued += 1
        try:
            await self.lock.acquire()
        finally:
            self.queued -= 1
        try:
            return await self._run(progress, allow_empty)
        finally:
            self.lock.release()

    async def _run(self, progress: Progress | None, allow_empty: bool) -> ReindexReport:
        self.progress = progress
        try:
            return await self.reindexer.run(self.index, self.corpus_dir,
                                            progress.update if progress else None,
                                            progress.waiting if progress else None,
                                            allow_empty)
        finally:
            self.progress = None
            if progress is not None:
                await progress.settle()

    async def run_or_explain(self, progress: Progress | None = None, *,
                             holding: bool = False,
                             allow_empty: bool = False) -> ReindexReport | str:
        """The report of a reindex, or the line saying it failed: the index being built is
        dropped and the one before keeps answering."""
        try:
            return await self.run(progress, holding=holding, allow_empty=allow_empty)
        except CorpusEmpty as err:  # a refusal that says itself what is kept
            return as_sentence(str(err))
        except BriefingError as err:  # its own "previous index still answers" said once
            reason = str(err).strip().removesuffix(PREVIOUS_STILL_ANSWERS)
            ended = reason[:1] + as_sentence(reason)[1:]  # its full stop, after a colon
            return f"Reindex failed: {ended} {STILL_ANSWERING}"
        except ReindexFailed as err:
            if self.stopping:  # its process was killed because the bot is closing
                return SHUTTING_DOWN
            log.error("reindex failed: %s", err)
            if err.killed_by is not None:
                return f"Reindex failed: {killed(err.killed_by)}. {STILL_ANSWERING}"
            return f"Reindex failed; the error has been logged. {STILL_ANSWERING}"
        except Exception:
            log.exception("reindex failed")
            return f"Reindex failed; the error has been logged. {STILL_ANSWERING}"

    async def stop(self) -> None:
        """The bot is closing: kill the running reindex's process (the index is left as it
        was) and say so in its progress message, waiting STOP_NOTICE_S at most for that."""
        self.stopping = True
        self.reindexer.stop()
        progress = self.progress
        if progress is None:
            return
        progress.finish(SHUTTING_DOWN)
        try:
            async with asyncio.timeout(STOP_NOTICE_S):
                await progress.settle()
        except TimeoutError:
            log.warning("closing before the reindex's progress message said it was stopped")

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold the lock, taken before anything is awaited, or refuse (a UserError): of two
        admins at once, the second is told, not queued behind the first."""
        if self.lock.locked() or self.queued:  # queued: the lock is passing on
            raise UserError("A reindex is already running; try again when it has finished.")
        async with self.lock:  # free: taken without yielding to another command
            yield


def killed(signal_number: int) -> str:
    """What an admin is told of a reindex process killed by a signal: SIGKILL is what the
    kernel's out-of-memory killer sends (the log names the signal either way)."""
    cause = ", often out of memory" if signal_number == signal.SIGKILL else ""
    return f"the reindex process was killed (signal {signal_number}{cause})"
