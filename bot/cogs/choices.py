"""Autocomplete choices for articles and outlets, and reading back what the user picked.

Discord caps an autocomplete list at 25 choices and a choice's name and value at 100
characters; an article id longer than that is sent as a prefix and a hash that is mapped back.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from discord import app_commands

from bot import render
from index import ArticleRecord
from index.search.scope import outlet as outlet_of

AUTOCOMPLETE_CHOICES = 25
CHOICE_VALUE_LIMIT = 100  # Discord's limit on an autocomplete choice's name and value


def choice_value(article_id: str) -> str:
    """The autocomplete value for an article (or outlet): its id, or for an id longer than
    Discord allows, a prefix and a hash of it that `resolve_article` maps back."""
    if len(article_id) <= CHOICE_VALUE_LIMIT:
        return article_id
    digest = hashlib.sha256(article_id.encode()).hexdigest()[:9]
    return f"{article_id[:CHOICE_VALUE_LIMIT - 10]}~{digest}"


def _by_id(value: str, ids: Iterable[str]) -> str | None:
    """The article id that ``value`` (an id typed in any case, or an autocomplete value)
    names, or None."""
    ids = list(ids)
    if value in ids:
        return value
    for article_id in ids:
        if choice_value(article_id) == value:
            return article_id
    folded = [i for i in ids if i.casefold() == value.casefold()]
    return folded[0] if len(folded) == 1 else None


def _by_title(value: str, records: Sequence[ArticleRecord]) -> str | None:
    """The id of the one article titled ``value`` (in any case and spacing), or None."""
    wanted = " ".join(value.split()).casefold()
    titled = [r.id for r in records if " ".join(r.title.split()).casefold() == wanted]
    return titled[0] if wanted and len(titled) == 1 else None


def resolve_article(value: str, records: Sequence[ArticleRecord]) -> str | None:
    """The article id that ``value`` names (an autocomplete value, an id, or an article's
    whole title, as someone who typed instead of picking would give it), or None."""
    value = value.strip()
    return _by_id(value, (r.id for r in records)) or _by_title(value, records)


def unresolved(value: str, records: Sequence[ArticleRecord]) -> str:
    """Why `value` names no article (`resolve_article` gave None), for whoever typed it."""
    wanted = " ".join(value.split()).casefold()
    if wanted and sum(" ".join(r.title.split()).casefold() == wanted for r in records) > 1:
        return "Several indexed articles have that title; pick one from the list."
    return "No indexed article has that id or title; pick one from the list."


def resolve_source(value: str, records: Sequence[ArticleRecord],
                   outlets: Sequence[str]) -> str | None:
    """The article id or outlet that ``value`` names (an autocomplete value, an id, an outlet
    typed with or without "www.", or an article's whole title), or None."""
    value = value.strip()
    article = _by_id(value, (r.id for r in records))
    if article is not None:
        return article
    host = value.casefold().removeprefix("www.")
    for outlet in outlets:
        if choice_value(outlet) == value or outlet.casefold() == host:
            return outlet
    return _by_title(value, records)


def article_choices(records: Sequence[ArticleRecord], current: str
                    ) -> list[app_commands.Choice[str]]:
    """Articles whose title or id contains what was typed, named by title; articles that
    share a title (syndicated copies) are told apart by outlet, date and id."""
    wanted = current.casefold()
    matches = [r for r in records if wanted in r.title.casefold() or wanted in r.id.casefold()]
    matches = matches[:AUTOCOMPLETE_CHOICES]
    shared = Counter(r.title for r in matches)
    return [app_commands.Choice(name=_choice_name(r, shared[r.title] > 1),
                                value=choice_value(r.id)) for r in matches]


def _choice_name(record: ArticleRecord, shared_title: bool) -> str:
    """The title, then (when another offered article has it too) what tells them apart,
    which is kept whole: the title is what gets cut."""
    if not shared_title or not record.title:
        return render.clip(record.title or record.id, CHOICE_VALUE_LIMIT)
    extra = " · ".join(filter(None, (outlet_of(record.source), record.published[:10], record.id)))
    extra = render.clip(extra, CHOICE_VALUE_LIMIT // 2)
    return render.clip(record.title, CHOICE_VALUE_LIMIT - len(extra) - 3) + " · " + extra


def source_choices(records: Sequence[ArticleRecord], outlets: Sequence[str], current: str
                   ) -> list[app_commands.Choice[str]]:
    """Outlets (most articles first), then articles, matching what was typed."""
    wanted = current.casefold()
    found = [app_commands.Choice(name=render.clip(f"{o} (every article from it)",
                                                  CHOICE_VALUE_LIMIT), value=choice_value(o))
             for o in outlets if wanted in o.casefold()]
    return (found + article_choices(records, current))[:AUTOCOMPLETE_CHOICES]
