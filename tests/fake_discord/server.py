"""A small Discord-compatible server (REST + gateway) for end-to-end tests of discord.py bots.

State lives in ``World`` (world.py), the gateway protocol in gateway.py, REST handlers in
rest.py, Discord's limits in limits.py and ratelimit.py; this module runs the aiohttp server,
keeps the clock, records every REST call, injects faults and lets users act.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import payloads as p
from .gateway import Gateway
from .limits import ApiError, json_response
from .ratelimit import RateLimits
from .rest import CALL, Call, add_rest_routes, read_body

API_PREFIX = "/api/v10"
TOKEN_LIFETIME_S = 15 * 60  # interaction tokens (callback and webhook) expire after this


@dataclass
class SentInteraction:
    """An INTERACTION_CREATE the server dispatched, and what the bot did with it."""

    id: str
    token: str
    application_id: str
    payload: dict[str, Any]
    created: float  # server.now() when dispatched
    response_type: int | None = None  # callback type, once acknowledged
    message_ids: list[str] = field(default_factory=list)  # original first, then follow-ups

    @property
    def original_id(self) -> str | None:
        """Id of the message ``@original`` names: the response message, or for a component
        interaction answered with type 6/7, the message the component is on."""
        return self.message_ids[0] if self.message_ids else None

    @property
    def callback_path(self) -> str:
        """Path of the interaction callback (POST)."""
        return f"/interactions/{self.id}/{self.token}/callback"

    @property
    def webhook_path(self) -> str:
        """Path of the interaction webhook (POST = follow-up)."""
        return f"/webhooks/{self.application_id}/{self.token}"

    @property
    def original_path(self) -> str:
        """Path of the original response message (PATCH = edit)."""
        return f"{self.webhook_path}/messages/@original"


@dataclass
class _Fault:
    method: str
    route: str
    status: int
    times: int
    retry_after: float
    after: bool  # answer the error after the request took effect


class FakeDiscord(Gateway):
    """Discord REST API v10 and gateway on 127.0.0.1, on an ephemeral port.

    Use as ``async with FakeDiscord() as server:`` (or ``start()``/``stop()``) inside the
    event loop that runs the bot. ``ack_deadline`` is how long a bot has to answer an
    interaction (Discord: 3 s; None for no limit); its token then works for 15 minutes of
    ``now()``, which ``advance()`` moves on without waiting. ``rate_limit`` is (requests,
    seconds) per bucket: every response carries Discord's ``X-RateLimit-*`` headers.
    """

    def __init__(self, *, token: str = "fake-token", heartbeat_interval: int = 45000,
                 ack_deadline: float | None = 3.0,
                 rate_limit: tuple[int, float] = (5, 0.25)) -> None:
        super().__init__(token=token, heartbeat_interval=heartbeat_interval)
        self.ack_deadline = ack_deadline
        self.token_lifetime = TOKEN_LIFETIME_S
        self.rate_limits = RateLimits(*rate_limit)
        self._clock_offset = 0.0
        self.interactions: dict[str, SentInteraction] = {}  # by token
        self.calls: list[Call] = []  # answered REST calls, in order
        self.downloads: list[str] = []  # attachment ids fetched from their url, in order
        self._faults: list[_Fault] = []
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # Lifecycle ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """REST base URL, ``http://127.0.0.1:PORT/api/v10`` (what ``Route.BASE`` holds)."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    async def start(self) -> FakeDiscord:
        """Start listening on 127.0.0.1 on a free port."""
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        add_rest_routes(app, self, API_PREFIX)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close the gateway connections and stop the server."""
        await self.close_sockets(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # Clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        """The server's clock: time.monotonic(), plus whatever ``advance()`` added."""
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the clock on (e.g. past the 15 minutes an interaction token lives)."""
        self._clock_offset += seconds

    # REST recording and faults -------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        received = self.now()
        body, files = await read_body(request)
        resource = request.match_info.route.resource
        known = resource is not None and "tail" not in request.match_info  # not the catch-all
        route = resource.canonical if known else request.path
        call = Call(request.method, request.path[len(API_PREFIX):], route[len(API_PREFIX):],
                    dict(request.query), body, files, dict(request.headers), received)
        request[CALL] = call
        verdict = self.rate_limits.check(call.method, call.route, dict(request.match_info))
        try:
            response = self._fault_response(call, after=False)
            if response is None and not verdict.allowed:
                response = _rate_limited(verdict.retry_after)
            if response is None:
                self._check_auth(call)
                response = await handler(request)
                response = self._fault_response(call, after=True) or response
        except ApiError as err:
            response = err.response()
        response.headers.update(verdict.headers)
        call.status = response.status
        self.calls.append(call)
        self._new_call.set()
        self._new_call = asyncio.Event()
        return response

    def _check_auth(self, call: Call) -> None:
        if call.route.startswith(("/interactions/", "/webhooks/")):
            return  # authorised by the interaction token in the path
        if call.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")

    def fail_next(self, method: str, route: str, *, status: int = 500, times: int = 1,
                  retry_after: float = 0.1, after: bool = False) -> None:
        """Answer the next ``times`` calls to ``route`` with ``status`` (429: rate limited).

        ``route`` is a template (``/channels/{channel_id}/messages``) or a concrete path.
        discord.py retries after ``retry_after`` on 429, and after 1 s, 3 s, ... on 5xx.
        ``after=True``: the call takes effect first (Discord created the message, then
        answered 500), so a retry repeats it.
        """
        self._faults.append(_Fault(method.upper(), route, status, times, retry_after, after))

    def _fault_response(self, call: Call, *, after: bool) -> web.Response | None:
        for fault in self._faults:
            if fault.times <= 0 or fault.method != call.method or fault.after != after:
                continue
            if fault.route not in (call.route, call.path):
                continue
            fault.times -= 1
            if fault.status != 429:
                body = {"message": f"{fault.status}: Injected fault", "code": 0}
                return json_response(body, fault.status)
            return _rate_limited(fault.retry_after)
        return None

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0, *,
                       start: int = 0) -> Call:
        """Return the first recorded call from index ``start`` on that matches ``predicate``.

        Calls are recorded once answered, so the server state already reflects them.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for call in self.calls[start:]:
                        if predicate(call):
                            return call
                    await self._new_call.wait()
        except TimeoutError:
            seen = ", ".join(f"{c.method} {c.path} {c.status}" for c in self.calls[start:])
            raise TimeoutError(f"no matching REST call within {timeout}s; saw: {seen}") from None

    # Users acting ------------------------------------------------------------------------------

    async def send_interaction(self, name: str, options: dict | list | None = None, *,
                               user: str | dict = "admin", type: int = 2,
                               focused: str | None = None, channel_id: str | None = None,
                               guild_id: str | None = None, dm: bool = False,
                               force: bool = False) -> SentInteraction:
        """Dispatch INTERACTION_CREATE for the synced slash command ``name``.

        ``options`` is Discord's option list, or ``{name: value}`` typed from the synced
        command; an attachment option's value is an ``upload()`` result (or its id).
        ``type=4`` sends an autocomplete with the option ``focused`` focused.
        ``dm=True`` sends it from ``user``'s DM with the bot (``user`` and a type 1 channel, no
        guild_id or member); like Discord, only for a global command whose contexts allow DMs
        (LookupError otherwise). Options Discord's client would not send (over ``max_length``
        or 6000 characters, out of range, missing) raise ValueError. ``force=True`` sends it
        anyway, as a modified client could. ``guild_id`` (an ``add_guild`` result) sends it
        in that guild's text channel; it reaches only the session whose shard holds the guild.
        """
        if guild_id is not None and channel_id is None and not dm:
            channel_id = self.guild_of(guild_id).channel_id
        payload = self.interaction_payload(name, options, user=user, type=type, focused=focused,
                                           channel_id=channel_id, dm=dm, force=force)
        return await self._dispatch_interaction(payload)

    async def click(self, message_id: str, custom_id: str, *, user: str | dict = "member",
                    values: list[str] | None = None, settle: float = 0.05) -> SentInteraction:
        """Dispatch INTERACTION_CREATE (type 3, MESSAGE_COMPONENT) for ``user`` clicking the
        component ``custom_id`` of the stored message ``message_id``.

        ``custom_id`` may also be a button's label or emoji (``"More"``, ``"👍"``); ``values``
        are a select menu's chosen values. Disabled components raise ValueError, unknown ones
        LookupError. A message in a DM channel gives a DM interaction.

        discord.py registers a View only once the REST call that sent it has returned, so a
        click dispatched right after that call is answered would be dropped; like a person,
        ``click`` waits ``settle`` seconds first.
        """
        payload = self.component_payload(str(message_id), custom_id, user=user, values=values)
        await asyncio.sleep(settle)
        return await self._dispatch_interaction(payload)

    async def _dispatch_interaction(self, payload: dict[str, Any]) -> SentInteraction:
        sent = SentInteraction(payload["id"], payload["token"], self.application_id, payload,
                               self.now())
        self.interactions[sent.token] = sent
        await self.dispatch("INTERACTION_CREATE", payload)
        return sent

    async def send_message(self, content: str, *, author: str | dict = "member",
                           mentions: list | None = None, channel_id: str | None = None,
                           embeds: list[dict] | None = None, reply_to: str | None = None,
                           ping: bool = True) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE from ``author``; return the stored (full) message.

        ``mentions`` (aliases or ids) defaults to the ``<@id>`` mentions in ``content``.
        ``reply_to``: a message id (in the same channel) this message replies to; like
        Discord's client, the reply pings the replied-to author unless ``ping=False``, which
        puts them in ``mentions``. Without the MESSAGE_CONTENT intent the bot gets empty
        content unless mentioned (so a reply to the bot without ping arrives empty). A channel
        id that is a forum raises ApiError: members post there with ``forum_post``.
        """
        channel_id = channel_id or self.channel_id
        channel = self.channel(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        if channel["type"] == p.FORUM_CHANNEL:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        target = None
        if reply_to is not None:
            target = self.messages.get(str(reply_to))
            if target is None or target["channel_id"] != channel_id:
                raise LookupError(f"no message {reply_to} in channel {channel_id} to reply to")
        msg = self.new_message(channel_id, self.user(author),
                               {"content": content, "embeds": embeds or []}, mentions=mentions)
        if target is not None:
            msg.update(type=19, referenced_message=dict(target), message_reference={
                "type": 0, "message_id": target["id"], "channel_id": channel_id,
                "guild_id": channel.get("guild_id")})
            if ping and target["author"]["id"] != msg["author"]["id"]:
                msg["mentions"] += self.mention_objects([target["author"]["id"]])
        await self.dispatch("MESSAGE_CREATE", self.message_event(msg, self.intents))
        return msg

    async def forum_post(self, title: str, content: str, *, author: str | dict = "member",
                         forum_id: str | None = None, mentions: list | None = None
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A member's new post in a forum channel (default: the guild's): a thread named
        ``title`` whose starter message (same id as the thread) holds ``content``. Dispatches
        THREAD_CREATE (``newly_created``) then MESSAGE_CREATE in the thread, as Discord does;
        returns (thread, starter message)."""
        thread = self.start_thread(forum_id or self.forum_id, None, title, author)
        await self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        msg = self.new_message(thread["id"], self.user(author),
                               {"content": content, "embeds": []}, mentions=mentions)
        del self.messages[msg["id"]]
        msg["id"] = thread["id"]  # a forum post's starter message has the thread's id
        self.messages[msg["id"]] = msg
        thread["last_message_id"] = msg["id"]
        self.channels[thread["parent_id"]]["last_message_id"] = thread["id"]
        await self.dispatch("MESSAGE_CREATE", self.message_event(msg, self.intents))
        return thread, msg

    async def set_channel_permissions(self, channel_id: str, target: str, *, allow: int = 0,
                                      deny: int = 0) -> None:
        """Set a permission overwrite on a guild channel (see ``World.set_overwrite``) and
        dispatch CHANNEL_UPDATE, as Discord does when an admin edits the channel."""
        channel = self.set_overwrite(channel_id, target, allow=allow, deny=deny)
        if self.has_session():
            await self.dispatch("CHANNEL_UPDATE", dict(channel))

    async def echo(self, event: str, msg: dict[str, Any]) -> None:
        """Send the bot MESSAGE_CREATE/UPDATE for its own REST-made message, as Discord does."""
        if self.has_session() and not msg["flags"] & 64:  # ephemerals are not dispatched
            await self.dispatch(event, self.message_event(msg, self.intents))


def _rate_limited(retry_after: float) -> web.Response:
    """A 429. discord.py treats one without a Via header as a Cloudflare ban, not a limit."""
    body = {"message": "You are being rate limited.", "retry_after": retry_after,
            "global": False}
    headers = {"Via": "1.1 google", "Retry-After": f"{retry_after:.3f}"}
    return json_response(body, 429, headers)
