"""Saving a new article into the corpus folder (validated first, stored as Markdown with front
matter) and finding the files of an article to remove it.

File names are generated from the title and a content hash, never taken from the user; an
article to remove is named by its id, which only ever matches files `read_corpus` would read.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import yaml

from index.errors import ArticleError, CorpusNotWritable
from index.ingest.articles import ARTICLE_SUFFIXES, Article, parse_article

MAX_SLUG = 60


def save_article(corpus_dir: Path, raw: bytes, suffix: str, source: str = "",
                 name: str = "", min_chars: int = 0,
                 replacing: Path | None = None) -> tuple[Path, Article, bool]:
    """Parse `raw` (as a file of `suffix`), then write it to the corpus; raises ArticleError,
    also when its text is shorter than `min_chars` (a fetched page, with its `source`, that is
    a cookie wall or needs JavaScript; an uploaded file that is a note, not an article).
    Returns the file, the article and whether it is new (False: the same text was there).
    `replacing`: the file of an earlier version (the same link added before, or taken from a
    feed), written over instead of adding a second copy.

    HTML is stored as its extracted main text, so what is indexed is what was checked here.
    `name` (an uploaded file's name, a link's last part) titles an article without a title
    of its own, as a file's name does in the corpus folder.
    """
    suffix = suffix.lower()
    stem = PurePosixPath(name.replace("\\", "/")).name.rsplit(".", 1)[0].strip(" .")
    stem = stem if any(c.isalnum() for c in stem) else "incoming"
    article = parse_article(raw, stem, stem + suffix, suffix)
    if len(article.body) < min_chars:
        if source:
            raise ArticleError(f"the page has only {len(article.body)} characters of text, too "
                               "few for an article (it may need a login or JavaScript to show "
                               "one)")
        raise ArticleError(f"the file has only {len(article.body)} characters of text, too few "
                           f"for an article (at least {min_chars:,})")
    source = source or article.source
    text = to_markdown(article.title, source, article.published, article.body)
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    path = corpus_dir / f"{slug(article.title)}-{digest}.md"  # the same text, the same name
    if replacing is not None and replacing.is_file():
        path = replacing
        if _holds(path, text):
            return path, article, False
    elif path.is_file():
        return path, article, False
    tmp = corpus_dir / f".{path.name}.{secrets.token_hex(3)}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path, article, True


def _holds(path: Path, text: str) -> bool:
    """Whether the file at `path` reads `text` already."""
    try:
        return path.read_text("utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def article_files(corpus_dir: Path, article_id: str) -> list[Path]:
    """The files of the corpus folder that `read_corpus` names `article_id` (its path below the
    folder without the suffix; `a.md` and `a.txt` share one id, and only one is read).

    An id that is not a plain relative path (absolute, `..`, a hidden part) names no file, and
    neither does a file that resolves outside the folder, nor one below a linked folder
    (`read_corpus` does not follow those, so its id names another article or none).
    """
    parts = PurePosixPath(article_id).parts
    if (not parts or "\0" in article_id or PurePosixPath(article_id).as_posix() != article_id
            or PurePosixPath(article_id).is_absolute()
            or any(part.startswith(".") for part in parts)):
        return []
    corpus_dir = Path(corpus_dir)
    folder = corpus_dir.joinpath(*parts[:-1])
    try:
        root = corpus_dir.resolve()
        if not folder.is_dir() or folder.resolve() != root.joinpath(*parts[:-1]):
            return []
        entries = sorted(folder.iterdir())
        return [path for path in entries
                if path.suffix.lower() in ARTICLE_SUFFIXES
                and path.name.rsplit(".", 1)[0] == parts[-1]
                and path.is_file() and path.resolve().is_relative_to(root)]
    except OSError:
        return []


def check_deletable(paths: Sequence[Path]) -> None:
    """Raise CorpusNotWritable, naming the first of `paths` (the files of one article) whose
    folder refuses writes, so that the article's removal stops before it deletes any."""
    for path in paths:
        if not os.access(path.parent, os.W_OK):
            raise CorpusNotWritable(f"cannot remove {path}: its folder is not writable")


def delete_files(paths: Sequence[Path]) -> None:
    """Delete article files (a link is removed, never what it points to); raises
    CorpusNotWritable for one that cannot be (call `check_deletable` first)."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            raise CorpusNotWritable(f"cannot remove {path}: {err.strerror or err}") from None


def to_markdown(title: str, source: str, published: str, body: str) -> str:
    """An article file: YAML front matter, a blank line, then the body."""
    meta = {"title": title, "source": source, "published": published}
    front = yaml.safe_dump({k: v for k, v in meta.items() if v}, allow_unicode=True,
                           sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{body.strip()}\n"


def slug(title: str) -> str:
    """A safe file-name stem from a title: lowercase ASCII words joined by hyphens."""
    from index.store.lexical import fold

    words = re.findall(r"[a-z0-9]+", fold(title))
    text = "-".join(words)[:MAX_SLUG].strip("-")
    return text or "article"
