"""What someone may type to name an article or an outlet: an article's id in any case, its
whole title (in any case and spacing), or an outlet with or without "www."."""

from __future__ import annotations

from collections.abc import Sequence

from index.store.metadata import ArticleRecord


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _by_id(value: str, records: Sequence[ArticleRecord]) -> str | None:
    ids = [r.id for r in records]
    if value in ids:
        return value
    folded = [i for i in ids if i.casefold() == value.casefold()]
    return folded[0] if len(folded) == 1 else None


def _by_title(value: str, records: Sequence[ArticleRecord]) -> str | None:
    wanted = _folded(value)
    titled = [r.id for r in records if _folded(r.title) == wanted]
    return titled[0] if wanted and len(titled) == 1 else None


def article_named(value: str, records: Sequence[ArticleRecord]) -> str | None:
    """The id of the article `value` names (its id, or its whole title when no other
    article has that title), or None."""
    value = value.strip()
    return _by_id(value, records) or _by_title(value, records)


def source_named(value: str, records: Sequence[ArticleRecord],
                 outlets: Sequence[str]) -> str | None:
    """The article id or outlet that `value` names (an id, an outlet typed with or without
    "www.", or an article's whole title), or None."""
    value = value.strip()
    article = _by_id(value, records)
    if article is not None:
        return article
    host = value.casefold().removeprefix("www.")
    return next((o for o in outlets if o.casefold() == host), None) or _by_title(value, records)


def unnamed_reason(value: str, records: Sequence[ArticleRecord]) -> str:
    """Why `article_named` found nothing for `value`, as a clause: the title is shared, or
    nothing has that id or title."""
    wanted = _folded(value)
    if wanted and sum(_folded(r.title) == wanted for r in records) > 1:
        return "several indexed articles have that title"
    return "no indexed article has that id or title"
