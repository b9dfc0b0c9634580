"""Corpus management for members with Manage Server: `/reindex`, `/add` and `/remove`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.adding import Incoming, earlier_file, fetch_link, file_suffix, save_incoming
from bot.app import BriefingBot, changes_articles, in_guild
from bot.cogs import replies
from bot.cogs.choices import article_choices, resolve_article, unresolved
from bot.errors import UserError
from bot.feeds.store import mark_removed
from bot.fetch import FetchPolicy, check_url
from bot.wording import counted
from index import BriefingError

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0
TITLE_SHOWN = 200  # characters of an article's title in a reply: the outcome after it must fit
WAITING = ("Another reindex of this index (from another process) is running; waiting for it "
           "to finish…")


class ProgressMessage:
    """Edits one message with reindex progress, at most once a second."""

    def __init__(self, edit: Callable[[str], Awaitable[object]]) -> None:
        self._edit = edit
        self._last = 0.0
        self._pending: list[asyncio.Task] = []
        self._finished = False

    def update(self, done: int, total: int) -> None:
        """Called (on the event loop) as the reindex process reports embedded passages."""
        now = time.monotonic()
        if self._finished or done < total and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        self._send(render.progress_text(done, total))

    def waiting(self) -> None:
        """Called (on the event loop) when another process is reindexing this index."""
        if not self._finished:
            self._send(WAITING)

    def finish(self, text: str) -> None:
        """Show `text` instead of the progress; later reports (still in the pipe from a
        killed process) are dropped."""
        self._finished = True
        self._send(text)

    async def settle(self) -> None:
        """Wait for the edits already sent, so that the final text is not overwritten by a
        late "Embedding…" (call it once the reindex has returned)."""
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)

    def _send(self, text: str) -> None:
        self._pending = [t for t in self._pending if not t.done()]
        self._pending.append(asyncio.create_task(self._safe_edit(text)))

    async def _safe_edit(self, text: str) -> None:
        try:
            await self._edit(text)
        except discord.HTTPException:
            log.warning("could not update the progress message", exc_info=True)


class Admin(commands.Cog):
    """Reindexing, adding and removing articles; the index keeps answering throughout."""

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        settings = bot.settings
        self.policy = FetchPolicy(max_bytes=settings.fetch_max_bytes,
                                  timeout_s=settings.fetch_timeout_s,
                                  allow_loopback=settings.fetch_allow_loopback)

    @app_commands.command(name="reindex", description="Reindex the article folder")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @changes_articles()
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()  # checks run bottom-up: a DM is refused as a DM
    async def reindex_command(self, interaction: discord.Interaction) -> None:
        """Progress edits the public message; the end is reported even after the interaction
        token has expired (a long reindex), in the channel."""
        async def edit(text: str) -> None:
            await interaction.edit_original_response(content=text)

        async with self.bot.reindexing.slot():
            async with replies.first_response(interaction,
                                              discord.InteractionResponseType.channel_message):
                await interaction.response.send_message("Reindexing the articles…")
            outcome = await self.bot.reindexing.run_or_explain(ProgressMessage(edit), holding=True)
        text = outcome if isinstance(outcome, str) else render.reindex_text(outcome)
        await replies.answer(interaction, content=text)

    @app_commands.command(name="add", description="Add an article from a link or a file")
    @app_commands.describe(url="An http(s) link to the article",
                           file="A .txt, .md or .html file of the article")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @changes_articles()
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()  # checks run bottom-up: a DM is refused as a DM
    async def add(self, interaction: discord.Interaction, url: str | None = None,
                  file: discord.Attachment | None = None) -> None:
        if url is None and file is None:
            raise UserError("Give a url or a file to add.")
        if url is not None and file is not None:
            raise UserError("Give either a url or a file, not both.")
        if file is not None:
            suffix = file_suffix(file.filename, file.size, self.bot.settings.attachment_max_bytes)
        if url is not None:
            check_url(url, self.policy)  # a refused link is answered privately, before the defer
        await replies.think(interaction)
        corpus_dir = self.bot.settings.corpus_dir
        earlier = None
        if url is not None:
            page = await fetch_link(url, self.policy)
            earlier = await asyncio.to_thread(earlier_file, self.bot.index, corpus_dir,
                                              page.source)
        else:
            raw = await file.read()
            if len(raw) > self.bot.settings.attachment_max_bytes:
                raise UserError("refused: the file is larger than allowed.")
            page = Incoming(raw, suffix, "", file.filename)
        added = await asyncio.to_thread(save_incoming, self.bot.index, corpus_dir, page, earlier)
        outcome = await self.bot.reindexing.run_or_explain()
        text = outcome if isinstance(outcome, str) else render.reindex_text(outcome)
        await replies.answer(interaction, content=render.clip(
            f"{added.done} “{shown_title(added.article.title)}” "
            f"({counted(len(added.article.paragraphs), 'paragraph')}). "
            + text, render.CONTENT_LIMIT))

    @app_commands.command(name="remove", description="Remove an article from the corpus")
    @app_commands.describe(article="The article to remove")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @changes_articles()
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()  # checks run bottom-up: a DM is refused as a DM
    async def remove(self, interaction: discord.Interaction, article: str) -> None:
        """Deletes the article's files (and its copy in the database), then reindexes; every
        answer is private."""
        index = self.bot.index
        records = await asyncio.to_thread(index.sources)
        article_id = resolve_article(article, records)
        if article_id is None:
            raise UserError(unresolved(article, records))
        title = next(r.title or r.id for r in records if r.id == article_id)
        async with self.bot.reindexing.slot():  # the removal would wait for a reindex, silently
            await replies.think(interaction, ephemeral=True)
            [removal] = await asyncio.to_thread(index.remove_articles,
                                                self.bot.settings.corpus_dir, [article_id])
            if removal.error:
                raise UserError(f"Could not remove “{shown_title(title)}”: {removal.error}")
            if not removal.removed:
                raise UserError("That article is already gone.")
            log.info("removed %s", article_id)
            warning = await self.forget_in_feeds([article_id])
            # asked for: removing the last article empties the index
            outcome = await self.bot.reindexing.run_or_explain(holding=True, allow_empty=True)
        text = outcome if isinstance(outcome, str) else render.reindex_text(outcome)
        await replies.answer(interaction, content=render.clip(
            f"Removed “{shown_title(title)}”. " + text + warning, render.CONTENT_LIMIT))

    async def forget_in_feeds(self, article_ids: list[str]) -> str:
        """Tell the feed store these articles were removed, so that a feed re-publishing one
        does not write it back; "" when done, else a sentence to add to the reply."""
        feeds = self.bot.get_cog("Feeds")
        settings = self.bot.settings
        try:
            if feeds is not None:
                await asyncio.to_thread(feeds.store.mark_removed, article_ids)
            else:
                await asyncio.to_thread(mark_removed, settings.feeds_db, settings.database_url,
                                        article_ids)
        except BriefingError as err:
            log.error("the feed store was not told that %s was removed: %s", article_ids, err)
            return " The feed store could not record it: a feed re-publishing it may bring it back."
        return ""

    @remove.autocomplete("article")
    async def remove_choices(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        return article_choices(await asyncio.to_thread(self.bot.index.sources), current)


def shown_title(title: str) -> str:
    """An article's title as a reply names it: inert, and cut when very long, so that what
    follows it (the paragraphs, the reindex's outcome) is not cut off instead."""
    return render.clip(render.inert(title), TITLE_SHOWN)


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Admin(bot))
