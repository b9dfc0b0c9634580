"""REST handlers of the fake Discord server (the subset discord.py bots use)."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from .limits import (
    ApiError,
    invalid_form,
    json_response,
    validate_choices,
    validate_commands,
    validate_message,
)

if TYPE_CHECKING:
    from .server import FakeDiscord, SentInteraction
    from .world import GuildState


@dataclass
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """A recorded REST call. ``path``/``route`` are relative to the API base."""

    method: str
    path: str  # e.g. "/channels/123/messages"
    route: str  # e.g. "/channels/{channel_id}/messages"
    query: dict[str, str]
    json: Any  # the JSON body, or the payload_json part of a multipart body
    files: list[UploadedFile]
    headers: dict[str, str]
    time: float  # time.monotonic() when the request arrived
    status: int = 0  # status code answered


# Where the middleware leaves the request's Call for the handlers.
CALL: Any = web.RequestKey("call", Call) if hasattr(web, "RequestKey") else "call"


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Parse a JSON body, or a multipart body's ``payload_json`` and file parts."""
    if request.content_type != "multipart/form-data":
        raw = await request.read()
        return (json.loads(raw) if raw else None), []
    payload, files = None, []
    async for part in await request.multipart():
        data = await part.read()
        if part.name == "payload_json":
            payload = json.loads(data)
        else:
            files.append(UploadedFile(part.name or "", part.filename,
                                      part.headers.get("Content-Type"), bytes(data)))
    return payload, files


