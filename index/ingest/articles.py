"""Reading article files (.md, .txt, .html) into bodies with paragraph offsets."""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import yaml

from index.errors import ArticleError, CorpusMissing, CorpusUnreadable
from index.ingest.dates import published_date

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
ARTICLE_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
# A line of spaces, tabs, no-break or zero-width spaces (what pages pasted from the web hold
# between paragraphs) is blank.
_BLANK = r"(?:[^\S\n]|[\u200b\u2060\ufeff])*"
_BLANK_LINE = re.compile(rf"\n{_BLANK}\n")
_HEADING = re.compile(r"\A#{1,6}[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
# A plain-text file's first line as its title: short, not ending as a sentence does, and
# followed by a blank line and more text (a saved article's headline). Left in the body, it
# goes as `_without_title` takes a repeated title.
_HEADLINE = re.compile(rf"\A([^\n]{{0,149}}[^\s.!?:;,\"”’'\-])[^\S\n]*\n{_BLANK}\n\s*\S")
_NOT_A_HEADLINE = re.compile(r"by\s|updated\s|published\s", re.IGNORECASE)  # bylines


@dataclass(frozen=True)
class Article:
    """One article: its text body and where each body paragraph lies in it."""

    id: str
    path: str
    title: str
    source: str
    published: str
    body: str
    paragraphs: tuple[tuple[int, int], ...]
    content_hash: str


@dataclass(frozen=True)
class Skipped:
    """A file of the corpus that was not indexed, and why."""

    path: str
    reason: str


def check_corpus_folder(corpus_dir: Path | str) -> Path:
    """`corpus_dir` as a Path; raises CorpusMissing, saying why, unless it is a folder."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusMissing(f"corpus directory {corpus_dir} " + (
            "is a file, not a folder" if corpus_dir.exists() else "does not exist"))
    return corpus_dir


def read_corpus(corpus_dir: Path, max_bytes: int | None = None
                ) -> tuple[list[Article], list[Skipped]]:
    """Read every article file under `corpus_dir`, skipping (and naming) bad ones.

    Files larger than `max_bytes` are skipped too: a dumped book or log would take minutes
    to embed and crowd every answer. Skips are logged at INFO only: the reindex report names
    each one, and `briefing reindex` and the bot's /reindex reply show that report.
    """
    corpus_dir = check_corpus_folder(corpus_dir)
    articles: list[Article] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    root = corpus_dir.resolve()
    paths, linked_folders = _article_paths(corpus_dir)
    for link in linked_folders:  # named, or its articles would be missing without a word
        rel = link.relative_to(corpus_dir).as_posix()
        log.info("skipped %s: a link to a folder", rel)
        skipped.append(Skipped(rel, "a link to a folder, not followed: put its articles "
                                    "themselves in the corpus"))
    for path in paths:
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:  # bytes the file system gave that are not UTF-8
            shown = rel.encode("utf-8", errors="surrogateescape").decode("utf-8", "replace")
            reason = "its name is not valid UTF-8: rename it"
            log.info("skipped %s: %s", shown, reason)
            skipped.append(Skipped(shown, reason))
            continue
        if not path.is_file():
            reason = ("a broken link (its target is missing or links back)" if path.is_symlink()
                      else "not a regular file")
            log.info("skipped %s: %s", rel, reason)
            skipped.append(Skipped(rel, reason))
            continue
        if not path.resolve().is_relative_to(root):  # a link out of the corpus: never read
            log.info("skipped %s: a link to a file outside the corpus", rel)
            skipped.append(Skipped(rel, "a link to a file outside the corpus"))
            continue
        article_id = rel.rsplit(".", 1)[0]
        if article_id in seen:
            skipped.append(Skipped(rel, f"same article id as {seen[article_id]}"))
            continue
        try:
            article = read_article(path, article_id, rel, max_bytes)
        except ArticleError as err:
            log.info("skipped %s: %s", rel, err)
            skipped.append(Skipped(rel, str(err)))
            continue
        seen[article_id] = rel
        articles.append(article)
    return articles, skipped


def _article_paths(corpus_dir: Path) -> tuple[list[Path], list[Path]]:
    """Every entry under `corpus_dir` with an article suffix, in path order, outside hidden
    files and folders; and the links to folders found, which are not followed. A folder that
    cannot be listed raises CorpusUnreadable: its articles would otherwise drop out of the
    index unnamed."""
    def unreadable(err: OSError) -> None:
        where = Path(err.filename or corpus_dir)
        name = str(corpus_dir) if where == corpus_dir else \
            f"{where.relative_to(corpus_dir).as_posix()}/ in {corpus_dir}"
        raise CorpusUnreadable(f"cannot read the corpus folder {name} "
                               f"({err.strerror or type(err).__name__}); nothing was changed")

    paths, links = [], []
    for folder, dirs, names in os.walk(corpus_dir, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        links += [Path(folder) / d for d in dirs if (Path(folder) / d).is_symlink()]
        paths += [Path(folder) / n for n in names
                  if not n.startswith(".") and Path(n).suffix.lower() in ARTICLE_SUFFIXES]
    return sorted(paths), sorted(links)


def read_article(path: Path, article_id: str, rel: str | None = None,
                 max_bytes: int | None = None) -> Article:
    """Parse one article file; raises ArticleError when it has no usable text or is larger
    than `max_bytes`."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read() if max_bytes is None else file.read(max_bytes + 1)
    except OSError as err:  # vanished, unreadable, a directory: skip it, keep the rest
        raise ArticleError(f"could not be read ({err.strerror or type(err).__name__})") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise ArticleError(f"larger than the {_megabytes(max_bytes)} article size limit")
    return parse_article(raw, article_id, rel or Path(path).name, Path(path).suffix.lower())


def parse_article(raw: bytes, article_id: str, rel: str, suffix: str) -> Article:
    """Parse the bytes of an article file of the given suffix."""
    if not raw.strip():
        raise ArticleError("empty file")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # What Windows editors save as "Unicode"; garbage can start the same way, so it is
        # named, not guessed at.
        raise ArticleError("UTF-16 text (a byte-order mark): save it as UTF-8")
    if b"\x00" in raw:
        raise ArticleError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        text = _declared_html_text(raw) if suffix in HTML_SUFFIXES else None
        if text is None:
            raise ArticleError(f"not valid UTF-8 (byte {err.start}): save it as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    content_hash = hashlib.sha256(raw).hexdigest()
    if suffix in HTML_SUFFIXES:
        meta, body = _from_html(text)
    else:
        meta, body = _split_front_matter(text, rel)
        if not meta.get("title"):
            heading = _HEADING.match(body.lstrip("\n"))
            if heading:
                meta["title"] = heading.group(1).strip()
                body = body.lstrip("\n")[heading.end():]
            elif suffix == ".txt" and (headline := _headline(body.lstrip())):
                meta["title"] = headline
    if meta.get("title"):
        body = _without_title(body, meta["title"])
    paragraphs = paragraph_spans(body)
    if not paragraphs:
        raise ArticleError(_no_text(text, body, suffix))
    title = meta.get("title") or _title_from_id(article_id)
    return Article(
        id=article_id,
        path=rel,
        title=title,
        source=meta.get("source", ""),
        published=meta.get("published") or meta.get("date", ""),
        body=body,
        paragraphs=tuple(paragraphs),
        content_hash=content_hash,
    )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
                           re.IGNORECASE)


def _declared_html_text(raw: bytes) -> str | None:
    """A page saved in the encoding its `<meta charset>` names (windows-1252, ISO-8859-9 on
    older news sites), decoded; None when it names none that fits."""
    match = _META_CHARSET.search(raw[:4096])
    if match is None:
        return None
    try:
        return raw.decode(match.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def article_from_text(article_id: str, title: str, body: str, source: str = "",
                      published: str = "") -> Article:
    """An article made from text already in memory (evaluation sets, fetched pages)."""
    paragraphs = paragraph_spans(body)
    if not paragraphs:
        raise ArticleError(f"{article_id}: no text")
    digest = hashlib.sha256(f"{title}\0{source}\0{published}\0{body}".encode()).hexdigest()
    return Article(article_id, article_id, title or _title_from_id(article_id), source,
                   published, body, tuple(paragraphs), digest)


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: blocks between blank lines, or lines when there are none."""
    separator = _BLANK_LINE if _BLANK_LINE.search(body.strip()) else re.compile(r"\n")
    spans = []
    cursor = 0
    for match in [*separator.finditer(body), None]:
        stop = match.start() if match else len(body)
        block = body[cursor:stop]
        stripped = block.strip()
        if stripped and re.search(r"\w", stripped):
            start = cursor + block.index(stripped[0])
            spans.append((start, start + len(stripped)))
        if match:
            cursor = match.end()
    return spans


def _headline(text: str) -> str | None:
    """The first line of a plain-text article when it reads as its headline (`_HEADLINE`),
    not a byline or a date."""
    match = _HEADLINE.match(text)
    if match is None or _NOT_A_HEADLINE.match(match.group(1)):
        return None
    line = match.group(1).strip()
    return None if published_date(line) is not None else line


def _without_title(body: str, title: str) -> str:
    """The body without a first line that repeats the title (a page's headline, or a
    Markdown `# Title` under front matter that names it): it is not the article's first
    paragraph, and would shift every paragraph number a reader counts."""
    text = body.lstrip()
    first = text.split("\n", 1)[0]
    if " ".join(first.lstrip("#").split()).casefold() != " ".join(title.split()).casefold():
        return body
    return text[len(first):]


# A page whose text a script fills in, or that shows it only after a login, holds none
_NO_HTML_TEXT = ("no article text in the HTML (it may need a login or JavaScript to show its "
                "text): copy its text into a .txt or .md file")


def _no_text(text: str, body: str, suffix: str) -> str:
    """Why a file gave no paragraph, in its own terms."""
    if suffix in HTML_SUFFIXES:
        return _NO_HTML_TEXT
    if _FRONT_MATTER.match(text) and not body.strip():
        return "no text after front matter"
    if _HEADING.match(text.lstrip("\n")) and not body.strip():
        return "only a heading, no text"
    return "no text (no words, only marks)" if text.strip() else "no text"


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML in which dates stay text: a value such as `published: 2025-13-45` would
    otherwise fail the whole front matter (and lose its title with it), and free-text dates
    are read later anyway (index/ingest/dates.py)."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _split_front_matter(text: str, rel: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.load(match.group(1), Loader=_FrontMatterLoader)  # a SafeLoader
    except (yaml.YAMLError, RecursionError, ValueError):  # deep nesting raises RecursionError
        # Most often a colon in a title ("title: Breaking: Fed raises rates"): each line of
        # the keys we read is taken as it stands.
        data = _key_lines(match.group(1))
        log.warning("%s: front matter is not valid YAML; read %s line by line", rel,
                    ", ".join(data) or "no key")
    if not isinstance(data, dict):
        log.warning("%s: ignoring front matter that is not a mapping of keys to values", rel)
        data = {}
    meta = {str(k).lower(): _as_text(v) for k, v in data.items() if v is not None}
    return meta, text[match.end():]


_KEY_LINE = re.compile(r"^(title|source|published|date)[ \t]*:[ \t]*(.*?)[ \t]*$",
                       re.IGNORECASE | re.MULTILINE)


def _key_lines(front_matter: str) -> dict[str, str]:
    """`key: value` lines of the keys an article has, the value as written (one pair of
    enclosing quotes removed), from front matter that YAML cannot read."""
    found = {}
    for key, value in _KEY_LINE.findall(front_matter):
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found.setdefault(key.lower(), value)
    return found


def _as_text(value: object) -> str:
    """A front matter value as one line of text: a YAML escape such as "\\ud800" gives a lone
    surrogate, which no encoder or database takes; it becomes U+FFFD."""
    if isinstance(value, list | dict):
        return ""
    return _LONE_SURROGATE.sub("\ufffd", " ".join(str(value).split()))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# trafilatura's time grows with the square of some pages: with the number of paragraphs (an
# XPath over the text of every <p>), and with the number of elements it deletes from a long
# stretch of text times that text's length (each deletion copies the text around it). A 2 MB
# page of 160,000 `<p>x y z</p>` took 35 s, one of 20,000 empty <span>s amid 4 MB of words
# 128 s. Below both limits the worst such pages tried took under 3 s; 109 saved news pages (up to
# 900 kB) have at most 4,700 elements and 1.3 million in the second measure.
MAX_HTML_ELEMENTS = 20_000
MAX_HTML_TEXT_WORK = 500_000_000  # elements in one block times the characters of text amid them


def _check_extractable(html: str) -> None:
    """Raise ArticleError for a page trafilatura would take minutes over (see the limits).
    The page is parsed as trafilatura parses it (lxml: a 2 MB page in about 0.1 s), so what
    is counted is elements, not "<" inside scripts."""
    from lxml import etree
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return
    if next(islice(tree.iter(etree.Element), MAX_HTML_ELEMENTS, None), None) is not None:
        raise ArticleError(f"HTML with more than {MAX_HTML_ELEMENTS:,} elements: too many to "
                           "extract its text in reasonable time")
    for block in tree.iter(etree.Element):
        if len(block) > 1:
            chars = len(block.text or "") + sum(len(child.tail or "") for child in block)
            if len(block) * chars > MAX_HTML_TEXT_WORK:
                raise ArticleError(f"HTML with {len(block):,} elements strewn through "
                                   f"{chars:,} characters of text in one <{block.tag}>: too "
                                   "costly to extract its text")


def _from_html(html: str) -> tuple[dict[str, str], str]:
    _check_extractable(html)
    import trafilatura  # imported lazily: it is slow to import and only HTML needs it

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if doc is None:
        raise ArticleError(_NO_HTML_TEXT)
    data = doc if isinstance(doc, dict) else doc.as_dict()
    body = data.get("text") or ""
    meta = {
        "title": _as_text(data.get("title") or ""),
        "source": _as_text(data.get("url") or ""),
        "published": _as_text(data.get("date") or ""),
    }
    return meta, body


def _megabytes(size: int) -> str:
    return f"{size / 1e6:g} MB" if size >= 100_000 else f"{size:,} bytes"


def _title_from_id(article_id: str) -> str:
    name = article_id.rsplit("/", 1)[-1]
    return re.sub(r"[-_]+", " ", name).strip().capitalize() or article_id
