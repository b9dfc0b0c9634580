"""A small Discord-compatible server (REST + gateway) for end-to-end tests of discord.py bots.

State lives in ``World`` (world.py), REST handlers in rest.py; this module runs the aiohttp
server, records every REST call, injects faults and speaks the gateway protocol.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .rest import CALL, ApiError, Call, add_rest_routes, json_response, read_body
from .world import World

API_PREFIX = "/api/v10"


@dataclass
class SentInteraction:
    """An INTERACTION_CREATE the server dispatched, and what the bot did with it."""

    id: str
    token: str
    application_id: str
    payload: dict[str, Any]
    created: float  # time.monotonic() when dispatched
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


class FakeDiscord(World):
    """Discord REST API v10 and gateway on 127.0.0.1, on an ephemeral port.

    Use as ``async with FakeDiscord() as server:`` (or ``start()``/``stop()``) inside the
    event loop that runs the bot. ``ack_deadline`` is how long a bot has to answer an
    interaction (Discord: 3 s; None for no limit).
    """

    def __init__(self, *, token: str = "fake-token", heartbeat_interval: int = 45000,
                 ack_deadline: float | None = 3.0) -> None:
        super().__init__()
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.ack_deadline = ack_deadline
        self.interactions: dict[str, SentInteraction] = {}  # by token
        self.calls: list[Call] = []  # answered REST calls, in order
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads (token, intents, ...)
        self.resumes = 0
        self.heartbeats = 0
        self.heartbeat_times: list[float] = []  # time.monotonic() of each heartbeat received
        self.connections = 0
        self.intents = 0  # intents of the last IDENTIFY
        self.downloads: list[str] = []  # attachment ids fetched from their url, in order
        self._faults: list[_Fault] = []
        self._new_call = asyncio.Event()
        self._live = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()
        self._sessions: dict[str, int] = {}  # session id -> last sequence number
        self._session_id: str | None = None
        self._runner: web.AppRunner | None = None

    # Lifecycle ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """REST base URL, ``http://127.0.0.1:PORT/api/v10`` (what ``Route.BASE`` holds)."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Gateway URL, ``ws://127.0.0.1:PORT/gateway`` (what ``DEFAULT_GATEWAY`` holds)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

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
        """Close the gateway connection and stop the server."""
        self._live.clear()
        if self._ws is not None:
            await self._ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # REST recording and faults -------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        received = time.monotonic()
        body, files = await read_body(request)
        resource = request.match_info.route.resource
        known = resource is not None and "tail" not in request.match_info  # not the catch-all
        route = resource.canonical if known else request.path
        call = Call(request.method, request.path[len(API_PREFIX):], route[len(API_PREFIX):],
                    dict(request.query), body, files, dict(request.headers), received)
        request[CALL] = call
        try:
            response = self._fault_response(call)
            if response is None:
                self._check_auth(call)
                response = await handler(request)
        except ApiError as err:
            response = err.response()
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
                  retry_after: float = 0.1) -> None:
        """Answer the next ``times`` calls to ``route`` with ``status`` (429: rate limited).

        ``route`` is a template (``/channels/{channel_id}/messages``) or a concrete path.
        discord.py retries after ``retry_after`` on 429, and after 1 s, 3 s, ... on 5xx.
        """
        self._faults.append(_Fault(method.upper(), route, status, times, retry_after))

    def _fault_response(self, call: Call) -> web.Response | None:
        for fault in self._faults:
            if fault.times <= 0 or fault.method != call.method:
                continue
            if fault.route not in (call.route, call.path):
                continue
            fault.times -= 1
            if fault.status != 429:
                body = {"message": f"{fault.status}: Injected fault", "code": 0}
                return json_response(body, fault.status)
            # discord.py treats a 429 without a Via header as a Cloudflare ban, not a rate limit.
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after,
                    "global": False}
            headers = {"Via": "1.1 google", "Retry-After": str(fault.retry_after)}
            return json_response(body, 429, headers)
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

    # Gateway: test helpers ---------------------------------------------------------------------

    def is_live(self) -> bool:
        """Whether a gateway session is live (READY or RESUMED sent, not dropped since)."""
        return self._live.is_set()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a gateway session is live."""
        await asyncio.wait_for(self._live.wait(), timeout)

    async def send_op(self, op: int, d: Any = None) -> None:
        """Send a raw non-dispatch opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION)."""
        await self._send({"op": op, "d": d, "s": None, "t": None})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (op 0) event on the live session."""
        if not self.is_live() or self._session_id is None:
            raise RuntimeError("no live gateway session; await server.wait_connected() first")
        seq = self._sessions[self._session_id] = self._sessions[self._session_id] + 1
        await self._send({"op": 0, "t": event, "s": seq, "d": data})

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the gateway connection; discord.py then reconnects and RESUMEs."""
        self._live.clear()
        if self._ws is not None:
            await self._ws.close(code=code)

    async def send_interaction(self, name: str, options: dict | list | None = None, *,
                               user: str | dict = "admin", type: int = 2,
                               focused: str | None = None, channel_id: str | None = None,
                               dm: bool = False, force: bool = False) -> SentInteraction:
        """Dispatch INTERACTION_CREATE for the synced slash command ``name``.

        ``options`` is Discord's option list, or ``{name: value}`` typed from the synced
        command; an attachment option's value is an ``upload()`` result (or its id).
        ``type=4`` sends an autocomplete with the option ``focused`` focused.
        ``dm=True`` sends it from ``user``'s DM with the bot (``user`` and a type 1 channel, no
        guild_id or member); like Discord, only for a global command whose contexts allow DMs
        (LookupError otherwise) unless ``force=True``.
        """
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
                               time.monotonic())
        self.interactions[sent.token] = sent
        await self.dispatch("INTERACTION_CREATE", payload)
        return sent

    async def send_message(self, content: str, *, author: str | dict = "member",
                           mentions: list | None = None, channel_id: str | None = None,
                           embeds: list[dict] | None = None) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE from ``author``; return the stored (full) message.

        ``mentions`` (aliases or ids) defaults to the ``<@id>`` mentions in ``content``.
        Without the MESSAGE_CONTENT intent the bot gets empty content unless mentioned.
        """
        msg = self.new_message(channel_id or self.channel_id, self.user(author),
                               {"content": content, "embeds": embeds or []}, mentions=mentions)
        await self.dispatch("MESSAGE_CREATE", self.message_event(msg, self.intents))
        return msg

    async def echo(self, event: str, msg: dict[str, Any]) -> None:
        """Send the bot MESSAGE_CREATE/UPDATE for its own REST-made message, as Discord does."""
        if self.is_live() and not msg["flags"] & 64:  # ephemeral messages are not dispatched
            await self.dispatch(event, self.message_event(msg, self.intents))

    # Gateway: protocol ------------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any]) -> None:
        if self._ws is None:
            raise RuntimeError("no gateway connection")
        async with self._ws_lock:
            await self._ws.send_str(json.dumps(payload))  # TEXT frames: never compressed

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if self._ws is not None:
            await self._ws.close(code=4000)
        self._ws = ws
        self._live.clear()
        self.connections += 1
        await self.send_op(10, {"heartbeat_interval": self.heartbeat_interval})
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await self._on_op(ws, json.loads(msg.data))
        if self._ws is ws:
            self._ws = None
            self._live.clear()
        return ws

    async def _on_op(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:  # HEARTBEAT
            self.heartbeats += 1
            self.heartbeat_times.append(time.monotonic())
            await self.send_op(11)
        elif op == 2:  # IDENTIFY
            self.identifies.append(d)
            if d.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            self.intents = int(d.get("intents", 0))
            self._session_id = secrets.token_hex(16)
            self._sessions[self._session_id] = 0
            self._live.set()
            await self.dispatch("READY", self._ready_payload())
            await self.dispatch("GUILD_CREATE", self.guild_create_payload(self.intents))
        elif op == 6:  # RESUME
            self.resumes += 1
            if d.get("token") != self.token or d.get("session_id") not in self._sessions:
                await self.send_op(9, False)
                return
            self._session_id = d["session_id"]
            self._live.set()
            await self.dispatch("RESUMED", {})
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            await self.dispatch("GUILD_MEMBERS_CHUNK", {
                "guild_id": self.guild_id, "members": list(self.members.values()),
                "chunk_index": 0, "chunk_count": 1, "nonce": d.get("nonce")})

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10, "user": self.users["bot"], "session_id": self._session_id,
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [], "relationships": [], "presences": [],
        }