class _Rest:
    """Route handlers; state lives on the ``FakeDiscord`` instance."""

    def __init__(self, server: FakeDiscord) -> None:
        self.s = server

    # Login and commands.
    async def me(self, request: web.Request) -> web.Response:
        return json_response(self.s.users["bot"])

    async def application(self, request: web.Request) -> web.Response:
        return json_response(p.app_info(self.s.application_id, self.s.users["bot"],
                                        self.s.users["owner"]))

    async def commands(self, request: web.Request) -> web.Response:
        s, info = self.s, request.match_info
        if info["application_id"] != s.application_id:
            raise ApiError(403, 50001, "Missing Access")
        scope = info.get("guild_id")
        if request.method == "PUT":
            old = {(c["name"], c.get("type", 1)): c["id"] for c in s.commands.get(scope, [])}
            validate_commands(request[CALL].json or [])
            synced = []
            for command in request[CALL].json or []:
                key = (command["name"], command.get("type", 1))
                synced.append(dict(command, id=old.get(key) or p.snowflake(), type=key[1],
                                   application_id=s.application_id, version=p.snowflake(),
                                   **({"guild_id": scope} if scope else {})))
            s.commands[scope] = synced
        return json_response(s.commands.get(scope, []))

    # Interactions.
    async def callback(self, request: web.Request) -> web.Response:
        s, call = self.s, request[CALL]
        inter = s.interactions.get(request.match_info["interaction_token"])
        if inter is None or inter.id != request.match_info["interaction_id"] or (
                s.ack_deadline is not None and call.time - inter.created > s.ack_deadline):
            raise ApiError(404, 10062, "Unknown interaction")
        if inter.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = call.json or {}
        kind, data = body.get("type"), body.get("data") or {}
        flags = int(data.get("flags") or 0)
        clicked = None  # the message a component interaction's component is on
        if kind in (6, 7):
            if inter.payload["type"] != 3:
                raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [{
                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                    "message": "Interaction response type is only valid for components"}]}})
            clicked = s.messages.get(inter.payload["message"]["id"])
            if clicked is None:
                raise ApiError(404, 10008, "Unknown Message")
        result = {"id": inter.id, "type": inter.payload["type"],
                  "response_message_loading": kind == 5,
                  "response_message_ephemeral": bool(flags & p.MESSAGE_FLAG_EPHEMERAL)}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 7):  # message / update the component's message
            validate_message(data, call.files, creating=kind == 4)
        elif kind == 8:
            if inter.payload["type"] != 4:
                raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [{
                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                    "message": "Interaction response type is only valid for autocomplete"}]}})
            validate_choices(data.get("choices"))
        elif kind == 5:  # deferred: the original exists as a "thinking" message
            data = {"flags": (flags & p.MESSAGE_FLAG_EPHEMERAL) | p.MESSAGE_FLAG_LOADING}
        inter.response_type = kind
        if kind in (4, 5):
            msg = self._webhook_message(inter, data, call.files)
            await s.echo("MESSAGE_CREATE", msg)
            result["response_message_id"] = msg["id"]
            resource["message"] = msg
        elif clicked is not None:  # 6 / 7: @original is the message the component is on
            inter.message_ids.insert(0, clicked["id"])
            if kind == 7:
                await self.edit(clicked, data, call.files)
                resource["message"] = clicked
            result["response_message_id"] = clicked["id"]
            result["response_message_ephemeral"] = bool(clicked["flags"] & p.MESSAGE_FLAG_EPHEMERAL)
        return json_response({"interaction": result, "resource": resource})

    def _webhook_message(self, inter: SentInteraction, body: dict, files: list) -> dict[str, Any]:
        s, payload = self.s, inter.payload
        msg = s.new_message(payload["channel_id"], s.users["bot"], body, files)
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        metadata = {"id": inter.id, "type": payload["type"], "user": user,
                    "authorizing_integration_owners": payload["authorizing_integration_owners"]}
        msg.update(type=20, webhook_id=s.application_id, application_id=s.application_id,
                   interaction_metadata=metadata)
        if payload["type"] == 3:  # answers to a component show as replies to its message
            clicked = payload["message"]
            metadata["interacted_message_id"] = clicked["id"]
            msg.update(type=19, message_reference={
                "type": 0, "message_id": clicked["id"], "channel_id": clicked["channel_id"],
                "guild_id": clicked.get("guild_id")})
        inter.message_ids.append(msg["id"])
        return msg

    def _interaction(self, request: web.Request) -> SentInteraction:
        info, s = request.match_info, self.s
        inter = s.interactions.get(info["webhook_token"])
        known = inter is not None and info["webhook_id"] == s.application_id
        if not known or inter.response_type is None:  # follow-ups need a response first
            raise ApiError(404, 10015, "Unknown Webhook")
        if request[CALL].time - inter.created > s.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return inter

    async def followup(self, request: web.Request) -> web.Response:
        """A follow-up; the first after a deferred ("thinking") response edits that response
        instead, and keeps its visibility whatever flags the follow-up asks for."""
        inter, call = self._interaction(request), request[CALL]
        body = call.json or {}
        validate_message(body, call.files, creating=True)
        thinking = self.s.messages.get(inter.original_id or "")
        if inter.response_type == 5 and thinking and thinking["flags"] & p.MESSAGE_FLAG_LOADING:
            await self.edit(thinking, {k: v for k, v in body.items() if k != "flags"}, call.files)
            msg = thinking
        else:
            msg = self._webhook_message(inter, body, call.files)
            await self.s.echo("MESSAGE_CREATE", msg)
        if call.query.get("wait", "").lower() not in ("1", "true"):
            return web.Response(status=204)  # Discord answers the message only with ?wait=true
        return json_response(msg)

    async def webhook_message(self, request: web.Request) -> web.Response:
        inter = self._interaction(request)
        mid = request.match_info.get("message_id", "@original")
        if mid == "@original":
            mid = inter.message_ids[0] if inter.message_ids else ""
        if mid not in inter.message_ids or mid not in self.s.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return await self._message_verb(request, self.s.messages[mid])

    # Channels and messages.
    def _channel(self, request: web.Request) -> dict[str, Any]:
        channel = self.s.channel(request.match_info["channel_id"])
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    async def channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request))

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return web.Response(status=204)

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = int(request.query.get("limit", 50))
        found = [m for m in self.s.messages.values() if m["channel_id"] == channel["id"]
                 and not m["flags"] & p.MESSAGE_FLAG_EPHEMERAL]  # only its user sees those
        return json_response(sorted(found, key=lambda m: int(m["id"]), reverse=True)[:limit])

    async def create_message(self, request: web.Request) -> web.Response:
        s, call, channel = self.s, request[CALL], self._channel(request)
        if channel["type"] == p.FORUM_CHANNEL:  # a forum holds posts (threads), not messages
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if channel.get("guild_id"):
            self._check_may_send(channel)
        body = call.json or {}
        validate_message(body, call.files, creating=True)
        ref, target = body.get("message_reference"), None
        if ref:
            target = s.visible_message(str(ref.get("message_id")))
            if target is None and ref.get("fail_if_not_exists", True):
                raise invalid_form({"message_reference": {"_errors": [{
                    "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}})
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce is not None:
            for earlier in s.messages.values():  # a retried send returns the first message
                if earlier.get("nonce") == nonce and earlier["author"]["id"] == s.application_id:
                    return json_response(earlier)
        msg = s.new_message(channel["id"], s.users["bot"], body, call.files)
        if ref:
            msg.update(type=19, referenced_message=target, message_reference={
                "type": 0, "message_id": str(ref["message_id"]), "channel_id": channel["id"],
                "guild_id": channel.get("guild_id")})
            ping = (body.get("allowed_mentions") or {}).get("replied_user", True)
            guild = s.guilds.get(channel.get("guild_id") or "")
            members = guild.members if guild is not None else s.members
            if target and ping and target["author"]["id"] in members:
                msg["mentions"] += s.mention_objects([target["author"]["id"]])
        await s.echo("MESSAGE_CREATE", msg)
        return json_response(msg)

    def _check_may_send(self, channel: dict[str, Any]) -> None:
        """Refuse as Discord does a message the bot may not send in a guild channel: 50001
        without View Channel, 50013 without Send Messages (Send Messages in Threads in a
        thread)."""
        perms = self.s.channel_permissions_of(self.s.application_id, channel["id"])
        send = p.SEND_MESSAGES_IN_THREADS if channel["type"] == p.PUBLIC_THREAD else p.SEND_MESSAGES
        if not perms & p.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if not perms & send:
            raise ApiError(403, 50013, "Missing Permissions")

    async def channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self.s.visible_message(request.match_info["message_id"])
        if msg is None or msg["channel_id"] != channel["id"]:
            raise ApiError(404, 10008, "Unknown Message")
        if request.method == "PATCH" and msg["author"]["id"] != self.s.users["bot"]["id"]:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        return await self._message_verb(request, msg)

    async def _message_verb(self, request: web.Request, msg: dict[str, Any]) -> web.Response:
        """GET / PATCH / DELETE of a stored message."""
        s, call = self.s, request[CALL]
        if request.method == "DELETE":
            del s.messages[msg["id"]]
            if s.has_session():
                event = {"id": msg["id"], "channel_id": msg["channel_id"]}
                if msg.get("guild_id"):
                    event["guild_id"] = msg["guild_id"]
                await s.dispatch("MESSAGE_DELETE", event)
            return web.Response(status=204)
        if request.method == "PATCH":
            validate_message(call.json or {}, call.files, creating=False)
            await self.edit(msg, call.json or {}, call.files)
        return json_response(msg)

    async def edit(self, msg: dict[str, Any], body: dict[str, Any],
                   files: list[UploadedFile]) -> None:
        """Apply an edit-message body (PATCH, or an UPDATE_MESSAGE callback) to ``msg``."""
        s = self.s
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                msg[key] = body[key] if body[key] is not None else empty
        if "components" in body:
            msg["components"] = p.number_components(msg["components"])
        if "content" in body:
            s.apply_mentions(msg, body.get("allowed_mentions"))
        if "attachments" in body or files:
            keep = {str(a.get("id")) for a in body.get("attachments") or []}
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in keep]
            msg["attachments"] += s.attachments_for(files)
        msg["flags"] &= ~p.MESSAGE_FLAG_LOADING
        msg["edited_timestamp"] = p.now_iso()
        await s.echo("MESSAGE_UPDATE", msg)

    # Threads.
    async def start_thread(self, request: web.Request) -> web.Response:
        """POST /channels/{id}/messages/{id}/threads: a public thread on a message, with the
        message's id; THREAD_CREATE (``newly_created``) goes out before the answer."""
        s, info, body = self.s, request.match_info, request[CALL].json or {}
        thread = s.start_thread(info["channel_id"], info["message_id"], str(body.get("name", "")),
                                s.users["bot"], body.get("auto_archive_duration") or 1440)
        if s.has_session():
            await s.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return json_response(thread)

    async def thread_member(self, request: web.Request) -> web.Response:
        """PUT /channels/{id}/thread-members/{user_id or @me}."""
        info = request.match_info
        user_id = info["user_id"]
        if user_id == "@me":
            user_id = self.s.users["bot"]["id"]
        self.s.add_thread_member(info["channel_id"], user_id)
        return web.Response(status=204)

    # Users.
    async def create_dm(self, request: web.Request) -> web.Response:
        recipient = str((request[CALL].json or {}).get("recipient_id"))
        if not any(u["id"] == recipient for u in self.s.users.values()):
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return json_response(self.s.dm_channel(recipient))

    # Attachments (a CDN, outside the API prefix).
    async def attachment(self, request: web.Request) -> web.Response:
        data = self.s.files.get(request.match_info["attachment_id"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        self.s.downloads.append(request.match_info["attachment_id"])
        kind = mimetypes.guess_type(request.match_info["filename"])[0]
        return web.Response(body=data, content_type=kind or "application/octet-stream")

    # Guilds.
    def _guild(self, request: web.Request) -> GuildState:
        guild = self.s.guilds.get(request.match_info["guild_id"])
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        g = self._guild(request)
        body = p.guild(g.id, g.name, self.s.users["owner"]["id"], list(g.roles.values()))
        return json_response(dict(body, approximate_member_count=len(g.members)))

    async def guild_channels(self, request: web.Request) -> web.Response:
        g = self._guild(request)
        return json_response([c for c in self.s.channels.values() if c.get("guild_id") == g.id])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_response(list(self._guild(request).roles.values()))

    async def guild_members(self, request: web.Request) -> web.Response:
        members = self._guild(request).members
        user_id = request.match_info.get("user_id")
        if user_id is None:
            return json_response(list(members.values()))
        if user_id not in members:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(members[user_id])

    # Gateway discovery (what AutoShardedClient asks when it is given no shard count).
    async def gateway_bot(self, request: web.Request) -> web.Response:
        s = self.s
        return json_response({"url": s.gateway_url, "shards": s.recommended_shards(),
                              "session_start_limit": {
                                  "total": 1000, "remaining": 1000 - len(s.identifies),
                                  "reset_after": 86_400_000,
                                  "max_concurrency": s.max_concurrency}})

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.s.gateway_url})

    async def unknown(self, request: web.Request) -> web.Response:
        raise ApiError(404, 0, "404: Not Found")


def add_rest_routes(app: web.Application, server: FakeDiscord, prefix: str) -> None:
    """Register the REST routes under ``prefix`` (e.g. ``/api/v10``)."""
    r = _Rest(server)
    webhook = "/webhooks/{webhook_id}/{webhook_token}"
    verbs = ("GET", "PATCH", "DELETE")
    routes = [
        ("GET", "/users/@me", r.me),
        ("POST", "/users/@me/channels", r.create_dm),
        ("GET", "/oauth2/applications/@me", r.application),
        ("GET", "/applications/{application_id}/commands", r.commands),
        ("PUT", "/applications/{application_id}/commands", r.commands),
        ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", r.commands),
        ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", r.commands),
        ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", r.callback),
        ("POST", webhook, r.followup),
        *((m, webhook + "/messages/@original", r.webhook_message) for m in verbs),
        *((m, webhook + "/messages/{message_id}", r.webhook_message) for m in verbs),
        ("GET", "/channels/{channel_id}", r.channel),
        ("POST", "/channels/{channel_id}/typing", r.typing),
        ("GET", "/channels/{channel_id}/messages", r.history),
        ("POST", "/channels/{channel_id}/messages", r.create_message),
        *((m, "/channels/{channel_id}/messages/{message_id}", r.channel_message) for m in verbs),
        ("POST", "/channels/{channel_id}/messages/{message_id}/threads", r.start_thread),
        ("PUT", "/channels/{channel_id}/thread-members/{user_id}", r.thread_member),
        ("GET", "/gateway", r.gateway),
        ("GET", "/gateway/bot", r.gateway_bot),
        ("GET", "/guilds/{guild_id}", r.guild),
        ("GET", "/guilds/{guild_id}/channels", r.guild_channels),
        ("GET", "/guilds/{guild_id}/roles", r.guild_roles),
        ("GET", "/guilds/{guild_id}/members", r.guild_members),
        ("GET", "/guilds/{guild_id}/members/{user_id}", r.guild_members),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, prefix + path, handler)
    app.router.add_route("*", prefix + "/{tail:.*}", r.unknown)
    for folder in ("attachments", "ephemeral-attachments"):
        app.router.add_get(f"/{folder}/{{attachment_id}}/{{filename}}", r.attachment)
