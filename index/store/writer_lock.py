"""One writer per index folder, across processes: a reindex holds a lock file while it builds.

Two reindexes at once (a cron job during an `/add`) would otherwise each clean up what the
other is still writing. The lock is an OS file lock (flock through `filelock`), so the kernel
releases it when its holder dies: a killed reindex never leaves the folder locked.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from index.errors import PREVIOUS_STILL_ANSWERS, IndexNotWritable, ReindexRunning

log = logging.getLogger(__name__)

LOCK_NAME = ".reindex.lock"
# How long a second reindex waits for the first before giving up (a full rebuild of a large
# archive takes minutes on two cores).
DEFAULT_WAIT_S = 3600.0


@contextmanager
def writer_lock(index_dir: Path, wait_s: float = DEFAULT_WAIT_S,
                on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the index folder's writer lock; wait up to `wait_s` seconds for another holder.

    Raises IndexNotWritable when the folder cannot be created or written (checked here, before
    any embedding work), ReindexRunning when another reindex still holds it after `wait_s`.
    """
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(index_dir / LOCK_NAME, is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning("another reindex of %s is running; waiting for it to finish (the "
                        "lock is freed when that process ends: deleting %s would let both "
                        "write at once)", index_dir, LOCK_NAME)
            if on_wait is not None:
                on_wait()
            lock.acquire(timeout=wait_s)
    except Timeout:
        raise ReindexRunning(f"another reindex of {index_dir} is still running after "
                             f"{wait_s:.0f} s; try again when it has finished") from None
    except OSError as err:
        raise not_writable(index_dir, err) from None
    try:
        yield
    finally:
        lock.release()


def not_writable(index_dir: Path, err: Exception) -> IndexNotWritable:
    """The one-line error for an index folder that refuses writes (read-only, full, no rights)."""
    if isinstance(err, OSError):
        reason = err.strerror or errno.errorcode.get(err.errno or 0) or type(err).__name__
    else:  # sqlite3 and faiss report a full disk in their own exception types
        reason = " ".join(str(err).split())[:200] or type(err).__name__
    return IndexNotWritable(f"cannot write the index in {index_dir} ({reason})"
                            + PREVIOUS_STILL_ANSWERS)
