"""Answers and the buttons under them, shared by `/ask` and conversations (mentions, replies,
threads): paging, 👍/👎 feedback, and "Follow up in thread"."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from typing import NamedTuple

import discord

from bot import render
from bot.app import UNEXPECTED, BriefingBot, error_message, reply_ephemeral
from bot.cogs import replies
from bot.cogs.expiring import ExpiringView
from bot.conversations import Conversation
from bot.errors import UserError
from index import Answer, BriefingIndex, Hit, Scope, Turn

log = logging.getLogger(__name__)

MAX_RESULTS = 10
VIEW_TIMEOUT_S = 900
FOLLOW_UP_ID = "briefing:follow-up-thread"  # the same on every answer, so it outlives restarts
THREAD_NAME_LIMIT = 100
THREAD_ARCHIVE_MINUTES = 1440
ALREADY_HAS_THREAD = 160004  # Discord: "A thread has already been created for this message"
MORE_NOT_COVERED = ("The indexed articles have changed since this answer and no longer cover "
                    "the question; ask it again to see what they hold now.")


class Answered(NamedTuple):
    """A question's answer with its best passages, whether the question stood on its own, and
    whether the index holds a passage past them (what "More results" would page to)."""

    answer: Answer
    standalone: bool
    further: bool


@dataclass(frozen=True)
class Question:
    """A question as it was asked: its text, the conversation before it (oldest first) and the
    articles it may be answered from."""

    text: str
    turns: tuple[Turn, ...] = ()
    scope: Scope | None = None

    def ask(self, index: BriefingIndex, k: int) -> Answered:
        """The answer with its `k` best passages (call it off the loop); one more is searched
        for, to know whether there is a further one."""
        if self.turns:
            answer, standalone = index.ask_followup(self.text, self.turns, k + 1,
                                                    scope=self.scope)
        else:
            answer, standalone = index.ask(self.text, k + 1, scope=self.scope), True
        return Answered(replace(answer, hits=answer.hits[:k]), standalone, len(answer.hits) > k)


# Mentions of members, roles and channels, and custom emoji: <@1>, <@!1>, <@&1>, <#1>, <:x:1>
_MARKUP = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>")


def without_markup(text: str) -> str:
    """A question without Discord's mention and custom-emoji codes, which are not its words:
    their ids would be searched and their codes shown in the answer's title."""
    return " ".join(_MARKUP.sub(" ", text).split())


def passage_key(hit: Hit) -> str:
    """A cited passage's identity across reindexes (its article and place): how the feedback
    log names it, and how "More results" knows what was shown."""
    return f"{hit.article}:{hit.start}-{hit.end}"


def message_for(bot: BriefingBot, question: Question, answer: Answer, results: int, *,
                further: bool, threadable: bool, titled_refusal: bool = False) -> dict:
    """Keyword arguments for sending an answer (embed and buttons, or the refusal).
    `further`: a passage past the answer's is left to page to (`Answered.further`);
    `threadable`: the answer will be a message a thread can be opened on; `titled_refusal`:
    a refusal names the question (nothing else shows it, as a reply to a mention does)."""
    if not answer.answered:
        return render.not_covered_message(answer, titled=titled_refusal)
    message = {"embed": render.answer_embed(answer),
               "view": AnswerView(bot, question, answer, results, results, threadable=threadable,
                                  further=further)}
    if note := render.read_as_line(answer):
        message["content"] = note
    return message


async def conversation_of(bot: BriefingBot, channel_id: int, conv_id: int
                          ) -> Conversation | None:
    """The live conversation `conv_id`, once any answer being posted in `channel_id` has been
    stored."""
    async with bot.posting(channel_id):
        return await asyncio.to_thread(bot.conversations.get, conv_id)


async def is_conversation_thread(bot: BriefingBot, thread: discord.Thread) -> bool:
    """Threads the bot opened, threads a member opened on one of its answers (the thread's id
    is the answer's, under which its conversation is kept), and posts of a forum whose posts
    it answers: their questions are one conversation, kept under the thread's id."""
    if bot.user is not None and thread.owner_id == bot.user.id:
        return True
    if await conversation_of(bot, thread.id, thread.id) is not None:
        return True
    modes = await asyncio.to_thread(bot.channel_modes.get, thread.parent_id)
    return modes.forum


