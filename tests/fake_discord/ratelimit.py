"""Per-route rate-limit buckets, answered with the headers Discord sends on every response.

Discord counts requests per bucket (a route, per major parameter: channel, guild, webhook or
interaction) in fixed windows and reports the state in ``X-RateLimit-*`` headers; discord.py
reads them and waits for the window to reset when ``Remaining`` reaches 0. A client that
ignores them gets a 429 with ``retry_after``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

# Path parameters that split a route into separate buckets, as Discord's "major parameters".
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id",
                    "interaction_token")


@dataclass
class _Window:
    resets_at: float  # time.monotonic()
    used: int = 0


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go ahead, and the headers to answer it with."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float


class RateLimits:
    """``limit`` requests per ``window`` seconds in each bucket (windows of real time, so
    advancing the fake's clock for token expiry does not reset them)."""

    def __init__(self, limit: int = 5, window: float = 0.25) -> None:
        self.limit = limit
        self.window = window
        self._windows: dict[str, _Window] = {}

    def check(self, method: str, route: str, params: dict[str, str]) -> Verdict:
        """Count one request to ``route`` (a template) with these path ``params``."""
        bucket = hashlib.sha1(f"{method} {route}".encode()).hexdigest()[:16]
        key = bucket + ":" + "+".join(params[k] for k in MAJOR_PARAMETERS if k in params)
        now = time.monotonic()
        if len(self._windows) > 1000:  # forget the buckets of finished interactions
            self._windows = {k: w for k, w in self._windows.items() if w.resets_at > now}
        window = self._windows.get(key)
        if window is None or now >= window.resets_at:
            window = self._windows[key] = _Window(now + self.window)
        window.used += 1
        reset_after = max(window.resets_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        allowed = window.used <= self.limit
        if not allowed:
            headers["X-RateLimit-Scope"] = "user"
        return Verdict(allowed, headers, reset_after)
