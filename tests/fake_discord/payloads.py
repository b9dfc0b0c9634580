"""Builders for the JSON objects a Discord-compatible server sends (API v10 shapes)."""

from __future__ import annotations

import itertools
import mimetypes
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

DISCORD_EPOCH_MS = 1420070400000
_increment = itertools.count()

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1
# Among what Discord gives @everyone in a new server: threads as well as messages.
EVERYONE_PERMISSIONS = (
    ADD_REACTIONS | VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES
    | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS
)
OVERWRITE_ROLE, OVERWRITE_MEMBER = 0, 1  # permission overwrite target types
# What Discord grants an app in a DM with a user (approximately: the channel basics).
DM_APP_PERMISSIONS = EVERYONE_PERMISSIONS

GUILD_MEMBERS_INTENT = 1 << 1
MESSAGE_CONTENT_INTENT = 1 << 15
MESSAGE_FLAG_EPHEMERAL = 1 << 6
MESSAGE_FLAG_LOADING = 1 << 7
TEXT_CHANNEL, PUBLIC_THREAD, FORUM_CHANNEL = 0, 11, 15  # channel types
THREAD_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes
CONTEXT_GUILD, CONTEXT_BOT_DM = 0, 1  # interaction context types
SELECT_TYPES = (3, 5, 6, 7, 8)  # string, user, role, mentionable and channel selects
MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")


def snowflake() -> str:
    """Return a fresh, time-ordered snowflake id as a string."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (1 << 17) | (next(_increment) & 0xFFF))


def snowflake_on(shard_id: int, shard_count: int) -> str:
    """A fresh snowflake whose guild would be on shard ``shard_id`` of ``shard_count``
    (Discord's formula ``(id >> 22) % shard_count``: the millisecond part, nudged back)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    ms -= (ms - shard_id) % shard_count
    return str((ms << 22) | (1 << 17) | (next(_increment) & 0xFFF))


def shard_of(guild_id: str | int | None, shard_count: int) -> int:
    """The shard that receives a guild's events; DMs (no guild) go to shard 0."""
    return 0 if guild_id is None else (int(guild_id) >> 22) % shard_count


def now_iso() -> str:
    """Return the current UTC time in Discord's ISO-8601 form."""
    return datetime.now(UTC).isoformat()


def user(name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": snowflake(), "username": name, "global_name": name, "discriminator": "0",
        "avatar": None, "bot": bot, "system": False, "public_flags": 0, "flags": 0,
        "verified": True, "mfa_enabled": False, "locale": "en-US",
    }


def bot_role(role_id: str, bot: dict[str, Any]) -> dict[str, Any]:
    """The role Discord makes for a bot when it joins a guild: named after it, managed by the
    integration, tagged with the bot's id (what discord.py's `Guild.self_role` looks for).
    Members pick it from the mention list as often as the bot itself."""
    made = role(role_id, bot["username"], 0, 1)
    made.update(managed=True, tags={"bot_id": bot["id"]})
    return made


def role(role_id: str, name: str, permissions: int, position: int) -> dict[str, Any]:
    """A role object; ``permissions`` is sent as a decimal string like Discord does."""
    return {
        "id": role_id, "name": name, "color": 0, "colors": {"primary_color": 0},
        "hoist": False, "icon": None, "unicode_emoji": None, "position": position,
        "permissions": str(permissions), "managed": False, "mentionable": False, "flags": 0,
    }


def member(user_obj: dict[str, Any], role_ids: list[str], joined_at: str) -> dict[str, Any]:
    """A guild member object (without ``permissions``; interactions add it)."""
    return {
        "user": user_obj, "roles": list(role_ids), "nick": None, "avatar": None,
        "joined_at": joined_at, "premium_since": None, "deaf": False, "mute": False,
        "flags": 0, "pending": False, "communication_disabled_until": None,
    }


def text_channel(channel_id: str, guild_id: str, name: str, position: int = 0) -> dict[str, Any]:
    """A guild text channel object (type 0)."""
    return {
        "id": channel_id, "type": 0, "guild_id": guild_id, "name": name, "position": position,
        "permission_overwrites": [], "topic": None, "nsfw": False, "last_message_id": None,
        "rate_limit_per_user": 0, "parent_id": None, "flags": 0,
    }


def forum_channel(channel_id: str, guild_id: str, name: str, position: int = 0
                  ) -> dict[str, Any]:
    """A guild forum channel object (type 15): members post threads in it, not messages."""
    return {
        "id": channel_id, "type": FORUM_CHANNEL, "guild_id": guild_id, "name": name,
        "position": position, "permission_overwrites": [], "topic": None, "nsfw": False,
        "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None, "flags": 0,
        "available_tags": [], "default_reaction_emoji": None, "default_sort_order": None,
        "default_forum_layout": 0, "default_auto_archive_duration": 1440,
        "default_thread_rate_limit_per_user": 0,
    }


def thread_channel(thread_id: str, parent: dict[str, Any], owner_id: str, name: str,
                   auto_archive_duration: int = 1440) -> dict[str, Any]:
    """A public thread (type 11) in ``parent``: a text channel's thread, or a forum post."""
    now = now_iso()
    return {
        "id": thread_id, "type": PUBLIC_THREAD, "guild_id": parent["guild_id"],
        "parent_id": parent["id"], "owner_id": owner_id, "name": name,
        "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
        "member_count": 1, "total_message_sent": 0, "flags": 0, "applied_tags": [],
        "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                            "archive_timestamp": now, "locked": False,
                            "create_timestamp": now},
    }


