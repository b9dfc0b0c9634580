"""Connecting to PostgreSQL: one-line errors, and numpy <-> halfvec in binary."""

from __future__ import annotations

import struct

import numpy as np
import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.conninfo import conninfo_to_dict
from psycopg.types import TypeInfo

from index.errors import IndexNotWritable
from index.store.postgres.schema import MissingExtension, ensure_schema

CONNECT_TIMEOUT_S = 5


class DatabaseUnavailable(IndexNotWritable):
    """The database cannot be used (wrong URL, server down, missing extension, no rights).

    A subclass of IndexNotWritable so that a reindex reports it like any store that refuses
    writes; readers see a BriefingError with a one-line message.
    """


def describe(url: str) -> str:
    """Where a URL points, without its password, to follow "the": "database briefing on
    db.example:5432"."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "database at an unparsable URL"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"database {info.get('dbname') or info.get('user') or ''!s} on {host}{port}"


def one_line(err: BaseException) -> str:
    """The first line of a driver error, without libpq's "connection failed:" noise."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:240]


class HalfVec(np.ndarray):
    """Marker type: a float vector to send as a pgvector halfvec (binary)."""


class _HalfVecDumper(Dumper):
    format = psycopg.pq.Format.BINARY

    def dump(self, obj: np.ndarray) -> bytes:
        values = np.asarray(obj, dtype=">f2").ravel()
        return struct.pack(">HH", len(values), 0) + values.tobytes()


class _HalfVecLoader(Loader):
    format = psycopg.pq.Format.BINARY

    def load(self, data) -> np.ndarray:
        dim = struct.unpack_from(">H", data)[0]
        return np.frombuffer(bytes(data[4:4 + 2 * dim]), dtype=">f2").astype(np.float32)


def connect(url: str, schema: str, autocommit: bool = True) -> psycopg.Connection:
    """A connection with the schema in place and halfvec adapted; raises DatabaseUnavailable
    with one line naming the problem (bad URL, server down, missing extension)."""
    where = describe(url)
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        # libpq's message quotes the part it could not parse, which may be the password
        raise DatabaseUnavailable(f"invalid database URL in {type(err).__name__}: it cannot be "
                                  "parsed as postgresql://user:password@host/database") from None
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as err:
        raise DatabaseUnavailable(f"cannot connect to the {where}: {one_line(err)}") from None
    try:
        was = conn.autocommit
        conn.autocommit = True
        ensure_schema(conn, schema)
        conn.autocommit = was
        info = TypeInfo.fetch(conn, "halfvec")
        if info is None:
            raise MissingExtension("the 'vector' extension is not enabled")
        info.register(conn)
        dumper = type("HalfVecDumper", (_HalfVecDumper,), {"oid": info.oid})
        conn.adapters.register_dumper(HalfVec, dumper)
        conn.adapters.register_loader(info.oid, _HalfVecLoader)
    except MissingExtension as err:
        conn.close()
        raise DatabaseUnavailable(f"the {where} cannot hold the index: {err}") from None
    except psycopg.Error as err:
        conn.close()
        raise DatabaseUnavailable(f"the {where} refused the index schema: "
                                  f"{one_line(err)}") from None
    return conn


def as_halfvec(vector: np.ndarray) -> HalfVec:
    """Wrap a vector so psycopg sends it as a binary halfvec."""
    return np.asarray(vector, dtype=np.float32).view(HalfVec)
