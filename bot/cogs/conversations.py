"""Conversations: "@Briefing <question>", follow-ups in threads and reply chains, answers to
forum posts, and the per-channel `/conversation autothread|forum` modes.

Without the privileged Message Content intent Discord delivers a guild message's text only
when it mentions the bot (a reply that pings the bot does); thread follow-ups without a mention
and forum post bodies then arrive empty, so the bot says in each thread it opens that
follow-ups need a mention, and answers a forum post from its title.
"""

from __future__ import annotations

import asyncio
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import UNEXPECTED, BriefingBot, in_guild
from bot.cogs import replies
from bot.cogs.answers import (
    Answered,
    FollowUpButton,
    Question,
    can_hold_threads,
    conversation_of,
    is_conversation_thread,
    message_for,
    open_thread,
    thread_hint,
    without_markup,
)
from bot.cogs.channel_access import require_posting
from bot.conversations import Conversation, starts_over
from bot.errors import UserError
from bot.question_limit import slow_down
from bot.wording import as_sentence, scope_gone
from index import ArticleNotFound, BriefingError, Turn, check_question

log = logging.getLogger(__name__)

# Messages someone wrote, as opposed to system messages (a thread renamed, a pin, a join).
_WRITTEN = (discord.MessageType.default, discord.MessageType.reply)
# A message made only of these words is a greeting, a call for help or thanks, not a question:
# searched, it was refused as not covered, with an unrelated passage.
_SMALL_TALK = frozenset({"hi", "hello", "hey", "there", "help", "please", "thanks", "thank",
                         "you", "thx", "cheers"})


