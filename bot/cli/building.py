"""Building the index from the command line: a progress bar on stderr, then what changed;
and a first build before a command that needs an index."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.settings import Settings
from bot.terminal import describe_report, skipped_lines
from index import BriefingIndex, IndexMissing, ReindexReport
from index.errors import cause


@contextmanager
def progress_bar(label: str, unit: str = "passage") -> Iterator[Callable[[int, int], None]]:
    """A stderr progress bar fed by `progress(done, total)` callbacks."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def reindex_with_progress(index: BriefingIndex, corpus: Path, out: TextIO,
                          allow_empty: bool = False) -> ReindexReport:
    """Reindex `corpus` with a progress bar, then say on `out` what changed (`allow_empty`:
    see `BriefingIndex.reindex`)."""
    with progress_bar("Embedding") as update:
        report = index.reindex(corpus, update, allow_empty=allow_empty)
    for line in report_lines(report):
        print(line, file=out)
    return report


def report_lines(report: ReindexReport) -> list[str]:
    """What a reindex did; when it left no passages, only the files it skipped (the caller
    says the index is empty in one line rather than in counts of nothing)."""
    if report.passages:
        return describe_report(report)
    return skipped_lines(report)


def ensure_index(index: BriefingIndex, settings: Settings) -> None:
    """Build the index first when it is missing or from an older format (with progress)."""
    reason = index.build_needed()
    if reason is None:
        return
    if isinstance(reason, IndexMissing):
        print(f"No index yet in {index.location}; indexing {settings.corpus_dir} first.",
              file=sys.stderr)
    else:
        print(f"{cause(reason)}: rebuilding it from {settings.corpus_dir}.", file=sys.stderr)
    reindex_with_progress(index, settings.corpus_dir, sys.stderr)