def can_hold_threads(channel: object) -> bool:
    """Whether threads can be started from messages in `channel` (text and news channels)."""
    return isinstance(channel, discord.TextChannel)


def thread_hint(bot: BriefingBot) -> str:
    """What the bot says once in a thread it opens: how to ask follow-ups there."""
    if bot.settings.message_content:
        return ("Ask follow-up questions here: I answer every message in this thread, in the "
                "context of the conversation so far.")
    name = bot.user.name if bot.user else "Briefing"
    return (f"Ask follow-up questions here by mentioning me (@{name} …): I can only read "
            "messages that mention me.")


async def open_thread(bot: BriefingBot, message: discord.Message, name: str,
                      member: discord.abc.Snowflake | None = None, *,
                      ours_if_there: bool = False, with_hint: bool = True) -> discord.Thread:
    """Start a thread on `message` (it gets the message's id, so a conversation stored under
    the message continues there), add `member` to it and post how to follow up (unless not
    `with_hint`: the caller posts it after an answer still to come).

    `ours_if_there`: a thread already on `message` is this one (the message is new, so only
    this call can have started it: Discord did, then answered 5xx, and discord.py's retry was
    refused with "already has a thread"); otherwise that refusal is raised."""
    try:
        thread = await message.create_thread(
            name=render.clip(" ".join(name.split()) or "Follow-up", THREAD_NAME_LIMIT),
            auto_archive_duration=THREAD_ARCHIVE_MINUTES)
    except discord.HTTPException as err:
        if err.code != ALREADY_HAS_THREAD or not ours_if_there:
            raise
        log.info("the thread on message %s was started before a retry; using it", message.id)
        thread = await _thread_on(bot, message)
    if member is not None:
        try:
            await thread.add_user(member)
        except discord.HTTPException:
            log.warning("could not add %s to thread %s", member.id, thread.id, exc_info=True)
    if with_hint:
        await thread.send(thread_hint(bot))
    return thread


async def _thread_on(bot: BriefingBot, message: discord.Message) -> discord.Thread:
    """The thread started on `message` (it has the message's id)."""
    known = message.guild.get_thread(message.id) if message.guild else None
    thread = known or await bot.fetch_channel(message.id)
    if not isinstance(thread, discord.Thread):
        raise TypeError(f"channel {message.id} is not a thread")
    return thread


THREADS_FORBIDDEN = ("I can't follow up in a thread here: a server admin needs to give me the "
                     "Create Public Threads and Send Messages in Threads permissions. Reply "
                     "to the answer instead.")


async def follow_up_in_thread(bot: BriefingBot, interaction: discord.Interaction) -> None:
    """The "Follow up in thread" button: open a thread on the answer, or point at its thread."""
    message = interaction.message
    if message is None or not can_hold_threads(interaction.channel):
        await interaction.response.send_message("Threads can't be opened here.", ephemeral=True)
        return
    await replies.think(interaction, ephemeral=True)
    title = message.embeds[0].title if message.embeds and message.embeds[0].title else ""
    try:
        thread = await open_thread(bot, message, title, interaction.user)
    except discord.Forbidden:  # the server did not give the bot thread permissions
        raise UserError(THREADS_FORBIDDEN) from None
    except discord.HTTPException as err:
        if err.code != ALREADY_HAS_THREAD:
            raise
        await replies.answer(interaction, content=f"Follow up in <#{message.id}>.")
        return
    await replies.answer(interaction, content=f"Follow up in {thread.mention}.")


async def report_error(interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item) -> None:
    """A button failed: tell whoever clicked, privately, as a command's error is told; only
    an unexpected one is logged with its traceback (a known error, "No articles are indexed
    yet.", is the user's answer, not a fault)."""
    message = error_message(error)
    if message == UNEXPECTED:
        log.error("button %s failed", getattr(item, "label", item), exc_info=error)
    await replies.end_public_thinking(interaction)
    await reply_ephemeral(interaction, message)


