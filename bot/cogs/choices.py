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
from index.search.names import article_named, unnamed_reason
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


def _chosen(value: str, names: Iterable[str]) -> str | None:
    """The article id or outlet whose autocomplete value is ``value``, or None."""
    return next((name for name in names if choice_value(name) == value), None)


def resolve_article(value: str, records: Sequence[ArticleRecord]) -> str | None:
    """The article id that ``value`` names (an autocomplete value, an id, or an article's
    whole title, as someone who typed instead of picking would give it), or None."""
    value = value.strip()
    return _chosen(value, (r.id for r in records)) or article_named(value, records)


def unresolved(value: str, records: Sequence[ArticleRecord]) -> str:
    """Why `value` names no article (`resolve_article` gave None), for whoever typed it."""
    reason = unnamed_reason(value, records)
    return f"{reason[:1].upper()}{reason[1:]}; pick one from the list."


def picked_source(value: str, records: Sequence[ArticleRecord], outlets: Sequence[str]) -> str:
    """``value`` with an autocomplete value read back as the article id or outlet it stands
    for (one longer than Discord allows is sent shortened); anything else as it was typed,
    for `BriefingIndex.source_named` to read as `briefing ask --source` does."""
    return _chosen(value.strip(), [r.id for r in records] + list(outlets)) or value


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
