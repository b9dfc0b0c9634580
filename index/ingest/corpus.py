"""Saving a new article into the corpus: validated first, stored as Markdown with front matter.

File names are generated from the title and a content hash, never taken from the user.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import yaml

from index.ingest.articles import Article, parse_article

MAX_SLUG = 60


def save_article(corpus_dir: Path, raw: bytes, suffix: str, source: str = "") -> tuple[Path,
                                                                                         Article]:
    """Parse `raw` (as a file of `suffix`), then write it to the corpus; raises ArticleError.

    HTML is stored as its extracted main text, so what is indexed is what was checked here.
    """
    suffix = suffix.lower()
    article = parse_article(raw, "incoming", "incoming" + suffix, suffix)
    source = source or article.source
    text = to_markdown(article.title, source, article.published, article.body)
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    path = corpus_dir / f"{slug(article.title)}-{digest}.md"
    tmp = corpus_dir / f".{path.name}.{secrets.token_hex(3)}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path, article


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
