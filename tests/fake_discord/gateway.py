"""The gateway side of the fake Discord: sessions, dispatches with sequence numbers, a backlog
that a RESUME replays, and the opcodes that make a client reconnect (7) or identify again (9)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from .world import World

BACKLOG = 1000  # dispatches kept per session for replay on RESUME


class Gateway(World):
    """One bot's gateway connection at a time, speaking API v10's JSON protocol (TEXT frames,
    so discord.py's zlib-stream request is ignored)."""

    def __init__(self, *, token: str, heartbeat_interval: int) -> None:
        super().__init__()
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads (token, intents, ...)
        self.resumes = 0
        self.replayed = 0  # dispatches re-sent on RESUME
        self.heartbeats = 0
        self.heartbeat_times: list[float] = []  # time.monotonic() of each heartbeat received
        self.connections = 0
        self.intents = 0  # intents of the last IDENTIFY
        self._live = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()
        self._sequences: dict[str, int] = {}  # session id -> last sequence number
        self._backlogs: dict[str, deque[dict[str, Any]]] = {}  # session id -> recent dispatches
        self._dispatch_lock = asyncio.Lock()
        self._session_id: str | None = None

    @property
    def gateway_url(self) -> str:
        """Gateway URL, ``ws://127.0.0.1:PORT/gateway`` (what ``DEFAULT_GATEWAY`` holds)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def is_live(self) -> bool:
        """Whether a gateway session is live (READY or RESUMED sent, not dropped since)."""
        return self._live.is_set()

    def has_session(self) -> bool:
        """Whether there is a session to dispatch to (live, or dropped but resumable)."""
        return self._session_id is not None

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a gateway session is live."""
        await asyncio.wait_for(self._live.wait(), timeout)

    async def send_op(self, op: int, d: Any = None) -> None:
        """Send a raw non-dispatch opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION)."""
        await self._send({"op": op, "d": d, "s": None, "t": None})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (op 0) event on the session; while it is not live (dropped,
        reconnecting) the event waits in the session's backlog for the RESUME to replay it."""
        session = self._session_id
        if session is None:
            raise RuntimeError("no gateway session; await server.wait_connected() first")
        async with self._dispatch_lock:
            seq = self._sequences[session] = self._sequences[session] + 1
            payload = {"op": 0, "t": event, "s": seq, "d": data}
            self._backlogs[session].append(payload)
            if self.is_live():
                await self._send(payload)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the gateway connection; discord.py then reconnects and RESUMEs."""
        self._live.clear()
        if self._ws is not None:
            await self._ws.close(code=code)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs; what is dispatched meanwhile is
        replayed then."""
        self._live.clear()  # the client stops reading this connection
        await self.send_op(7)

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION. Not resumable: the session and its backlog are gone, so
        discord.py IDENTIFYs afresh; dispatches until then are lost, as on Discord."""
        self._live.clear()
        if not resumable and self._session_id is not None:
            self._backlogs.pop(self._session_id, None)
            self._sequences.pop(self._session_id, None)
            self._session_id = None
        await self.send_op(9, resumable)

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
            self._sequences[self._session_id] = 0
            self._backlogs[self._session_id] = deque(maxlen=BACKLOG)
            self._live.set()
            await self.dispatch("READY", self._ready_payload())
            await self.dispatch("GUILD_CREATE", self.guild_create_payload(self.intents))
        elif op == 6:  # RESUME: replay what the client missed, in order, then RESUMED
            self.resumes += 1
            session = d.get("session_id")
            if d.get("token") != self.token or session not in self._backlogs:
                await self.send_op(9, False)
                return
            self._session_id = session
            async with self._dispatch_lock:
                missed = [e for e in self._backlogs[session] if e["s"] > (d.get("seq") or 0)]
                for event in missed:
                    await self._send(event)
                self.replayed += len(missed)
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


