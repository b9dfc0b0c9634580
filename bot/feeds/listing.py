"""What a feed list says of one feed, in the same words at the terminal and on Discord."""

from __future__ import annotations

from collections.abc import Callable

from bot.feeds.store import Feed
from bot.when import duration_text


def feed_parts(feed: Feed, shown: Callable[[str], str] = str,
               channel: Callable[[int], str] = "channel {}".format) -> list[str]:
    """`feed`'s URL, how often it is polled, where it posts, its include and exclude words,
    then "paused" or its last error (nothing when it is fine). Each front end joins them and
    says the text that others wrote (URL, words, error) with `shown`, a channel with
    `channel`: Discord makes the text inert and mentions the channel."""
    parts = [shown(feed.url), f"every {duration_text(feed.interval_s)}"]
    if feed.post and feed.channel_id:
        parts.append(f"posts in {channel(feed.channel_id)}")
    if feed.include:
        parts.append(f"include: {shown(feed.include)}")
    if feed.exclude:
        parts.append(f"exclude: {shown(feed.exclude)}")
    if feed.paused:
        parts.append("paused")
    elif feed.last_error:
        parts.append(f"last error: {shown(feed.last_error)}")
    return parts