class AnswerView(ExpiringView):
    """Buttons under an answer: more results, whether it helped, and a thread to follow up."""

    def __init__(self, bot: BriefingBot, question: Question, answer: Answer, per_page: int,
                 shown: int, *, threadable: bool, further: bool,
                 page: tuple[Hit, ...] | None = None, seen: frozenset[str] = frozenset()
                 ) -> None:
        """`shown`: how many results have been shown so far (the last page's end); `further`:
        whether a passage not shown yet is left to page to; `page`: the passages on the
        message, by default the last `per_page` of the first `shown` hits; `seen`: those of
        earlier pages (`passage_key`)."""
        super().__init__(bot, "answer", VIEW_TIMEOUT_S)
        self.bot = bot
        self.question = question
        self.answer = answer
        self.per_page = per_page
        self.shown = shown
        self.page = answer.hits[max(0, shown - per_page):shown] if page is None else page
        self.seen = seen | {passage_key(h) for h in self.page}
        self.threadable = threadable
        if not further or shown >= MAX_RESULTS:  # nothing further to page to
            self.more.disabled = True
        if not threadable:
            self.remove_item(self.thread)

    @discord.ui.button(label="More results", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The next page: passages not shown yet. The question is asked again, of the index
        as it is now: a reindex since (a feed poll, /add, /remove) may have moved passages,
        so those already shown are skipped by identity, not by rank."""
        await interaction.response.defer()
        wanted = min(MAX_RESULTS, len(self.seen) + self.per_page)
        answer, _, further = await self.bot.answer_work(self.question.ask, self.bot.index,
                                                        wanted)
        unseen = [h for h in answer.hits if passage_key(h) not in self.seen]
        page = [replace(h, rank=self.shown + i) for i, h in enumerate(unseen[:self.per_page], 1)]
        if not answer.answered or not page:
            button.disabled = True
            await interaction.edit_original_response(view=self)
            await interaction.followup.send(
                "No further passages." if answer.answered else MORE_NOT_COVERED, ephemeral=True)
            return
        shown = self.shown + len(page)
        # Something further when this search found a passage past those it was asked for, or
        # more unseen ones than the page holds; not by `shown` against its hits: passages
        # shown earlier may have left the index
        view = AnswerView(self.bot, self.question, answer, self.per_page, shown,
                          threadable=self.threadable, further=further or len(unseen) > len(page),
                          page=tuple(page), seen=self.seen)
        first, last = page[0].rank, page[-1].rank
        footer = f"Results {first}–{last}" if last > first else f"Result {first}"
        await interaction.edit_original_response(
            embed=render.answer_embed(answer, page, footer=footer), view=view)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self.vote(interaction, 1)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def unhelpful(self, interaction: discord.Interaction,
                        button: discord.ui.Button) -> None:
        await self.vote(interaction, -1)

    @discord.ui.button(label="Follow up in thread", style=discord.ButtonStyle.secondary,
                       custom_id=FOLLOW_UP_ID)
    async def thread(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await follow_up_in_thread(self.bot, interaction)

    async def vote(self, interaction: discord.Interaction, vote: int) -> None:
        """Record a 👍/👎 for the passages shown: this page's, not the earlier pages'."""
        passages = [passage_key(h) for h in self.page]
        await asyncio.to_thread(self.bot.feedback.record, self.answer.question, passages,
                                self.bot.feedback.pseudonym(interaction.user.id), vote)
        await interaction.response.send_message("Thanks for the feedback.", ephemeral=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item) -> None:
        await report_error(interaction, error, item)


class FollowUpButton(discord.ui.View):
    """"Follow up in thread" on answers whose own view has timed out or was sent before a
    restart: registered once (`bot.add_view`), it serves every message with the button."""

    def __init__(self, bot: BriefingBot) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(label="Follow up in thread", style=discord.ButtonStyle.secondary,
                       custom_id=FOLLOW_UP_ID)
    async def thread(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await follow_up_in_thread(self.bot, interaction)

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item) -> None:
        await report_error(interaction, error, item)
