"""The fake Discord's state: one guild, its roles, channel, members, messages and commands."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import payloads as p
from .limits import ApiError, check_user_options, invalid_form
from .rest import UploadedFile


@dataclass
class GuildState:
    """One guild: its roles (the @everyone role has the guild's id), members and the text
    channel interactions and messages default to."""

    id: str
    name: str
    roles: dict[str, dict[str, Any]]
    members: dict[str, dict[str, Any]]
    channel_id: str


class World:
    """One guild with a text channel, a forum channel and three members: the bot, an admin and
    a plain member; ``add_guild`` adds more (each with a text channel and those members), for
    instance one on each shard.

    The admin's role has Manage Server; the @everyone role's id is the guild id; the guild
    owner is a fourth user who is not a member. The application id is the bot's user id.
    Each user gets a DM channel with the bot on first use (``dm_channel``). Threads (public,
    type 11) are kept apart from channels, as Discord lists them apart in GUILD_CREATE; a thread
    started from a message has that message's id.
    """

    def __init__(self) -> None:
        self.port = 0
        self.users = {"bot": p.user("briefing-bot", bot=True), "admin": p.user("admin"),
                      "member": p.user("member"), "owner": p.user("owner")}
        self.application_id: str = self.users["bot"]["id"]
        self.guild_id = p.snowflake()
        self.guild_name = "Briefing Test Guild"
        self.admin_role_id = p.snowflake()
        self.bot_role_id = p.snowflake()
        self.roles = {
            self.guild_id: p.role(self.guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0),
            self.admin_role_id: p.role(self.admin_role_id, "Admin",
                                       p.EVERYONE_PERMISSIONS | p.MANAGE_GUILD, 1),
            self.bot_role_id: p.bot_role(self.bot_role_id, self.users["bot"]),
        }
        self.channel_id = p.snowflake()
        self.channels = {self.channel_id: p.text_channel(self.channel_id, self.guild_id, "general")}
        self.forum_id = p.snowflake()
        self.channels[self.forum_id] = p.forum_channel(self.forum_id, self.guild_id, "questions", 1)
        self.threads: dict[str, dict[str, Any]] = {}  # by id
        self.thread_members: dict[str, set[str]] = {}  # thread id -> user ids
        joined = p.now_iso()
        self.members = {
            self.users["bot"]["id"]: p.member(self.users["bot"], [self.bot_role_id], joined),
            self.users["admin"]["id"]: p.member(self.users["admin"], [self.admin_role_id], joined),
            self.users["member"]["id"]: p.member(self.users["member"], [], joined),
        }
        self.guilds = {self.guild_id: GuildState(self.guild_id, self.guild_name, self.roles,
                                                 self.members, self.channel_id)}
        self.dm_channels: dict[str, dict[str, Any]] = {}  # by channel id
        self.messages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # attachment id -> bytes served at its url
        self.uploads: dict[str, dict[str, Any]] = {}  # upload()ed attachments by id
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # by guild id, None = global

    def user(self, who: str | dict[str, Any]) -> dict[str, Any]:
        """Resolve ``"bot"``/``"admin"``/``"member"``/``"owner"``, a user id or a user dict."""
        if isinstance(who, dict):
            return who
        if who in self.users:
            return self.users[who]
        return next(u for u in self.users.values() if u["id"] == str(who))

    def add_guild(self, name: str = "Another Guild", *,
                  shard: tuple[int, int] | None = None) -> str:
        """Add a guild with its own @everyone and Admin roles, a text channel "general", and
        the bot, admin (with that Admin role) and member as members; return its id.
        ``shard=(id, count)`` picks an id on that shard (``(guild_id >> 22) % count == id``).
        A live session on its shard gets its GUILD_CREATE only on its next IDENTIFY."""
        guild_id = p.snowflake_on(*shard) if shard else p.snowflake()
        admin_role, bot_role = p.snowflake(), p.snowflake()
        roles = {guild_id: p.role(guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0),
                 admin_role: p.role(admin_role, "Admin", p.EVERYONE_PERMISSIONS | p.MANAGE_GUILD,
                                    1),
                 bot_role: p.bot_role(bot_role, self.users["bot"])}
        channel_id = p.snowflake()
        self.channels[channel_id] = p.text_channel(channel_id, guild_id, "general")
        joined = p.now_iso()
        own_role = {"admin": [admin_role], "bot": [bot_role], "member": []}
        members = {self.users[who]["id"]: p.member(self.users[who], own_role[who], joined)
                   for who in ("bot", "admin", "member")}
        self.guilds[guild_id] = GuildState(guild_id, name, roles, members, channel_id)
        return guild_id

    def guild_of(self, guild_id: str | None) -> GuildState:
        """A guild by id (None: the first guild); LookupError if there is none."""
        guild = self.guilds.get(str(guild_id or self.guild_id))
        if guild is None:
            raise LookupError(f"no guild {guild_id}")
        return guild

    def permissions_of(self, user_id: str, guild_id: str | None = None) -> int:
        """Guild-level permissions of a member (in the first guild unless ``guild_id``),
        computed from its roles like Discord does."""
        if user_id == self.users["owner"]["id"]:
            return p.ALL_PERMISSIONS
        guild = self.guild_of(guild_id)
        perms = int(guild.roles[guild.id]["permissions"])
        for role_id in guild.members[user_id]["roles"]:
            perms |= int(guild.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def channel_permissions_of(self, user_id: str, channel_id: str) -> int:
        """A member's permissions in a guild channel (in a thread: its parent's), computed as
        Discord does: the guild permissions, then the channel's overwrite for @everyone, those
        for the member's roles taken together, then the member's own, each deny before its
        allow. Administrator (and the owner) overrides every overwrite."""
        channel = self.channel(channel_id) or {}
        if channel.get("type") == p.PUBLIC_THREAD:
            channel = self.channels[channel["parent_id"]]
        guild = self.guild_of(channel["guild_id"])
        perms = self.permissions_of(user_id, guild.id)
        if perms & p.ADMINISTRATOR:
            return perms
        overwrites = {(int(o["type"]), o["id"]): o for o in channel["permission_overwrites"]}

        def apply(value: int, found: list[dict[str, Any]]) -> int:
            deny = allow = 0
            for overwrite in found:
                deny |= int(overwrite["deny"])
                allow |= int(overwrite["allow"])
            return (value & ~deny) | allow

        everyone = overwrites.get((p.OVERWRITE_ROLE, guild.id))
        perms = apply(perms, [everyone] if everyone else [])
        roles = [(p.OVERWRITE_ROLE, r) for r in guild.members[user_id]["roles"]]
        perms = apply(perms, [overwrites[key] for key in roles if key in overwrites])
        own = overwrites.get((p.OVERWRITE_MEMBER, user_id))
        return apply(perms, [own] if own else [])

    def set_overwrite(self, channel_id: str, target: str, *, allow: int = 0, deny: int = 0
                      ) -> dict[str, Any]:
        """Set the channel's permission overwrite for ``target`` (``"everyone"``, a role id,
        or a user alias or id), replacing an earlier one for it; returns the channel."""
        channel = self.channels[channel_id]
        guild = self.guild_of(channel["guild_id"])
        if target == "everyone" or target in guild.roles:
            kind, target_id = p.OVERWRITE_ROLE, guild.id if target == "everyone" else target
        else:
            kind, target_id = p.OVERWRITE_MEMBER, self.user(target)["id"]
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if o["id"] != target_id] + [
            {"id": target_id, "type": kind, "allow": str(allow), "deny": str(deny)}]
        return channel

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        """A guild channel, thread or DM channel by id."""
        return (self.channels.get(channel_id) or self.threads.get(channel_id)
                or self.dm_channels.get(channel_id))

    def start_thread(self, channel_id: str, message_id: str | None, name: str,
                     owner: str | dict[str, Any], auto_archive_duration: int = 1440
                     ) -> dict[str, Any]:
        """Create a public thread in a text channel from one of its messages (the thread gets
        the message's id and the message a ``thread`` field), or with ``message_id`` None a
        forum post (a new id) in a forum channel. Raises ApiError as Discord answers."""
        parent = self.channel(channel_id)
        if parent is None:
            raise ApiError(404, 10003, "Unknown Channel")
        wanted = p.FORUM_CHANNEL if message_id is None else p.TEXT_CHANNEL
        if parent["type"] != wanted:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if not 1 <= len(name) <= 100:
            raise invalid_form({"name": {"_errors": [{
                "code": "BASE_TYPE_BAD_LENGTH",
                "message": "Must be between 1 and 100 in length."}]}})
        if auto_archive_duration not in p.THREAD_ARCHIVE_DURATIONS:
            raise invalid_form({"auto_archive_duration": {"_errors": [{
                "code": "BASE_TYPE_CHOICES", "message": "Value must be one of "
                f"{set(p.THREAD_ARCHIVE_DURATIONS)}."}]}})
        starter = None
        if message_id is not None:
            starter = self.visible_message(str(message_id))
            if starter is None or starter["channel_id"] != channel_id:
                raise ApiError(404, 10008, "Unknown Message")
            if str(message_id) in self.threads:
                raise ApiError(400, 160004, "A thread has already been created for this message")
        owner_id = self.user(owner)["id"]
        thread = p.thread_channel(str(message_id or p.snowflake()), parent, owner_id, name,
                                  auto_archive_duration)
        self.threads[thread["id"]] = thread
        self.thread_members[thread["id"]] = {owner_id}
        if starter is not None:
            starter["thread"] = thread
        return thread

    def add_thread_member(self, thread_id: str, user_id: str) -> None:
        """Add a guild member to a thread (PUT /channels/{id}/thread-members/{user})."""
        thread = self.threads.get(thread_id)
        if thread is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if user_id not in self.members:
            raise ApiError(404, 10007, "Unknown Member")
        self.thread_members[thread_id].add(user_id)
        thread["member_count"] = len(self.thread_members[thread_id])

    def dm_channel(self, who: str | dict[str, Any]) -> dict[str, Any]:
        """The DM channel between ``who`` and the bot (created on first use)."""
        user = self.user(who)
        for channel in self.dm_channels.values():
            if channel["recipients"][0]["id"] == user["id"]:
                return channel
        channel = p.dm_channel(p.snowflake(), user)
        self.dm_channels[channel["id"]] = channel
        return channel

    def upload(self, filename: str, data: bytes, content_type: str | None = None
               ) -> dict[str, Any]:
        """An attachment a user uploads for an attachment option of a slash command.

        Returns the (ephemeral) attachment object; pass it as the option's value to
        ``send_interaction``. Its ``url`` serves ``data`` (the server must be started).
        """
        if not self.port:
            raise RuntimeError("start the server before uploading: the url needs its port")
        att = p.attachment(filename, data, content_type, f"http://127.0.0.1:{self.port}",
                           ephemeral=True)
        self.files[att["id"]] = bytes(data)
        self.uploads[att["id"]] = att
        return att

    def new_message(self, channel_id: str, author: dict[str, Any], body: dict[str, Any],
                    files: Sequence[UploadedFile] = (),
                    mentions: list | None = None) -> dict[str, Any]:
        """Create and store a message; mentions are parsed from the content unless given."""
        channel = self.channel(channel_id) or {}
        msg = p.message(channel_id, channel.get("guild_id"), author, body)
        if channel.get("type") == p.PUBLIC_THREAD:
            channel["last_message_id"] = msg["id"]
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        self.apply_mentions(msg, body.get("allowed_mentions"), mentions)
        msg["attachments"] = self.attachments_for(files)
        self.messages[msg["id"]] = msg
        return msg

    def apply_mentions(self, msg: dict[str, Any], allowed: dict[str, Any] | None,
                       mentions: list | None = None) -> None:
        """Set who ``msg`` pings (``mentions``, ``mention_roles``, ``mention_everyone``) from
        its content, as far as its ``allowed_mentions`` lets it, as Discord does: without
        them every user, role and @everyone/@here mentioned pings (the author's right to
        ping @everyone and unmentionable roles is not checked: the fake is the stricter).
        ``mentions`` (aliases or ids) overrides the users parsed from the content."""
        content = msg["content"] or ""
        parse = None if allowed is None else set(allowed.get("parse") or [])

        def allows(kind: str, item: str) -> bool:
            return parse is None or kind in parse or item in {
                str(i) for i in (allowed or {}).get(kind) or []}

        if mentions is None:
            ids = [i for i in p.mentioned_ids(content) if allows("users", i)]
        else:
            ids = [self.user(m)["id"] for m in mentions]
        msg["mentions"] = self.mention_objects(ids)
        channel = self.channel(msg["channel_id"]) or {}
        roles = self.guilds[channel["guild_id"]].roles if channel.get("guild_id") in self.guilds \
            else {}
        msg["mention_roles"] = [r for r in dict.fromkeys(p.ROLE_MENTION_RE.findall(content))
                                if r in roles and allows("roles", r)]
        msg["mention_everyone"] = bool(re.search(r"@(everyone|here)\b", content)) and (
            parse is None or "everyone" in parse)

    def visible_message(self, message_id: str) -> dict[str, Any] | None:
        """A stored message as channel endpoints find it: an ephemeral one exists only for
        its interaction's webhook (Discord answers Unknown Message elsewhere)."""
        msg = self.messages.get(message_id)
        return None if msg is None or msg["flags"] & p.MESSAGE_FLAG_EPHEMERAL else msg

    def public_messages(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """What everyone in the channel (default: the guild's) sees: its messages that are not
        ephemeral, oldest first, as they stand after edits."""
        channel_id = channel_id or self.channel_id
        return sorted((m for m in self.messages.values() if m["channel_id"] == channel_id
                       and not m["flags"] & p.MESSAGE_FLAG_EPHEMERAL), key=lambda m: int(m["id"]))

    def mention_objects(self, user_ids: list[str]) -> list[dict[str, Any]]:
        """The ``mentions`` array of a message mentioning these (guild member) users."""
        return [dict(self.user(i), member=self.partial_member(i))
                for i in dict.fromkeys(user_ids) if i in self.members]

    def attachments_for(self, files: Sequence[UploadedFile]) -> list[dict[str, Any]]:
        """Attachment objects for uploaded files."""
        base = f"http://127.0.0.1:{self.port}"
        out = []
        for f in files:
            out.append(p.attachment(f.filename or f.field, f.data, f.content_type, base))
            self.files[out[-1]["id"]] = f.data
        return out

    def partial_member(self, user_id: str, guild_id: str | None = None) -> dict[str, Any]:
        """The member object without ``user``, as nested in messages."""
        member = self.guild_of(guild_id).members[user_id]
        return {k: v for k, v in member.items() if k != "user"}

    def message_event(self, msg: dict[str, Any], intents: int) -> dict[str, Any]:
        """MESSAGE_CREATE data for ``msg`` as the bot may see it, given its gateway intents.

        Without MESSAGE_CONTENT (bit 15), guild messages from others that do not mention the
        bot arrive with empty content, embeds, attachments and components; a DM with the bot
        keeps its content, as Discord exempts DMs from the intent. A mention of the bot's
        role is not taken as a mention of the bot here (Discord's documentation names only
        mentions of the app): its content is withheld too, the harder case for the bot.
        """
        event = dict(msg)
        guild = self.guilds.get(msg.get("guild_id") or "")
        if guild is not None and msg["author"]["id"] in guild.members:
            event["member"] = self.partial_member(msg["author"]["id"], guild.id)
        bot_id = self.users["bot"]["id"]
        exempt = (msg["author"]["id"] == bot_id or any(m["id"] == bot_id for m in msg["mentions"])
                  or msg["channel_id"] in self.dm_channels)
        if not intents & p.MESSAGE_CONTENT_INTENT and not exempt:
            event.update(content="", embeds=[], attachments=[], components=[])
        return event

    def find_command(self, name: str, *, scopes: tuple[str | None, ...] = ()) -> dict[str, Any]:
        """The synced slash command ``name`` (guild commands first, then global)."""
        for scope in scopes or (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        raise LookupError(f"slash command {name!r} was never synced; synced: {self.commands}")

    @staticmethod
    def offered_in_dm(command: dict[str, Any]) -> bool:
        """Whether Discord lets users run this synced command in a DM with the bot: it is
        global and its ``contexts`` include BOT_DM (or, without contexts, ``dm_permission``
        is not false). ``@app_commands.guild_only()`` syncs ``contexts: [0]``."""
        if command.get("guild_id"):
            return False
        contexts = command.get("contexts")
        if contexts is not None:
            return p.CONTEXT_BOT_DM in contexts
        return command.get("dm_permission") is not False

    def interaction_payload(self, name: str, options: dict | list | None, *, user: str | dict,
                            type: int, focused: str | None, channel_id: str | None,
                            dm: bool = False, force: bool = False) -> dict[str, Any]:
        """INTERACTION_CREATE data for the synced slash command ``name``."""
        if dm and channel_id is not None:
            raise ValueError("pass either dm=True or channel_id, not both")
        in_guild = (self.channel(channel_id) or {}).get("guild_id") if channel_id else None
        command = self.find_command(name, scopes=(in_guild or self.guild_id, None))
        if dm and not force and not self.offered_in_dm(command):
            if command.get("guild_id"):  # DMs only have global commands: is there one?
                with contextlib.suppress(LookupError):
                    command = self.find_command(name, scopes=(None,))
            if not self.offered_in_dm(command):
                raise LookupError(
                    f"Discord does not offer /{name} in DMs: it is a guild command, or its "
                    f"contexts ({command.get('contexts')}) exclude BOT_DM (1); "
                    "force=True sends it anyway")
        channel = self.dm_channel(user) if dm else self.channel(channel_id or self.channel_id)
        if channel is None:
            raise LookupError(f"no channel {channel_id}")
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1,
                                "options": _options(command, options, focused)}
        if not force:
            check_user_options(command, data["options"], autocomplete=type == 4)
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        attachments = self._resolved_attachments(data["options"])
        if attachments and type == 2:  # autocompletes carry no resolved data
            data["resolved"] = {"attachments": attachments}
        channels = self._resolved_channels(data["options"])
        if channels and type == 2:
            data.setdefault("resolved", {})["channels"] = channels
        return self.interaction_base(type, data, user, channel)

    def _resolved_attachments(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        """``resolved.attachments`` for the attachment options (type 11); their values become
        the attachment ids."""
        found = {}
        for option in options:
            if option.get("type") != 11:
                continue
            value = option["value"]
            att = value if isinstance(value, dict) else self.uploads.get(str(value))
            if att is None:
                raise LookupError(f"unknown attachment {value!r}; make it with server.upload()")
            option["value"] = att["id"]
            found[att["id"]] = att
        return found

    def _resolved_channels(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        """``resolved.channels`` for channel options (type 7), found in nested subcommands."""
        found: dict[str, Any] = {}
        for option in options:
            if option.get("type") in (1, 2):
                found.update(self._resolved_channels(option.get("options", [])))
            elif option.get("type") == 7:
                channel = dict(self.channels[str(option["value"])])
                channel.setdefault("permissions", str((1 << 53) - 1))
                option["value"] = channel["id"]
                found[channel["id"]] = channel
        return found

    def interaction_base(self, type: int, data: dict[str, Any], user: str | dict,
                         channel: dict[str, Any]) -> dict[str, Any]:
        """An interaction of ``type`` by ``user`` in ``channel`` (a guild or DM channel): in a
        guild it carries guild_id, guild and member (with permissions), in a DM only user."""
        payload: dict[str, Any] = {
            "id": p.snowflake(), "application_id": self.application_id, "type": type,
            "token": "tok_" + secrets.token_urlsafe(24), "version": 1, "data": data,
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": channel["id"], "channel": channel,
            "locale": "en-US", "entitlements": [],
        }
        user_obj = self.user(user)
        if channel["type"] == 1:  # DM with the bot
            payload.update(user=user_obj, context=p.CONTEXT_BOT_DM,
                           app_permissions=str(p.DM_APP_PERMISSIONS),
                           authorizing_integration_owners={"0": "0"})
            return payload
        guild = self.guild_of(channel["guild_id"])
        if user_obj["id"] not in guild.members:
            raise LookupError(f"{user_obj['username']} is not a member of the guild; "
                              "use dm=True for a DM")
        member = dict(guild.members[user_obj["id"]],
                      permissions=str(self.permissions_of(user_obj["id"], guild.id)))
        payload.update(
            guild_id=guild.id, guild={"id": guild.id, "locale": "en-US", "features": []},
            member=member, guild_locale="en-US", context=p.CONTEXT_GUILD,
            app_permissions=str(self.channel_permissions_of(self.application_id, channel["id"])),
            authorizing_integration_owners={"0": guild.id})
        return payload

    def component_payload(self, message_id: str, custom_id: str, *, user: str | dict,
                          values: list[str] | None = None) -> dict[str, Any]:
        """INTERACTION_CREATE data (type 3) for ``user`` using the component ``custom_id`` (or
        the one labelled so, or with that emoji) on the stored message ``message_id``."""
        msg = self.messages.get(str(message_id))
        if msg is None:
            raise LookupError(f"no message {message_id}")
        component = self.find_component(msg, custom_id)
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled: it cannot be clicked")
        data: dict[str, Any] = {"custom_id": component["custom_id"],
                                "component_type": component["type"], "id": component["id"]}
        if component["type"] in p.SELECT_TYPES:
            data["values"] = list(values or [])
        elif values is not None:
            raise ValueError("values= is for select menus")
        channel = self.channel(msg["channel_id"])
        if channel is None:
            raise LookupError(f"message {message_id} is in an unknown channel")
        return self.interaction_base(3, data, user, channel) | {"message": dict(msg)}

    def find_component(self, msg: dict[str, Any], key: str) -> dict[str, Any]:
        """The interactive component of ``msg`` with custom_id ``key``, else the one whose
        label or emoji name is ``key``."""
        usable = [c for c in p.flat_components(msg["components"]) if c.get("custom_id")]
        for match in (lambda c: c["custom_id"] == key,
                      lambda c: key in (c.get("label"), (c.get("emoji") or {}).get("name"))):
            found = [c for c in usable if match(c)]
            if len(found) > 1:
                raise LookupError(f"{len(found)} components of message {msg['id']} match {key!r}")
            if found:
                return found[0]
        raise LookupError(f"message {msg['id']} has no component {key!r}; it has "
                          f"{[(c['custom_id'], c.get('label')) for c in usable]}")

    def custom_ids(self, message_id: str) -> list[str]:
        """The custom_ids of the stored message's interactive components, in order."""
        return [c["custom_id"] for c in p.flat_components(self.messages[str(message_id)]
                                                           ["components"]) if c.get("custom_id")]

    def guild_create_payload(self, intents: int, guild_id: str | None = None) -> dict[str, Any]:
        """GUILD_CREATE data: the guild (default: the first) with its channels, and its members
        if the bot has the GUILD_MEMBERS intent (bit 1); without it Discord sends only the bot's
        own member."""
        state = self.guild_of(guild_id)
        guild = p.guild(state.id, state.name, self.users["owner"]["id"],
                        list(state.roles.values()))
        members = list(state.members.values())
        if not intents & p.GUILD_MEMBERS_INTENT:
            members = [state.members[self.users["bot"]["id"]]]
        guild.update(
            channels=[c for c in self.channels.values() if c.get("guild_id") == state.id],
            members=members, member_count=len(state.members), large=False, unavailable=False,
            joined_at=p.now_iso(),
            threads=[t for t in self.threads.values() if not t["thread_metadata"]["archived"]
                     and t.get("guild_id") == state.id],
            presences=[], voice_states=[], stage_instances=[],
            guild_scheduled_events=[], soundboard_sounds=[],
        )
        return guild


def _options(command: dict[str, Any], options: dict | list | None, focused: str | None) -> list:
    """Discord's option list from a list (kept) or ``{name: value}`` (typed from the command)."""
    if options is None or isinstance(options, list):
        return [dict(o) for o in options or []]
    specs = {o["name"]: o for o in command.get("options", [])}
    out = []
    for name, value in options.items():
        kind = specs[name]["type"] if name in specs else _infer(value)
        if kind in (1, 2):  # a subcommand (group): its value is its own {name: value}
            out.append({"name": name, "type": kind,
                        "options": _options(specs[name], value, focused)})
            continue
        option = {"name": name, "type": kind, "value": value}
        if name == focused:
            option["focused"] = True
        out.append(option)
    return out


def _infer(value: Any) -> int:
    """Option type for a Python value: 5 boolean, 4 integer, 10 number, 11 attachment (an
    ``upload()`` result), 3 string."""
    if isinstance(value, dict) and "filename" in value:
        return 11
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 10 if isinstance(value, float) else 3
