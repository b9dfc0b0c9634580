"""Where an index lives, by location: a folder (the default) or a database URL.

A backend registers the URL schemes it serves in `SCHEMES`; a third backend is one new module
plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.errors import IndexNotWritable
from index.store.base import Backend
from index.store.local import LocalBackend


def _postgres(url: str) -> Backend:
    try:
        from index.store.postgres import PostgresBackend
    except ModuleNotFoundError as err:  # psycopg: the [postgres] extra
        raise IndexNotWritable(f"a PostgreSQL index needs {err.name}: "
                               f"pip install -e '.[postgres]'") from None
    return PostgresBackend(url)


SCHEMES: dict[str, Callable[[str], Backend]] = {
    "postgresql": _postgres,
    "postgres": _postgres,
}


def open_backend(location: str | Path) -> Backend:
    """The backend for `location`: a registered URL scheme, else a local index folder."""
    text = str(location)
    scheme, separator, _ = text.partition("://")
    if separator and scheme.lower() in SCHEMES:
        return SCHEMES[scheme.lower()](text)
    return LocalBackend(Path(location))
