"""The feed settings as the poller's options."""

from __future__ import annotations

from bot.feeds.poll import PollOptions
from bot.fetch import FetchPolicy
from bot.settings import Settings


def poll_options(settings: Settings) -> PollOptions:
    """Fetch policies and caps for polling, from the BRIEFING_FEED_* and _FETCH_* settings."""
    return PollOptions(
        feed_policy=FetchPolicy(max_bytes=settings.feed_max_bytes,
                                timeout_s=settings.fetch_timeout_s,
                                allow_loopback=settings.fetch_allow_loopback),
        page_policy=FetchPolicy(max_bytes=settings.fetch_max_bytes,
                                timeout_s=settings.fetch_timeout_s,
                                allow_loopback=settings.fetch_allow_loopback),
        max_items=settings.feed_max_items, max_age_days=settings.feed_max_age_days)
