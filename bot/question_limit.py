"""One budget of questions per user, however they ask: `/ask`, a mention, a reply or a thread
message, a topic briefing (`/summary topic:`). Separate budgets per way of asking would let a
user ask several times the setting."""

from __future__ import annotations

import time

from discord import app_commands

WINDOW_S = 60.0
PRUNE_AT = 10_000  # users remembered before those with a full budget are forgotten


class QuestionLimit:
    """`per_minute` questions a user may ask in any minute (0: no limit)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[int, app_commands.Cooldown] = {}
        self._warned: dict[int, float] = {}  # user -> when the refusal they were told of ends

    def retry_after(self, user_id: int) -> float:
        """Count a question of `user_id`: 0 when it may be asked, else the seconds to wait
        (a refused question is not counted)."""
        if not self.per_minute:
            return 0.0
        if len(self._buckets) >= PRUNE_AT:
            self._buckets = {u: b for u, b in self._buckets.items()
                             if b.get_tokens() < self.per_minute}
        bucket = self._buckets.setdefault(user_id,
                                          app_commands.Cooldown(self.per_minute, WINDOW_S))
        return bucket.update_rate_limit() or 0.0

    def tell(self, user_id: int, retry_after: float) -> bool:
        """Whether a refused message should say "slow down": once per refusal, so that a
        burst of mentions gets one reply, not one each (a slash command answers every time:
        its interaction must be answered)."""
        now = time.monotonic()
        if self._warned.get(user_id, 0.0) > now:
            return False
        if len(self._warned) >= PRUNE_AT:
            self._warned = {u: t for u, t in self._warned.items() if t > now}
        self._warned[user_id] = now + retry_after
        return True


def slow_down(retry_after: float) -> str:
    """The line a user who asked too often sees."""
    return f"Slow down a little: try again in {max(1, round(retry_after))} s."
