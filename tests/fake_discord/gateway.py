"""The gateway side of the fake Discord: sessions, dispatches with sequence numbers, a backlog
that a RESUME replays, the opcodes that make a client reconnect (7) or identify again (9), and
sharding: one session per shard, each receiving only its own guilds' events."""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads as p
from .world import World

BACKLOG = 1000  # dispatches kept per session for replay on RESUME
INVALID_SHARD = 4010  # close codes of Discord's gateway
SHARDING_REQUIRED = 4011


@dataclass
class Session:
    """One IDENTIFYed gateway session: its shard, sequence and backlog, and the connection
    it is on (None while dropped and not yet resumed)."""

    id: str
    shard: tuple[int, int]  # (shard id, shard count); (0, 1) when IDENTIFY names none
    intents: int
    seq: int = 0
    backlog: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    ws: web.WebSocketResponse | None = None
    live: bool = False  # READY or RESUMED sent, not dropped since

    def holds(self, guild_id: str | None) -> bool:
        """Whether this session's shard receives the guild's events (DMs: shard 0)."""
        shard_id, count = self.shard
        return p.shard_of(guild_id, count) == shard_id

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The dispatches (op 0 payloads) still in the backlog, optionally of one event."""
        return [e for e in self.backlog if name is None or e["t"] == name]


class Gateway(World):
    """The bot's gateway sessions, speaking API v10's JSON protocol (TEXT frames, so
    discord.py's zlib-stream request is ignored).

    An IDENTIFY without ``shard`` is shard [0, 1]: it holds every guild. With ``shard: [id,
    count]`` the session gets READY and GUILD_CREATE for its guilds only
    (``(guild_id >> 22) % count == id``) and only their events; DMs go to shard 0. A shard
    outside 0..count-1 is closed with 4010; with ``guilds_per_shard`` set, a shard that would
    hold more guilds is closed with 4011 (sharding required). ``GET /gateway/bot`` recommends
    enough shards for ``guilds_per_shard``. A new IDENTIFY for a shard replaces that shard's
    earlier session.
    """

    def __init__(self, *, token: str, heartbeat_interval: int) -> None:
        super().__init__()
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.guilds_per_shard: int | None = None  # Discord's limit is 2500
        self.max_concurrency = 1  # IDENTIFYs per 5 s that /gateway/bot advertises
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads (token, intents, ...)
        self.resumes = 0
        self.replayed = 0  # dispatches re-sent on RESUME
        self.heartbeats = 0
        self.heartbeat_times: list[float] = []  # time.monotonic() of each heartbeat received
        self.connections = 0
        self.intents = 0  # intents of the last IDENTIFY
        self.sessions: dict[str, Session] = {}  # by session id
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Event()  # set (and replaced) whenever a session changes
        self._send_lock = asyncio.Lock()
        self._dispatch_lock = asyncio.Lock()

    @property
    def gateway_url(self) -> str:
        """Gateway URL, ``ws://127.0.0.1:PORT/gateway`` (what ``DEFAULT_GATEWAY`` holds)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def recommended_shards(self) -> int:
        """The ``shards`` that ``GET /gateway/bot`` answers."""
        if not self.guilds_per_shard:
            return 1
        return max(1, math.ceil(len(self.guilds) / self.guilds_per_shard))

    def is_live(self) -> bool:
        """Whether a gateway session is live (READY or RESUMED sent, not dropped since)."""
        return any(s.live for s in self.sessions.values())

    def has_session(self) -> bool:
        """Whether there is a session to dispatch to (live, or dropped but resumable)."""
        return bool(self.sessions)

    def live_shards(self) -> list[tuple[int, int]]:
        """The (shard id, shard count) of every live session, sorted."""
        return sorted(s.shard for s in self.sessions.values() if s.live)

    def session_of(self, shard_id: int) -> Session:
        """The session of one shard (LookupError if that shard has none)."""
        for session in self.sessions.values():
            if session.shard[0] == shard_id:
                return session
        raise LookupError(f"no session on shard {shard_id}; live: {self.live_shards()}")

    async def wait_connected(self, timeout: float = 5.0, *, shards: int = 1) -> None:
        """Wait until ``shards`` gateway sessions are live (one, unless sharded)."""
        async with asyncio.timeout(timeout):
            while sum(s.live for s in self.sessions.values()) < shards:
                await self._changed.wait()

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _targets(self, shard: int | None) -> list[Session]:
        return [s for s in self.sessions.values() if shard is None or s.shard[0] == shard]

    async def send_op(self, op: int, d: Any = None, *, shard: int | None = None) -> None:
        """Send a raw non-dispatch opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION) to every
        session's connection, or to one shard's."""
        for session in self._targets(shard):
            if session.ws is not None:
                await self._send(session.ws, {"op": op, "d": d, "s": None, "t": None})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (op 0) event to the session(s) whose shard holds its guild (DMs:
        shard 0); while a session is not live (dropped, reconnecting) the event waits in its
        backlog for the RESUME to replay it. No session holds the guild: it is not delivered."""
        if not self.sessions:
            raise RuntimeError("no gateway session; await server.wait_connected() first")
        guild_id = data.get("id") if event == "GUILD_CREATE" else data.get("guild_id")
        for session in list(self.sessions.values()):
            if session.holds(guild_id):
                await self._dispatch_to(session, event, data)

    async def _dispatch_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        async with self._dispatch_lock:
            session.seq += 1
            payload = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.backlog.append(payload)
            if session.live and session.ws is not None:
                await self._send(session.ws, payload)

    async def drop_gateway(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the gateway connection (of every session, or of one shard's); discord.py
        then reconnects and RESUMEs."""
        for session in self._targets(shard):
            session.live = False
            if session.ws is not None:
                await session.ws.close(code=code)
        self._touch()

    async def request_reconnect(self, *, shard: int | None = None) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs; what is dispatched meanwhile is
        replayed then."""
        for session in self._targets(shard):
            session.live = False  # the client stops reading this connection
        self._touch()
        await self.send_op(7, shard=shard)

    async def invalidate_session(self, *, resumable: bool = False,
                                 shard: int | None = None) -> None:
        """Send op 9 INVALID_SESSION. Not resumable: the session and its backlog are gone, so
        discord.py IDENTIFYs afresh; dispatches until then are lost, as on Discord."""
        targets = self._targets(shard)
        for session in targets:
            session.live = False
        self._touch()
        for session in targets:
            if session.ws is not None:
                await self._send(session.ws, {"op": 9, "d": resumable, "s": None, "t": None})
            if not resumable:
                self.sessions.pop(session.id, None)

    async def close_sockets(self, code: int = 1001) -> None:
        """Close every gateway connection (the server is stopping)."""
        for session in self.sessions.values():
            session.live = False
        for ws in list(self._sockets):
            await ws.close(code=code)

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(payload))  # TEXT frames: never compressed

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections += 1
        try:
            await self._send(ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval},
                                  "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_op(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws, session.live = None, False
            self._touch()
        return ws

    def _bind(self, session: Session, ws: web.WebSocketResponse) -> web.WebSocketResponse | None:
        """Put the session on this connection; the connection it was on before, if another."""
        old, session.ws = session.ws, ws
        return old if old is not None and old is not ws else None

    async def _on_op(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:  # HEARTBEAT
            self.heartbeats += 1
            self.heartbeat_times.append(time.monotonic())
            await self._send(ws, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            await self._identify(ws, d)
        elif op == 6:  # RESUME: replay what the client missed, in order, then RESUMED
            self.resumes += 1
            session = self.sessions.get(d.get("session_id"))
            if d.get("token") != self.token or session is None:
                await self._send(ws, {"op": 9, "d": False, "s": None, "t": None})
                return
            old = self._bind(session, ws)
            async with self._dispatch_lock:
                missed = [e for e in session.backlog if e["s"] > (d.get("seq") or 0)]
                for event in missed:
                    await self._send(ws, event)
                self.replayed += len(missed)
                session.live = True
            self._touch()
            if old is not None:
                await old.close(code=4000)
            await self._dispatch_to(session, "RESUMED", {})
        elif op == 8:  # REQUEST_GUILD_MEMBERS
            guild = self.guild_of(d.get("guild_id"))
            session = next((s for s in self.sessions.values() if s.ws is ws), None)
            if session is not None:
                await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", {
                    "guild_id": guild.id, "members": list(guild.members.values()),
                    "chunk_index": 0, "chunk_count": 1, "nonce": d.get("nonce")})

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        self.identifies.append(d)
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = d.get("shard") or [0, 1]
        valid = (isinstance(shard, list) and len(shard) == 2
                 and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
                 and shard[1] >= 1 and 0 <= shard[0] < shard[1])
        if not valid:
            await ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        shard_id, count = shard
        held = [g for g in self.guilds if p.shard_of(g, count) == shard_id]
        if self.guilds_per_shard and len(held) > self.guilds_per_shard:
            await ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return
        for other in [s for s in self.sessions.values() if s.shard[0] == shard_id]:
            del self.sessions[other.id]  # one session per shard: the new one replaces it
            if other.ws is not None and other.ws is not ws:
                await other.ws.close(code=4000)
        self.intents = int(d.get("intents", 0))
        session = Session(secrets.token_hex(16), (shard_id, count), self.intents, ws=ws,
                          live=True)
        self.sessions[session.id] = session
        self._touch()
        await self._dispatch_to(session, "READY", self._ready_payload(session, held))
        for guild_id in held:
            await self._dispatch_to(session, "GUILD_CREATE",
                                    self.guild_create_payload(session.intents, guild_id))

    def _ready_payload(self, session: Session, held: list[str]) -> dict[str, Any]:
        ready = {
            "v": 10, "user": self.users["bot"], "session_id": session.id,
            "guilds": [{"id": g, "unavailable": True} for g in held],
            "resume_gateway_url": self.gateway_url,
            "application": {"id": self.application_id, "flags": 0},
            "private_channels": [], "relationships": [], "presences": [],
        }
        if session.shard != (0, 1):
            ready["shard"] = list(session.shard)
        return ready