class Conversations(commands.Cog):
    """Questions and follow-ups asked in messages rather than with `/ask`."""

    conversation = app_commands.Group(
        name="conversation", description="How the bot holds conversations in a channel",
        guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(FollowUpButton(self.bot))  # the button on answers of earlier runs

    # Messages ----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Route a message: a post or follow-up in a conversation thread, a reply to an
        answer, a mention, or any message in a DM with the bot; anything else is not for it.
        System messages (a thread renamed, a member joining) are never questions."""
        if message.author.bot or self.bot.user is None or message.type not in _WRITTEN:
            return
        try:
            await self._route(message)
        except discord.Forbidden as err:  # the server does not let the bot post there
            log.warning("could not answer message %s in channel %s (%s): the bot needs Send "
                        "Messages, Embed Links and, in threads, Send Messages in Threads "
                        "there", message.id, message.channel.id, err.text)
            await _tell_privately(message.author, CANNOT_POST.format(
                channel=getattr(message.channel, "mention", "that channel")))
        except discord.HTTPException as err:
            if not replies.question_gone(err):
                await _say_unexpected(message, err)
                return
            log.info("message %s was deleted before its answer; not answered", message.id)
        except Exception as err:  # as /ask does: logged with its traceback, said in reply
            await _say_unexpected(message, err)

    async def _route(self, message: discord.Message) -> None:
        me = self.bot.user
        # Discord's mention list offers the bot's own role beside the bot, and members pick
        # either: a mention of that role is a mention of the bot.
        by_role = me not in message.mentions and _mentions_my_role(message)
        mentioned = me in message.mentions or by_role
        text = without_markup(message.content)
        if _only_small_talk(text):  # answered, where a question is due, as an empty message
            text = ""
        channel = message.channel
        if isinstance(channel, discord.DMChannel) and starts_over(text):
            await self._start_over(message)
            return
        if isinstance(channel, discord.Thread) and await is_conversation_thread(self.bot, channel):
            if message.id == channel.id:  # the first message of a forum post
                await self._answer_post(message, channel, text)
            elif text:
                await self._answer(message, text, thread=channel)
            elif mentioned:
                await self._ask_for_text(message)
            return
        reference = message.reference
        if text and reference is not None and reference.message_id is not None:
            earlier = await conversation_of(self.bot, channel.id, reference.message_id)
            if earlier is not None:
                await self._answer(message, text, earlier=earlier)
                return
        if isinstance(channel, discord.DMChannel):  # a DM is one conversation, as a thread is
            if text:
                await self._answer(message, text, thread=channel)
            else:
                await self._ask_for_text(message)
            return
        if not mentioned:
            return
        if not text:
            await self._ask_for_text(message, by_role=by_role)
            return
        autothread = can_hold_threads(channel) and (await asyncio.to_thread(
            self.bot.channel_modes.get, channel.id)).autothread
        if autothread:  # a refused question gets its reason in place, not a thread of its own
            if retry := self.bot.questions.retry_after(message.author.id):
                if self.bot.questions.tell(message.author.id, retry):
                    await message.reply(slow_down(retry), mention_author=False)
                return
            try:
                check_question(text, self.bot.index.max_question_chars)
            except BriefingError as err:
                await message.reply(as_sentence(str(err)), mention_author=False)
                return
            # Worked out before the thread is opened: a question the index could not answer
            # (nothing indexed yet) gets its reason in place too, as /ask opens its thread
            # only on an answer.
            worked = await self._work_out(message, text, Conversation())
            if worked is None:
                return
            try:
                thread = await open_thread(self.bot, message, text, message.author,
                                            ours_if_there=True, with_hint=False)
            except discord.HTTPException:
                log.warning("could not open a thread in %s; answering in place", channel.id,
                            exc_info=True)
                await self._post(message, *worked)
            else:  # the question is the thread's start: its answer comes first, then how to go on
                await self._post(message, *worked, thread=thread, in_reply=False)
                await thread.send(thread_hint(self.bot))
            return
        await self._answer(message, text)

    async def _start_over(self, message: discord.Message) -> None:
        """"/new" in a DM (Discord has no such command: typed, it arrives as text): the DM's
        conversation ends, and its next message is a first question (as in `briefing chat`)."""
        self.bot.started_over.mark(message.channel.id, message.id)
        async with self.bot.posting(message.channel.id):  # after an answer being stored
            await asyncio.to_thread(self.bot.conversations.forget, message.channel.id)
        await message.reply(STARTED_OVER, mention_author=False)

    async def _ask_for_text(self, message: discord.Message, *, by_role: bool = False) -> None:
        if isinstance(message.channel, discord.DMChannel):
            await message.reply("Ask me something about the indexed articles, e.g. “why did "
                                "Erdoğan approve Sweden?”", mention_author=False)
            return
        name = self.bot.user.name if self.bot.user else "Briefing"
        if by_role and not self.bot.settings.message_content:  # Discord withheld the text
            await message.reply(f"I can't read a message that mentions my role: pick @{name} "
                                "marked APP in the mention list, or ask with /ask.",
                                mention_author=False)
            return
        await message.reply("Ask me something after the mention, e.g. "
                            f"“@{name} why did Erdoğan approve Sweden?”", mention_author=False)

    async def _answer_post(self, message: discord.Message, thread: discord.Thread,
                           text: str) -> None:
        """A new forum post: its title and (when readable) its text are the question."""
        limit = self.bot.index.max_question_chars
        question = render.clip(f"{thread.name}\n{text}".strip(), limit)
        hint = None if self.bot.settings.message_content else thread_hint(self.bot)
        await self._answer(message, question, thread=thread, in_reply=False, hint=hint)

    async def _answer(self, message: discord.Message, text: str, *,
                      thread: discord.Thread | discord.DMChannel | None = None,
                      earlier: Conversation | None = None, in_reply: bool = True,
                      hint: str | None = None) -> None:
        """Answer `text` in the context of its conversation: the thread's (or the DM's), or
        the reply chain's (`earlier`), else as a new question. The answer is a reply to
        `message` (`in_reply`) or a message in `thread`; the turn is stored under the thread,
        or under the answer for replies to it and a thread on it to continue from."""
        if retry := self.bot.questions.retry_after(message.author.id):
            if self.bot.questions.tell(message.author.id, retry):
                await message.reply(slow_down(retry), mention_author=False)
            return
        if thread is not None:
            earlier = await conversation_of(self.bot, thread.id, thread.id)
        worked = await self._work_out(message, text, earlier or Conversation())
        if worked is not None:
            await self._post(message, *worked, thread=thread, in_reply=in_reply, hint=hint)

    async def _work_out(self, message: discord.Message, text: str, before: Conversation
                        ) -> tuple[Question, Answered] | None:
        """The answer to `text` after the conversation `before`, or None once the reason it
        has none (an empty index, the conversation's articles removed) is said in reply."""
        try:
            asked = Question(check_question(text, self.bot.index.max_question_chars),
                             before.turns, before.scope)
            answered = await self.bot.answer_work(asked.ask, self.bot.index,
                                                  self.bot.settings.top_k)
        except BriefingError as err:
            gone = isinstance(err, ArticleNotFound) and before.scope  # its articles removed
            await message.reply(scope_gone(str(err)) if gone else as_sentence(str(err)),
                                mention_author=False)
            return None
        return asked, answered

    async def _post(self, message: discord.Message, asked: Question, answered: Answered, *,
                    thread: discord.Thread | discord.DMChannel | None = None,
                    in_reply: bool = True, hint: str | None = None) -> None:
        """Send the answer (see `_answer`) and store its turn."""
        answer, standalone, further = answered
        threadable = thread is None and can_hold_threads(message.channel)
        reply = _with_hint(message_for(self.bot, asked, answer, self.bot.settings.top_k,
                                       further=further, threadable=threadable), hint)
        store, turn = self.bot.conversations, Turn.of(answer, standalone)
        async with self.bot.posting((thread or message.channel).id):
            if in_reply:
                sent = await message.reply(**reply, mention_author=False)
            else:
                sent = await (thread or message.channel).send(**reply)
            if thread is not None:
                if not self.bot.started_over.after(thread.id, message.id):
                    await asyncio.to_thread(store.add, thread.id, turn, asked.scope)
            else:
                await asyncio.to_thread(store.put, sent.id, [*asked.turns, turn], asked.scope)

    # Settings ----------------------------------------------------------------------------

    @conversation.command(name="autothread",
                          description="Open a thread for every new question in a channel")
    @app_commands.describe(enabled="Whether new questions get a thread",
                           channel="The text channel (default: this one)")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def autothread(self, interaction: discord.Interaction, enabled: bool,
                         channel: discord.TextChannel | None = None) -> None:
        target = channel or interaction.channel
        if not can_hold_threads(target):
            raise UserError("Threads can't be opened here; name a text channel.")
        if enabled:
            require_posting(target, threads=True)
        was = (await asyncio.to_thread(self.bot.channel_modes.set, interaction.guild_id,
                                       target.id, autothread=enabled)).autothread
        if not enabled:
            text = (f"Questions in {target.mention} are answered in place again." if was
                    else f"Questions in {target.mention} were already answered in place.")
        else:
            text = f"Every new question in {target.mention} now gets its own thread."
            if not self.bot.settings.message_content:
                text += (" Follow-ups there need a mention: the bot runs without the Message "
                         "Content intent (BRIEFING_MESSAGE_CONTENT).")
        await interaction.response.send_message(text)

    @conversation.command(name="forum", description="Answer every new post in a forum channel")
    @app_commands.describe(channel="The forum channel", enabled="Whether new posts are answered")
    @app_commands.checks.has_permissions(manage_guild=True)
    @in_guild()
    async def forum(self, interaction: discord.Interaction, channel: discord.ForumChannel,
                    enabled: bool) -> None:
        was = (await asyncio.to_thread(self.bot.channel_modes.set, interaction.guild_id,
                                       channel.id, forum=enabled)).forum
        if not enabled:
            text = (f"Posts in {channel.mention} are no longer answered (new ones, and "
                    "follow-ups in posts already answered)." if was
                    else f"Posts in {channel.mention} were not being answered.")
        else:
            text = f"Every new post in {channel.mention} is now answered."
            if not self.bot.settings.message_content:
                text += (" Without the Message Content intent (BRIEFING_MESSAGE_CONTENT) the "
                         "bot reads only post titles, and follow-ups need a mention.")
        await interaction.response.send_message(text)


STARTED_OVER = "Started a new conversation: your next message is a new question, not a follow-up."
CANNOT_POST = ("I can't answer in {channel}: a server admin needs to give me the Send "
               "Messages and Embed Links permissions there (and Send Messages in Threads "
               "for threads).")


async def _tell_privately(member: discord.abc.User, text: str) -> None:
    """A direct message to `member`, if they accept them (Discord refuses otherwise)."""
    try:
        await member.send(text)
    except discord.HTTPException:
        log.info("could not tell %s by direct message either", member.id)


async def _say_unexpected(message: discord.Message, error: Exception) -> None:
    """Log an unexpected failure to answer `message` and tell its author, in reply, that it
    has been logged (the words /ask uses); a reply Discord refuses is only logged."""
    log.error("answering message %s in channel %s failed", message.id, message.channel.id,
              exc_info=error)
    try:
        await message.reply(UNEXPECTED, mention_author=False)
    except discord.HTTPException:
        log.warning("could not deliver an error reply", exc_info=True)


def _with_hint(message: dict, hint: str | None) -> dict:
    """`message` with `hint` as a line after its text."""
    if hint:
        message = dict(message, content="\n\n".join(filter(None, [message.get("content"),
                                                                     hint])))
    return message


def _only_small_talk(text: str) -> bool:
    """Whether `text` holds words and they are only a greeting, "help" or thanks ("hi!",
    "thank you"): a question that uses one of them ("how did Turkey help Hamas?") has others."""
    words = re.findall(r"\w+", text.casefold())
    return bool(words) and all(word in _SMALL_TALK for word in words)


def _mentions_my_role(message: discord.Message) -> bool:
    """Whether `message` mentions the role Discord made for the bot in its server."""
    role = message.guild.self_role if message.guild is not None else None
    return role is not None and role in message.role_mentions


async def setup(bot: BriefingBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Conversations(bot))
