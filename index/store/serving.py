"""The snapshot a process serves, and when a replaced one is closed.

A reindex (or another process's) swaps in a new snapshot while questions may still be reading
the old one. Each question leases the snapshot it reads; a replaced snapshot is closed when
its last lease ends, or at once when none is held, instead of whenever the garbage collector
gets to it (a PostgreSQL snapshot holds a database connection).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from index.store.snapshot import Snapshot


class Served:
    """The current snapshot and the number of leases held on each snapshot (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._leases: dict[int, int] = {}  # id(snapshot) -> leases held
        self._retired: dict[int, Snapshot] = {}  # replaced, still leased

    @property
    def current(self) -> Snapshot | None:
        """The snapshot new leases get (None before the first is loaded)."""
        return self._current

    def replace(self, snapshot: Snapshot) -> None:
        """Serve `snapshot` from now on; the one it replaces is closed once unleased."""
        with self._lock:
            old, self._current = self._current, snapshot
            if old is None or old is snapshot:
                return
            if self._leases.get(id(old)):
                self._retired[id(old)] = old
                return
        old.close()

    @contextmanager
    def lease(self) -> Iterator[Snapshot]:
        """The current snapshot, kept open until the block ends."""
        with self._lock:
            snapshot = self._current
            if snapshot is None:
                raise RuntimeError("no snapshot is served yet")
            self._leases[id(snapshot)] = self._leases.get(id(snapshot), 0) + 1
        try:
            yield snapshot
        finally:
            with self._lock:
                left = self._leases.pop(id(snapshot)) - 1
                if left:
                    self._leases[id(snapshot)] = left
                retired = None if left else self._retired.pop(id(snapshot), None)
            if retired is not None:
                retired.close()
