"""The fake Discord's state: one guild, its roles, channel, members, messages and commands."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from . import payloads as p
from .rest import UploadedFile


class World:
    """One guild with a text channel and three members: the bot, an admin and a plain member.

    The admin's role has Manage Server; the @everyone role's id is the guild id; the guild
    owner is a fourth user who is not a member. The application id is the bot's user id.
    """

    def __init__(self) -> None:
        self.port = 0
        self.users = {"bot": p.user("briefing-bot", bot=True), "admin": p.user("admin"),
                      "member": p.user("member"), "owner": p.user("owner")}
        self.application_id: str = self.users["bot"]["id"]
        self.guild_id = p.snowflake()
        self.guild_name = "Briefing Test Guild"
        self.admin_role_id = p.snowflake()
        self.roles = {
            self.guild_id: p.role(self.guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0),
            self.admin_role_id: p.role(self.admin_role_id, "Admin",
                                       p.EVERYONE_PERMISSIONS | p.MANAGE_GUILD, 1),
        }
        self.channel_id = p.snowflake()
        self.channels = {self.channel_id: p.text_channel(self.channel_id, self.guild_id, "general")}
        joined = p.now_iso()
        self.members = {
            self.users["bot"]["id"]: p.member(self.users["bot"], [], joined),
            self.users["admin"]["id"]: p.member(self.users["admin"], [self.admin_role_id], joined),
            self.users["member"]["id"]: p.member(self.users["member"], [], joined),
        }
        self.messages: dict[str, dict[str, Any]] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # by guild id, None = global

    def user(self, who: str | dict[str, Any]) -> dict[str, Any]:
        """Resolve ``"bot"``/``"admin"``/``"member"``/``"owner"``, a user id or a user dict."""
        if isinstance(who, dict):
            return who
        if who in self.users:
            return self.users[who]
        return next(u for u in self.users.values() if u["id"] == str(who))

    def permissions_of(self, user_id: str) -> int:
        """Guild-level permissions of a member, computed from its roles like Discord does."""
        if user_id == self.users["owner"]["id"]:
            return p.ALL_PERMISSIONS
        perms = int(self.roles[self.guild_id]["permissions"])
        for role_id in self.members[user_id]["roles"]:
            perms |= int(self.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def new_message(self, channel_id: str, author: dict[str, Any], body: dict[str, Any],
                    files: Sequence[UploadedFile] = (),
                    mentions: list | None = None) -> dict[str, Any]:
        """Create and store a message; mentions are parsed from the content unless given."""
        msg = p.message(channel_id, self.guild_id, author, body)
        if mentions is None:
            ids = p.mentioned_ids(msg["content"])
        else:
            ids = [self.user(m)["id"] for m in mentions]
        msg["mentions"] = self.mention_objects(ids)
        msg["attachments"] = self.attachments_for(files)
        self.messages[msg["id"]] = msg
        return msg

    def mention_objects(self, user_ids: list[str]) -> list[dict[str, Any]]:
        """The ``mentions`` array of a message mentioning these (guild member) users."""
        return [dict(self.user(i), member=self.partial_member(i))
                for i in dict.fromkeys(user_ids) if i in self.members]

    def attachments_for(self, files: Sequence[UploadedFile]) -> list[dict[str, Any]]:
        """Attachment objects for uploaded files."""
        base = f"http://127.0.0.1:{self.port}"
        return [p.attachment(f.filename or f.field, f.data, f.content_type, base) for f in files]

    def partial_member(self, user_id: str) -> dict[str, Any]:
        """The member object without ``user``, as nested in messages."""
        return {k: v for k, v in self.members[user_id].items() if k != "user"}

    def message_event(self, msg: dict[str, Any], intents: int) -> dict[str, Any]:
        """MESSAGE_CREATE data for ``msg`` as the bot may see it, given its gateway intents.

        Without MESSAGE_CONTENT (bit 15), guild messages from others that do not mention the
        bot arrive with empty content, embeds, attachments and components.
        """
        event = dict(msg, member=self.partial_member(msg["author"]["id"]))
        bot_id = self.users["bot"]["id"]
        exempt = msg["author"]["id"] == bot_id or any(m["id"] == bot_id for m in msg["mentions"])
        if not intents & p.MESSAGE_CONTENT_INTENT and not exempt:
            event.update(content="", embeds=[], attachments=[], components=[])
        return event

    def find_command(self, name: str) -> dict[str, Any]:
        """The synced slash command ``name`` (guild commands first, then global)."""
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        raise LookupError(f"slash command {name!r} was never synced; synced: {self.commands}")

    def interaction_payload(self, name: str, options: dict | list | None, *, user: str | dict,
                            type: int, focused: str | None, channel_id: str | None
                            ) -> dict[str, Any]:
        """INTERACTION_CREATE data for the synced slash command ``name``."""
        command = self.find_command(name)
        channel = self.channels[channel_id or self.channel_id]
        user_id = self.user(user)["id"]
        data = {"id": command["id"], "name": name, "type": 1,
                "options": _options(command, options, focused)}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        member = dict(self.members[user_id], permissions=str(self.permissions_of(user_id)))
        return {
            "id": p.snowflake(), "application_id": self.application_id, "type": type,
            "token": "tok_" + secrets.token_urlsafe(24), "version": 1, "data": data,
            "attachment_size_limit": 10 * 1024 * 1024, "guild_id": self.guild_id,
            "guild": {"id": self.guild_id, "locale": "en-US", "features": []},
            "channel_id": channel["id"], "channel": channel, "member": member,
            "app_permissions": str(self.permissions_of(self.application_id)),
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [], "context": 0,
            "authorizing_integration_owners": {"0": self.guild_id},
        }

    def guild_create_payload(self, intents: int) -> dict[str, Any]:
        """GUILD_CREATE data: the guild with its channels, and its members if the bot has the
        GUILD_MEMBERS intent (bit 1); without it Discord sends only the bot's own member."""
        guild = p.guild(self.guild_id, self.guild_name, self.users["owner"]["id"],
                        list(self.roles.values()))
        members = list(self.members.values())
        if not intents & p.GUILD_MEMBERS_INTENT:
            members = [self.members[self.users["bot"]["id"]]]
        guild.update(
            channels=list(self.channels.values()), members=members,
            member_count=len(self.members), large=False, unavailable=False, joined_at=p.now_iso(),
            threads=[], presences=[], voice_states=[], stage_instances=[],
            guild_scheduled_events=[], soundboard_sounds=[],
        )
        return guild


def _options(command: dict[str, Any], options: dict | list | None, focused: str | None) -> list:
    """Discord's option list from a list (kept) or ``{name: value}`` (typed from the command)."""
    if options is None or isinstance(options, list):
        return list(options or [])
    specs = {o["name"]: o for o in command.get("options", [])}
    out = []
    for name, value in options.items():
        option = {"name": name, "type": specs[name]["type"] if name in specs else _infer(value),
                  "value": value}
        if name == focused:
            option["focused"] = True
        out.append(option)
    return out


def _infer(value: Any) -> int:
    """Option type for a Python value: 5 boolean, 4 integer, 10 number, 3 string."""
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 10 if isinstance(value, float) else 3
