"""The Discord application: the bot class, its error handler, and `run_bot`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands, tasks

from bot import health, render
from bot.acknowledgements import Acknowledgements
from bot.cogs import replies
from bot.conversations import ChannelModeStore, ConversationStore, PostingLocks, StartOvers
from bot.engine import open_index
from bot.errors import UserError
from bot.feedback import FeedbackLog
from bot.question_limit import QuestionLimit
from bot.reindex_worker import Reindexer, ReindexFailed
from bot.reindexing import Reindexing
from bot.settings import Settings, secrets_dir
from bot.wording import as_sentence
from index import (
    NOTHING_INDEXED,
    PREVIOUS_STILL_ANSWERS,
    BriefingError,
    BriefingIndex,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTENSIONS = ("bot.cogs.expiring", "bot.cogs.ask", "bot.cogs.conversations", "bot.cogs.sources",
              "bot.cogs.admin", "bot.cogs.summaries", "bot.cogs.feeds", "bot.cogs.stories",
              "bot.cogs.help")
UNEXPECTED = "Something went wrong while handling that; the error has been logged."
CLOSE_WAIT_S = 5.0  # how long closing waits for an answer being posted
AUTHENTICATION_FAILED = 4004  # the gateway's close code for a token it does not accept
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011  # its close codes for the shard settings
REFUSED = {
    AUTHENTICATION_FAILED: "Discord refused the token (BRIEFING_DISCORD_TOKEN)",
    INVALID_SHARD: "Discord refused the shard (BRIEFING_SHARD_COUNT, BRIEFING_SHARD_IDS)",
    SHARDING_REQUIRED: "Discord says the bot is in too many servers for one connection: set "
                       "BRIEFING_SHARD_COUNT",
}
# What the bot asks for when invited (the README's list): it posts answers with embeds, in
# threads it opens, and reads the messages it replies to.
INVITE_PERMISSIONS = discord.Permissions(
    send_messages=True, send_messages_in_threads=True, create_public_threads=True,
    embed_links=True, read_message_history=True)
# Work off the event loop (index calls, SQLite) runs on this many threads: more only fight the
# loop for the GIL (100 questions at once, defer p50 on 6 threads then 2: 166 → 130 ms and
# 369 → 180 ms, two pairs of runs on a loaded 2-core machine); ONNX has threads of its own.
WORKER_THREADS = 2
# How long a thread holding the GIL keeps it while the event loop waits (Python's default 5 ms).
SWITCH_INTERVAL_S = 0.001


def use_fast_event_loop() -> bool:
    """Run the bot on uvloop where it is installed (not on Windows): its sockets, transports
    and callbacks are C, where asyncio's are Python. 100 /ask at once, with a reindex
    running, cost the event loop ~57 ms of CPU until the last defer on asyncio's loop, ~49 ms
    on uvloop (two runs each on a loaded 2-core machine), and the defers queue behind it."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def point_at_discord(api_base: str, gateway_url: str) -> None:
    """Send REST calls and the gateway connection to the given URLs (Discord or a proxy)."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def in_guild():
    """A check that refuses DMs (discord.py's `guild_only` only hides the command there)."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    return app_commands.check(predicate)


class ArticlesChangedElsewhere(app_commands.CheckFailure, UserError):
    """Refused: the articles may be changed only from the servers in BRIEFING_ADMIN_GUILD_IDS."""


def changes_articles():
    """A check for the commands that change the articles (one corpus answers every server the
    bot is in): with BRIEFING_ADMIN_GUILD_IDS set, they run only in the servers it names."""

    def predicate(interaction: discord.Interaction) -> bool:
        allowed = interaction.client.settings.admin_guild_ids
        if allowed and interaction.guild_id not in allowed:
            raise ArticlesChangedElsewhere(
                "The articles are shared by every server the bot is in, and only admins of "
                "the servers in BRIEFING_ADMIN_GUILD_IDS may change them.")
        return True

    return app_commands.check(predicate)


# Discord: "Unknown interaction" (not acknowledged within 3 s), "already acknowledged"
_NOTHING_TO_TELL = (10062, replies.ALREADY_ACKNOWLEDGED)


class BriefingTree(app_commands.CommandTree):
    """The command tree; every failure of a command ends as a short ephemeral reply (a public
    "thinking…" before it is first turned into a neutral line: see bot/cogs/replies.py)."""

    async def on_error(self, interaction: discord.Interaction,
                       error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        if isinstance(original, discord.HTTPException) and original.code in _NOTHING_TO_TELL:
            # Too late to answer (Discord gives 3 s; a gateway outage replays older ones), or
            # answered already: no reply can reach the member, and nothing went wrong here.
            log.info("command %s: %s", getattr(interaction.command, "name", "?"), original.text)
            return
        await replies.end_public_thinking(interaction)
        message = error_message(error)
        if message == UNEXPECTED:
            log.error("command %s failed", getattr(interaction.command, "name", "?"),
                      exc_info=error)
        await reply_ephemeral(interaction, message)


def error_message(error: Exception) -> str:
    """The one line a user sees for an error raised by a command."""
    original = getattr(error, "original", error)
    if isinstance(original, UserError | BriefingError):  # some are reasons, not yet sentences
        return as_sentence(str(original))
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission to do that."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    return UNEXPECTED


async def reply_ephemeral(interaction: discord.Interaction, message: str) -> None:
    """Answer privately, whether or not the interaction was already acknowledged. The line
    is cut to Discord's 2,000 characters: a reason can quote what a page or file sent."""
    message = render.clip(message, render.CONTENT_LIMIT)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error reply", exc_info=True)


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's formula); DMs come to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


class BriefingBot(commands.Bot):
    """The bot: one index shared by every cog, commands loaded from EXTENSIONS.

    With BRIEFING_SHARD_COUNT set, `BriefingBot(settings)` is a `ShardedBriefingBot` (an
    auto-sharded client over BRIEFING_SHARD_IDS); otherwise a plain, unsharded `commands.Bot`.
    """

    def __new__(cls, settings: Settings, *args: object, **options: object) -> BriefingBot:
        if cls is BriefingBot and settings.shard_count is not None:
            cls = ShardedBriefingBot
        return super().__new__(cls)

    def __init__(self, settings: Settings, index: BriefingIndex | None = None,
                 **options: object) -> None:
        intents = discord.Intents.default()  # without message content, mentions carry text
        intents.message_content = settings.message_content  # privileged: opt in
        if isinstance(self, discord.AutoShardedClient):
            options.setdefault("shard_count", settings.shard_count)
            options.setdefault("shard_ids", settings.shard_ids)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents,
                         help_command=None, tree_cls=BriefingTree,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self.settings = settings
        self.index = index or open_index(settings)
        self.feedback = FeedbackLog(settings.feedback_db, database_url=settings.database_url)
        self.conversations = ConversationStore(
            settings.conversations_db, ttl_s=settings.conversation_ttl_s,
            max_turns=settings.conversation_turns, max_conversations=settings.max_conversations,
            database_url=settings.database_url)
        self.channel_modes = ChannelModeStore(settings.conversations_db,
                                              database_url=settings.database_url)
        self.posting = PostingLocks()
        self.started_over = StartOvers()  # "/new" in DMs, heeded by every way of asking
        self.reindexer = Reindexer()  # reindexes run in a child process
        self.reindexing = Reindexing(self.index, settings.corpus_dir, self.reindexer)
        self.acknowledgements = Acknowledgements()
        self.questions = QuestionLimit(settings.ask_per_minute)  # one budget, every way in
        self._health_unwritable = False  # said once, not every TOUCH_EVERY_S

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Every event as discord.py dispatches it; interactions are counted on arrival (the
        command's own task is created just before, and runs only after this returns)."""
        if event_name == "interaction":
            self.acknowledgements.arrived(args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def answer_work(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `function` in a worker thread once no other interaction awaits its
        acknowledgement (see bot.acknowledgements): for work after the caller's own
        acknowledgement (answers, and the state lookups that only they need), or for a
        message; never before the defer it would hold up."""
        await self.acknowledgements.settled()
        return await asyncio.to_thread(function, *args, **kwargs)

    def holds_guild(self, guild_id: int | None) -> bool:
        """Whether this process runs the shard that holds the guild (None: a DM or no guild,
        shard 0). Unsharded, it holds every guild. Per-guild work that only one process may do
        (scheduled digests, feed posts) is left to the process that holds the guild."""
        count = self.settings.shard_count
        if count is None:
            return True
        shards = self.settings.shard_ids
        return shards is None or shard_of(guild_id, count) in shards

    async def setup_hook(self) -> None:
        if self.settings.shard_count is not None:
            shards = self.settings.shard_ids or range(self.settings.shard_count)
            log.info("running shards %s of %d", ",".join(map(str, shards)),
                     self.settings.shard_count)
        if self.application_id is not None:
            log.info("invite the bot to a server with %s", discord.utils.oauth_url(
                self.application_id, permissions=INVITE_PERMISSIONS,
                scopes=("bot", "applications.commands")))
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="briefing-worker"))
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await asyncio.to_thread(self.warm_up)
        if self.settings.health_file:
            self.report_health.start()
        if self.settings.guild_ids:
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    def warm_up(self) -> None:
        """Build the index if there is none, then load it and the model before serving
        (called in a worker thread while the event loop runs).

        An empty corpus gives an empty index (questions get "No articles are indexed yet.");
        a missing corpus folder is created first, as `/add` would. The build runs in a child
        process, like every reindex of the bot.
        """
        reason = self.index.build_needed()
        if reason is not None:
            corpus = self.settings.corpus_dir
            log.warning("%s: indexing %s", reason, corpus)
            if not corpus.is_dir():
                log.warning("corpus folder %s does not exist; starting with no articles", corpus)
                corpus.mkdir(parents=True, exist_ok=True)
            try:
                report = asyncio.run_coroutine_threadsafe(
                    self.reindexer.run(self.index, corpus), self.loop).result()
            except ReindexFailed as err:  # its traceback is in the log: start-up says one line
                raise BriefingError(f"the first index could not be built: {err}") from None
            except BriefingError as err:  # nothing answers yet, whatever a reindex says
                raise BriefingError("the first index could not be built: "
                                    + str(err).removesuffix(PREVIOUS_STILL_ANSWERS)) from None
            if not report.passages:
                log.warning("no articles in %s: questions get %r", corpus, NOTHING_INDEXED)
        self.index.warm_up()

    @tasks.loop(seconds=health.TOUCH_EVERY_S)
    async def report_health(self) -> None:
        """Touch the health file while the gateway connection is up; a file that cannot be
        written is said once (the container's health check then fails), not every 30 s."""
        path = self.settings.health_file
        if not (self.is_ready() and not self.is_closed() and path):
            return
        try:
            await asyncio.to_thread(health.touch, path)
        except OSError as err:
            if not self._health_unwritable:
                log.warning("cannot write the health file %s (%s): health checks will fail",
                            path, err.strerror or err)
            self._health_unwritable = True
        else:
            self._health_unwritable = False

    async def on_message(self, message: discord.Message) -> None:
        """Messages are handled by the conversations cog; there are no prefix commands."""

    async def close(self) -> None:
        self.report_health.cancel()
        await self.reindexing.stop()
        try:  # let an answer being posted store its turn before the stores close
            async with asyncio.timeout(CLOSE_WAIT_S):
                await self.posting.idle()
        except TimeoutError:
            log.warning("closing while an answer is still being posted")
        await super().close()
        self.feedback.close()
        self.conversations.close()
        self.channel_modes.close()


class ShardedBriefingBot(BriefingBot, commands.AutoShardedBot):
    """The bot as an auto-sharded client: one gateway connection per shard it runs."""


def run_bot(settings: Settings) -> int:
    """Run until stopped; returns the exit status for `briefing bot`."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value():
        print("briefing: BRIEFING_DISCORD_TOKEN is not set (environment, .env or "
              f"{secrets_dir()}/briefing_discord_token)", file=sys.stderr)
        return 2
    # `briefing` (bot.cli) installed the one log handler; adding discord.py's as well printed
    # every line twice. The bot only logs in more detail.
    logging.getLogger().setLevel(logging.INFO)
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # the event loop gets the GIL back sooner
    use_fast_event_loop()
    point_at_discord(settings.discord_api_base, settings.discord_gateway_url)
    bot = BriefingBot(settings)
    signal.signal(signal.SIGTERM, _close_as_on_ctrl_c)
    try:
        bot.run(settings.discord_token.get_secret_value(), log_handler=None)
    except (discord.LoginFailure, discord.ConnectionClosed) as err:
        code = err.code if isinstance(err, discord.ConnectionClosed) else AUTHENTICATION_FAILED
        if code not in REFUSED:
            raise
        print(f"briefing: {REFUSED[code]}", file=sys.stderr)
        return 2
    except (aiohttp.ClientConnectionError, TimeoutError) as err:  # no answer at login
        print(f"briefing: cannot reach Discord at {settings.discord_api_base} "
              f"({type(err).__name__}: {err})", file=sys.stderr)
        return 1
    except discord.HTTPException as err:  # something answered the login, not as Discord does
        if bot.user is not None:  # logged in: a failure of its own, not of the address
            raise
        print(f"briefing: {settings.discord_api_base} did not answer the login as Discord "
              f"does (HTTP {err.status}); check BRIEFING_DISCORD_API_BASE", file=sys.stderr)
        return 1
    return 0


def _close_as_on_ctrl_c(signum: int, frame: object) -> None:
    """SIGTERM (`docker stop`, systemd) closes the bot as Ctrl-C does: the answers being
    posted store their turns, the reindex process is stopped, status 0. Without a handler
    the process died at once, and as a container's PID 1 (the image's entry point) ignored
    SIGTERM altogether, until `docker stop` killed it 10 s later."""
    signal.raise_signal(signal.SIGINT)