def dm_channel(channel_id: str, recipient: dict[str, Any]) -> dict[str, Any]:
    """A DM channel object (type 1) with the bot, as interactions and POST /users/@me/channels
    carry it."""
    return {"id": channel_id, "type": 1, "last_message_id": None, "flags": 0,
            "recipients": [recipient]}


def guild(guild_id: str, name: str, owner_id: str, roles: list[dict]) -> dict[str, Any]:
    """The REST guild object (GUILD_CREATE adds channels, members and the rest)."""
    return {
        "id": guild_id, "name": name, "icon": None, "splash": None, "discovery_splash": None,
        "owner_id": owner_id, "afk_channel_id": None, "afk_timeout": 300,
        "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0, "roles": roles, "emojis": [], "stickers": [],
        "features": [], "mfa_level": 0, "system_channel_id": None, "system_channel_flags": 0,
        "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
        "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def app_info(app_id: str, bot_user: dict, owner: dict) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": app_id, "name": bot_user["username"], "description": "", "icon": None,
        "bot_public": False, "bot_require_code_grant": False, "owner": owner, "team": None,
        "verify_key": "0" * 64, "flags": 0, "bot": bot_user, "summary": "", "rpc_origins": [],
        "tags": [], "redirect_uris": [], "interactions_endpoint_url": None,
    }


def message(channel_id: str, guild_id: str | None, author: dict, body: dict) -> dict[str, Any]:
    """A message object built from a create-message style request body (guild_id None: DM)."""
    content = body.get("content") or ""
    msg = {
        "id": snowflake(), "channel_id": channel_id, "author": author,
        "content": content, "timestamp": now_iso(), "edited_timestamp": None,
        "tts": bool(body.get("tts", False)), "mention_everyone": False,
        "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": list(body.get("embeds") or []),
        "components": number_components(body.get("components") or []),
        "reactions": [], "pinned": False, "type": 0, "flags": int(body.get("flags") or 0),
        "nonce": body.get("nonce"),
    }
    if guild_id is not None:  # DM messages have no guild_id key (discord.py relies on that)
        msg["guild_id"] = guild_id
    return msg


def attachment(filename: str, data: bytes, content_type: str | None, base: str, *,
               ephemeral: bool = False) -> dict[str, Any]:
    """An attachment object for an uploaded file, served at ``url`` by the fake server.

    ``content_type`` defaults to a guess from the filename, as Discord does.
    """
    att_id = snowflake()
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0]
        if content_type and content_type.startswith("text/"):
            content_type += "; charset=utf-8"
    folder = "ephemeral-attachments" if ephemeral else "attachments"
    safe_name = re.sub(r"[^\w.-]", "_", filename)  # Discord's CDN names have no slashes
    url = f"{base}/{folder}/{att_id}/{quote(safe_name)}"
    return {
        "id": att_id, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
        "content_type": content_type, "ephemeral": ephemeral,
    }


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy message components, giving each one without an ``id`` a sequential one (1, 2, ...
    depth first), as Discord does when it stores a message."""
    counter = itertools.count(1)

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            item = dict(item)
            item.setdefault("id", next(counter))
            if isinstance(item.get("components"), list):
                item["components"] = walk(item["components"])
            if isinstance(item.get("accessory"), dict):
                item["accessory"] = walk([item["accessory"]])[0]
            out.append(item)
        return out

    return walk(list(components or []))


def flat_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All components of a message, depth first (action rows, their buttons, ...)."""
    out = []
    for item in components or []:
        out.append(item)
        out += flat_components(item.get("components") or [])
        if isinstance(item.get("accessory"), dict):
            out += flat_components([item["accessory"]])
    return out


def mentioned_ids(content: str) -> list[str]:
    """User ids mentioned as ``<@id>`` / ``<@!id>`` in message content."""
    return MENTION_RE.findall(content or "")
