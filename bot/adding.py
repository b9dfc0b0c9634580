"""Adding an article, as `/add` and `briefing add` do: a page fetched within the guard of
`bot.fetch`, or a file (uploaded, or read from disk), saved into the corpus as Markdown (over
the article the same link gave before, if any) and readmitted; the caller reindexes and says
what happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path, PurePath

import yarl

from bot.fetch import MIN_PAGE_CHARS, FetchPolicy, clean_url, fetch
from index import BriefingError, BriefingIndex
from index.ingest.articles import ARTICLE_SUFFIXES, Article
from index.ingest.corpus import article_files, save_article

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """An article to add: its bytes and suffix, the link it is cited by ("" for a file;
    without tracking parameters or fragment) and the name that titles it when it has no
    title of its own (a file's name, a link's last part)."""

    raw: bytes
    suffix: str
    source: str
    name: str


@dataclass(frozen=True)
class Added:
    """What adding did: the article, its id, and whether it was `new` text (else the same
    text was in the corpus already) written over an `earlier` version."""

    article: Article
    article_id: str
    new: bool
    earlier: bool

    @property
    def done(self) -> str:
        """The reply's first words: "Added", "Updated" or "Already in the corpus, …"."""
        if not self.new:
            return "Already in the corpus, the same text:"
        return "Updated" if self.earlier else "Added"


async def fetch_link(url: str, policy: FetchPolicy) -> Incoming:
    """The page at `url`; raises FetchError with a reason for the user."""
    fetched = await fetch(url, policy)
    # Without tracking parameters or a fragment: one article shared with ?utm_source= or
    # #comments is the same article, not a second copy.
    link = yarl.URL(fetched.url)
    return Incoming(fetched.body, fetched.suffix, clean_url(fetched.url),
                    link.name or (link.host or "").removeprefix("www."))


def file_suffix(name: str, size: int, max_bytes: int) -> str:
    """The suffix of the article file `name` of `size` bytes; raises BriefingError when it is
    of a kind that is not indexed or larger than `max_bytes`."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise BriefingError("refused: only .txt, .md and .html files can be added")
    if size > max_bytes:
        raise BriefingError(f"refused: the file is larger than {max_bytes:,} bytes")
    return suffix


def read_file(path: Path, max_bytes: int) -> Incoming:
    """The article file at `path` on this machine, checked as an uploaded one is; raises
    BriefingError when there is no such file, or as `file_suffix` does."""
    if not path.is_file():
        raise BriefingError(f"no such file: {path} (a link starts with http:// or https://)")
    suffix = file_suffix(path.name, path.stat().st_size, max_bytes)
    raw = path.read_bytes()
    if len(raw) > max_bytes:  # it grew since
        raise BriefingError("refused: the file is larger than allowed")
    return Incoming(raw, suffix, "", path.name)


def earlier_file(index: BriefingIndex, corpus_dir: Path, source: str) -> Path | None:
    """The corpus file of the indexed article that came from the link `source` (added
    before, perhaps since edited, or taken from a feed), or None: also when the index cannot
    be read, as the page is then saved anew and the reindex after it rebuilds."""
    try:
        records = index.sources()
    except BriefingError as err:
        log.warning("cannot tell whether %s was added before: %s", source, err)
        return None
    for record in records:
        if record.source and clean_url(record.source) == source:
            files = article_files(corpus_dir, record.id)
            saved = [f for f in files if f.suffix == ".md"]  # as /add and feeds save
            if saved:
                return saved[0]
    return None


def save_incoming(index: BriefingIndex, corpus_dir: Path, page: Incoming,
                  earlier: Path | None = None) -> Added:
    """Save the article into the corpus and readmit it, removed before or not; raises
    ArticleError when it has under MIN_PAGE_CHARS of text (indexed, a one-line note was the
    whole briefing on its words and the closest passage of unrelated refusals). Blocking:
    call it off the event loop."""
    path, article, new = save_article(corpus_dir, page.raw, page.suffix, page.source,
                                      page.name, MIN_PAGE_CHARS, earlier)
    log.info("added %s as %s", page.source or "an attachment", path.name)
    article_id = path.relative_to(corpus_dir).with_suffix("").as_posix()
    index.readmit([article_id])
    return Added(article, article_id, new, earlier is not None)
