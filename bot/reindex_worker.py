"""Reindexing in a child process, so that embedding never shares the bot's memory or GIL.

The bot starts `python -m bot.reindex_worker SPEC` (SPEC: the corpus folder, the embedder's
options and the article size limit, as JSON; the index's address comes in the environment)
and reads one JSON object per line from its stdout:
``{"progress": [done, total]}``, ``{"waiting": true}`` (another process holds the index
folder's writer lock), then ``{"report": {...}}``, or ``{"error": "...", "kind": "..."}`` for
an error meant for the user (a `BriefingError`), or ``{"failed": "..."}`` for anything else
(the traceback goes to the child's stderr, which is the bot's). The bot then serves the new
generation. A child that dies midway changes nothing: generations are written atomically and
the kernel releases the writer lock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index import BriefingError, BriefingIndex, ReindexReport
from index import errors as index_errors
from index.ingest.articles import Skipped

log = logging.getLogger(__name__)

NICENESS = 10  # the child yields the CPU to the bot's event loop when both want it
LINE_LIMIT = 1 << 24  # the report names every skipped file
# Where the child finds the index: in its environment, not its arguments, which any local
# user can read (a database URL may hold a password).
INDEX_ADDRESS = "BRIEFING_REINDEX_INDEX"


class ReindexFailed(Exception):
    """The reindex process failed unexpectedly or died; its stderr has the details.
    `killed_by` is the signal that killed it, if one did."""

    def __init__(self, message: str, killed_by: int | None = None) -> None:
        super().__init__(message)
        self.killed_by = killed_by


def spec_of(index: BriefingIndex, corpus_dir: Path, allow_empty: bool = False) -> dict:
    """What the child needs to reindex exactly the folder `index` serves, with its model
    (`allow_empty`: see `BriefingIndex.reindex`)."""
    return {"corpus_dir": str(Path(corpus_dir).resolve()), "allow_empty": allow_empty,
            **index.build_options()}


def worker_command() -> list[str]:
    """How the bot starts the child: this interpreter, this module."""
    return [sys.executable, "-m", "bot.reindex_worker"]


@dataclass
class Reindexer:
    """Runs reindexes of a served index in a child process (one at a time: the caller's lock).

    `command` is what starts the child (tests replace it); `process` is the running child.
    """

    command: Sequence[str] = field(default_factory=worker_command)
    process: asyncio.subprocess.Process | None = None

    async def run(self, index: BriefingIndex, corpus_dir: Path,
                  progress: Callable[[int, int], None] | None = None,
                  on_wait: Callable[[], None] | None = None,
                  allow_empty: bool = False) -> ReindexReport:
        """Reindex `corpus_dir` into `index`'s folder in a child, then serve the result.

        Raises the child's `BriefingError` (a line fit to show) or ReindexFailed; either way
        the previous generation keeps being served.
        """
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *self.command, json.dumps(spec_of(index, corpus_dir, allow_empty)),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            env={**_child_env(), INDEX_ADDRESS: index.backend.address}, limit=LINE_LIMIT)
        self.process = process
        outcome: dict = {}
        try:
            assert process.stdout is not None
            async for raw in process.stdout:
                message = _parse(raw)
                if "progress" in message and progress is not None:
                    progress(*message["progress"])
                elif "waiting" in message and on_wait is not None:
                    on_wait()
                elif message.keys() & {"report", "error", "failed"}:
                    outcome = message
            status = await process.wait()
        finally:
            if process.returncode is None:  # cancelled (the bot is closing): stop the child
                process.kill()
            self.process = None
        if "error" in outcome:
            kind = getattr(index_errors, str(outcome.get("kind")), BriefingError)
            raise (kind if isinstance(kind, type) and issubclass(kind, BriefingError)
                   else BriefingError)(outcome["error"])
        if status != 0 or "report" not in outcome:
            raise ReindexFailed(_failure(status, outcome.get("failed")),
                                -status if status < 0 else None)
        report = report_from(outcome["report"])
        await asyncio.to_thread(index.reload)
        log.info("reindex process done in %.1f s (its peak RSS %s MB)",
                 time.monotonic() - started, outcome.get("peak_rss_mb"))
        return report

    def stop(self) -> None:
        """Kill the running child, if any (the bot is closing); the index is left as it was."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()


def _failure(status: int, failed: str | None) -> str:
    if failed:
        return f"the reindex process failed: {failed}"
    if status < 0:
        return f"the reindex process was killed ({signal.Signals(-status).name})"
    return f"the reindex process exited with status {status}"


def _parse(raw: bytes) -> dict:
    """One line of the child's stdout; a line that is not a JSON object is ignored."""
    try:
        message = json.loads(raw)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _child_env() -> dict[str, str]:
    """The bot's environment without its Discord token (the child never talks to Discord),
    with this checkout's packages first on the path."""
    root = str(Path(__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DISCORD_TOKEN"}
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))}


def report_to_dict(report: ReindexReport) -> dict:
    """A report as plain JSON values."""
    return asdict(report)


def report_from(values: dict) -> ReindexReport:
    """The report a child sent (see `report_to_dict`)."""
    return ReindexReport(**{**values, "skipped": [Skipped(**s) for s in values["skipped"]]})


def yield_cpu() -> None:
    """Make this process (and the threads it starts later) run only on CPU time the bot's
    other threads and processes leave: SCHED_IDLE where Linux offers it, else nice 10.

    A nice-10 thread still runs out its slice before a woken event loop gets the core; a
    SCHED_IDLE one is preempted at once. The policy ranks threads within their scheduling
    group (a container's cgroup, a login session's autogroup), so the reindex still gets
    its share of the machine against other programs.
    """
    os.nice(NICENESS)
    if hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            log.debug("SCHED_IDLE refused; running at nice %d", NICENESS, exc_info=True)


def main(argv: Sequence[str]) -> int:
    """The child: reindex what SPEC (argv[0]) names, reporting on stdout as JSON lines."""
    from index.ingest.embedding import Embedder
    from index.ingest.reindex import reindex
    from index.store.backends import open_backend

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s (reindex process): %(message)s")
    yield_cpu()
    spec = json.loads(argv[0])
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the messages' own channel:
    os.dup2(2, 1)  # whatever a library prints goes to stderr

    def emit(**message: object) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    try:
        embedder = Embedder(**spec["embedder"])
        report = reindex(open_backend(os.environ[INDEX_ADDRESS]), Path(spec["corpus_dir"]),
                         embedder,
                         lambda done, total: emit(progress=[done, total]),
                         spec["max_article_bytes"], lambda: emit(waiting=True),
                         spec.get("allow_empty", False))
    except BriefingError as err:
        emit(error=str(err), kind=type(err).__name__)
        return 1
    except Exception as err:  # noqa: BLE001 - reported in one line, traceback on stderr
        log.exception("reindex failed")
        emit(failed=f"{type(err).__name__}: {err}")
        return 1
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    emit(report=report_to_dict(report), peak_rss_mb=round(peak_kb / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
