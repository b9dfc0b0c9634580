"""A Discord-compatible fake server for end-to-end tests of discord.py bots.

Typical use (see tests/test_fake_discord.py)::

    from tests.fake_discord import FakeDiscord, point_discord_at

    async with FakeDiscord() as server:
        restore = point_discord_at(server.api_base, server.gateway_url)
        try:
            ...  # bot.start(server.token), then server.send_interaction(), server.wait_for()
        finally:
            restore()

Users act through ``send_interaction`` (slash commands; ``dm=True`` from a DM; attachment
options take ``server.upload(...)``), ``click`` (buttons and selects on a stored message,
see ``custom_ids``), ``send_message`` (``reply_to=`` a message, pinging its author unless
``ping=False``; ``channel_id=`` a thread) and ``forum_post`` (a new post in the forum channel).

Discord's rules it applies: the first follow-up after a deferred response edits that response
and keeps its visibility (``public_messages()`` is what the channel sees); interaction tokens
expire after 15 minutes of ``now()`` (``advance()`` skips ahead); every response carries
``X-RateLimit-*`` headers and an exhausted bucket answers 429; option and autocomplete limits
(limits.py); threads: one started from a message (POST .../messages/{id}/threads) has
the message's id, a message holds at most one (160004), none start inside threads or forums,
forums take posts but no plain messages, and GUILD_CREATE lists the active threads.
Permissions: roles' permissions and channel overwrites (``set_channel_permissions``, which
dispatches CHANNEL_UPDATE) combine as Discord computes them (``channel_permissions_of``);
a message the bot may not send in a channel is refused (403: 50001 without View Channel,
50013 without Send Messages, or Send Messages in Threads in a thread). Thread creation and
embeds do not check permissions.
Sharding: ``add_guild(shard=(id, count))`` adds a guild on a shard; an IDENTIFY with
``shard: [id, count]`` gets READY and GUILD_CREATE for that shard's guilds only, and every
event of a guild (interactions, messages) goes only to the session holding it, DMs to shard 0
(``sessions``, ``session_of(shard)``); a bad shard closes with 4010, too many guilds for
``guilds_per_shard`` with 4011; ``GET /gateway/bot`` answers ``shards`` and
``session_start_limit``.
Faults: ``fail_next`` (``after=True``: the call took effect, then failed),
``drop_gateway``, ``request_reconnect`` (op 7) and ``invalidate_session`` (op 9); a RESUME
replays the dispatches the client missed.
"""

from __future__ import annotations

from collections.abc import Callable

from .limits import ApiError
from .rest import Call, UploadedFile
from .server import FakeDiscord, SentInteraction


def point_discord_at(api_base: str, gateway_url: str) -> Callable[[], None]:
    """Make discord.py use ``api_base`` for REST and ``gateway_url`` for the gateway.

    Both are process-wide class attributes (``discord.http.Route.BASE`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``); production code can set them the
    same way from its settings. Returns a function that restores the previous values.
    """
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    old = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old

    return restore


__all__ = ["ApiError", "Call", "FakeDiscord", "SentInteraction", "UploadedFile", "point_discord_at"]
