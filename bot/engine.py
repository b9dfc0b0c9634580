"""The retrieval engine the settings describe: the one place the CLI and the bot build it."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from index import BriefingIndex


def open_index(settings: Settings, index_dir: Path | None = None) -> BriefingIndex:
    """The index the settings describe: in the database when `BRIEFING_DATABASE_URL` is set,
    else in the index folder (`index_dir` overrides both, for evaluation caches)."""
    location = index_dir or settings.database_url or settings.index_dir
    return BriefingIndex(location, settings.model_path,
                         settings.gate_threshold, settings.max_question_chars,
                         precision=settings.embed_precision,
                         max_article_bytes=settings.max_article_bytes)
