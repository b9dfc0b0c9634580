"""All configuration, read once from BRIEFING_* environment variables, `.env` and secret files."""

from __future__ import annotations

import difflib
import io
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError as PydanticSettingsError

from index import DEFAULT_GATE_THRESHOLD

log = logging.getLogger(__name__)

SECRETS_DIR = "/run/secrets"


class SettingsError(Exception):
    """A setting has an invalid value; the message names the BRIEFING_* variable."""


# The most any byte limit may be: more is a typo, and reading it whole would exhaust memory.
MAX_BYTES = 100_000_000
MAX_SHARDS = 100_000  # far beyond what Discord asks of the largest bots


class Settings(BaseSettings):
    """Every setting of the bot and the `briefing` command."""

    # allow_inf_nan: "nan" was refused as "less than or equal to 1", which it is not above
    model_config = SettingsConfigDict(env_prefix="BRIEFING_", env_file=".env",
                                      env_file_encoding="utf-8-sig", extra="ignore",
                                      allow_inf_nan=False)

    corpus_dir: Path = Field(Path("corpus"), description="Folder of article files")
    index_dir: Path = Field(Path(".briefing/index"), description="Where the index is kept")
    model_path: Path | None = Field(None, description="Sentence-transformers model folder; "
                                    "default: the bundled all-MiniLM-L6-v2")
    embed_precision: Literal["auto", "int8", "float32", "bfloat16"] = Field(
        "auto", description="Precision of bulk embedding (reindex, long summaries): auto and "
        "int8 are ONNX Runtime int8, float32 ONNX Runtime float32, bfloat16 PyTorch (fast "
        "only with AVX512-BF16/AMX; loads PyTorch into the process)")
    top_k: int = Field(3, ge=1, le=10, description="Passages per answer")
    gate_threshold: float = Field(DEFAULT_GATE_THRESHOLD, ge=0.0, le=1.0,
                                  description="Relevance gate: the least modelled probability "
                                  "that the articles cover a question for it to be answered")
    max_question_chars: int = Field(1000, ge=10, le=4000, description="Longest question accepted")

    discord_token: SecretStr | None = Field(None, description="Bot token (required for the bot)")
    discord_api_base: str = Field("https://discord.com/api/v10", description="Discord REST base")
    discord_gateway_url: str = Field("wss://gateway.discord.gg/", description="Discord gateway")
    guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Guilds to sync commands to at once: 123, 123,456 "
        "or a JSON list")
    admin_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Servers whose admins (Manage Server) may add, "
        "remove and reindex the articles every server shares; empty: any server's admins")
    feedback_db: Path = Field(Path(".briefing/feedback.sqlite"),
                              description="SQLite file for 👍/👎 votes")
    ask_per_minute: int = Field(6, ge=0, le=600,
                                description="Questions one user may ask a minute, every way "
                                "of asking together (0: no limit)")
    fetch_max_bytes: int = Field(5_000_000, ge=1000, le=MAX_BYTES,
                                 description="Largest page /add fetches")
    fetch_timeout_s: float = Field(15.0, gt=0, le=120, description="Time limit for /add url")
    fetch_allow_loopback: bool = Field(False, description="Let /add fetch 127.0.0.1 (tests)")
    schedules_db: Path = Field(Path(".briefing/schedules.sqlite"),
                               description="SQLite file for daily digest schedules")
    digest_check_s: float = Field(60.0, ge=0.05, le=3600,
                                  description="How often scheduled digests are checked")
    health_file: Path | None = Field(None, description="File touched every 30 s while "
                                     "connected (for container health checks)")
    attachment_max_bytes: int = Field(2_000_000, ge=1000, le=MAX_BYTES,
                                      description="Largest file /add accepts")
    max_article_bytes: int = Field(5_000_000, ge=1000, le=MAX_BYTES,
                                   description="Largest article file a reindex reads; larger "
                                   "files are skipped and named")
    conversations_db: Path = Field(Path(".briefing/conversations.sqlite"),
                                   description="SQLite file for conversations (follow-ups) "
                                   "and per-channel conversation modes")
    conversation_ttl_s: float = Field(4 * 3600, ge=1, le=30 * 86400,
                                      description="Seconds after its last message that a "
                                      "conversation is forgotten")
    conversation_turns: int = Field(6, ge=1, le=50, description="Messages of a conversation "
                                    "kept as context for follow-ups")
    max_conversations: int = Field(10_000, ge=1, le=10_000_000,
                                   description="Conversations kept at most; the least "
                                   "recently active are dropped first")
    feeds_db: Path = Field(Path(".briefing/feeds.sqlite"),
                           description="SQLite file for followed feeds and the items taken")
    feed_interval_s: float = Field(1800.0, ge=1, le=7 * 86400, description="Default time "
                                   "between two polls of a feed (each feed may set its own)")
    feed_check_s: float = Field(60.0, ge=0.05, le=3600,
                                description="How often the bot looks for feeds due a poll")
    feed_max_items: int = Field(50, ge=1, le=1000,
                                description="New items taken from one feed in one poll")
    feed_max_age_days: float = Field(14.0, gt=0, le=3650, description="Items published "
                                     "longer ago than this are not taken")
    feed_max_bytes: int = Field(5_000_000, ge=1000, le=MAX_BYTES,
                                description="Largest feed document read")
    database_url: str | None = Field(None, description="PostgreSQL URL (postgresql://user:"
                                     "password@host/db) that holds the bot's state — feedback, "
                                     "digest schedules, feeds, conversations — so several bot "
                                     "processes share it; unset: the *_db SQLite files. Needs "
                                     "pip install -e '.[postgres]'")
    shard_count: int | None = Field(None, ge=1, le=MAX_SHARDS,
                                    description="Shards the whole bot is split "
                                    "into (every process gives the same count); unset: "
                                    "discord.py connects one shard and no sharding")
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        None, description="The shards this process runs, e.g. 0,1 or 0-3 (needs "
        "BRIEFING_SHARD_COUNT); unset: all of them")
    message_content: bool = Field(False, description="Ask Discord for the privileged Message "
                                  "Content intent (enable it in the developer portal too): "
                                  "follow-ups in threads and forum posts need no mention")

    @field_validator("discord_token")
    @classmethod
    def _token_is_one_word(cls, value: SecretStr | None) -> SecretStr | None:
        """Surrounding whitespace (a pasted newline) is dropped; anything else that is not
        printable ASCII would only fail later, deep in an HTTP header. The message never shows
        the token."""
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not re.fullmatch(r"[!-~]*", token):
            raise ValueError("has spaces, line breaks or other characters inside that a "
                             "Discord token never has")
        return SecretStr(token)

    @field_validator("discord_api_base", "discord_gateway_url")
    @classmethod
    def _web_address(cls, value: str, info: ValidationInfo) -> str:
        """An http(s) base for REST, a ws(s) URL for the gateway, each with a host."""
        schemes = ("http", "https") if info.field_name == "discord_api_base" else ("ws", "wss")
        parts = urlsplit(value.strip())
        if parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"is not a {schemes[1]}:// (or {schemes[0]}://) URL with a host")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        """Blank means unset; anything else must be a postgresql:// URL (the message never
        shows the value, which may hold a password)."""
        if value is None or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in ("postgresql", "postgres"):
            raise ValueError("is not a postgresql:// URL")
        return value.strip()

    @field_validator("shard_count", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty BRIEFING_SHARD_COUNT= means unset."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("guild_ids", "admin_guild_ids", mode="before")
    @classmethod
    def _server_ids(cls, value: object) -> object:
        """"123" or "123,456" in the environment, as BRIEFING_SHARD_IDS takes its ids (a JSON
        list works too): one server id was refused as "Input should be a valid list"."""
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("is not a JSON list of server ids") from None
        parts = [part.strip() for part in value.split(",")] if value.strip() else []
        for part in parts:
            if not (part.isascii() and part.isdigit()):  # "¹²³" is digits to isdigit, not int
                raise ValueError(f"{part!r} is not a server id (e.g. 123, 123,456 or "
                                 "[123, 456])")
        return [int(part) for part in parts]

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_range(cls, value: object) -> object:
        """"0,1", "0-3" or "0-1,4" in the environment (a JSON list works too)."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError("is not a JSON list of shard ids") from None
        ids: list[int] = []
        for part in value.split(","):
            # [0-9], not \d: "١" (Arabic-Indic one) is \d, and was read as shard 1
            match = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", part)
            if match is None:
                raise ValueError(f"{part.strip()!r} is not a shard id or range (e.g. 0,1 or 0-3)")
            first, last = int(match.group(1)), int(match.group(2) or match.group(1))
            if last < first:
                raise ValueError(f"the range {first}-{last} runs backwards")
            if last >= MAX_SHARDS:  # checked before expanding: 0-99999999 took gigabytes
                raise ValueError(f"shard {last} is beyond any shard count "
                                 f"(at most {MAX_SHARDS:,} shards)")
            ids.extend(range(first, last + 1))
        return ids

    @field_validator("shard_ids")
    @classmethod
    def _shards_exist(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        """Ids need a count, lie within 0..count-1, and each appears once."""
        if value is None:
            return None
        if "shard_count" not in info.data:
            return value  # the count itself is invalid; that error says so
        count = info.data["shard_count"]
        if count is None:
            raise ValueError("needs BRIEFING_SHARD_COUNT (the total number of shards)")
        if not value:
            raise ValueError("names no shard")
        outside = sorted({i for i in value if not 0 <= i < count})
        if outside:
            raise ValueError(f"shard {outside[0]} is outside 0-{count - 1} "
                             f"(BRIEFING_SHARD_COUNT={count})")
        return sorted(set(value))

    @field_validator("corpus_dir", "index_dir", "feedback_db", "schedules_db",
                     "conversations_db", "feeds_db", mode="before")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        # An empty path would be the working directory: a reindex would write the index into
        # it, or index every text file there as articles (and `remove` delete from it).
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty (unset it to use the default)")
        return value

    @field_validator("model_path", "health_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # These default to unset: empty (`-e BRIEFING_HEALTH_FILE=` over an image's value)
        # means unset too, not the working directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, value: Path | None) -> Path | None:
        try:
            found = value is None or (value / "config.json").is_file()
        except OSError as err:  # no permission to look, a name too long
            raise ValueError(f"{value} cannot be read ({err.strerror})") from None
        if not found:
            raise ValueError(f"{value} is not a sentence-transformers model folder")
        return value


def secrets_dir() -> str:
    """The folder secrets are read from (a file per setting, as Docker mounts them)."""
    return os.environ.get("BRIEFING_SECRETS_DIR", SECRETS_DIR)


# BRIEFING_ variables that are not settings but are read on their own.
OTHER_VARIABLES = {"BRIEFING_SECRETS_DIR", "BRIEFING_REINDEX_INDEX"}


def unknown_variables(names: Iterable[str]) -> list[str]:
    """A line for each BRIEFING_ name that is no setting (a typo is otherwise ignored in
    silence), with the setting it probably means."""
    known = {f"BRIEFING_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
    lines = []
    for name in sorted({n.upper() for n in names if n.upper().startswith("BRIEFING_")}):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            lines.append(f"{name} is not a setting and is ignored"
                         + (f"; did you mean {close[0]}?" if close else ""))
    return lines


def _check_env_file(path: Path) -> None:
    """Raise SettingsError for a .env line that python-dotenv cannot parse (an unclosed
    quote): it drops such a line with a warning that names no variable, and the setting then
    silently takes its default. A .env that is a folder (what Docker makes of a bind mount
    whose file is missing) is an error too. The line itself is not shown: it may hold the
    token."""
    if path.is_dir():
        raise SettingsError("cannot read the settings file .env (it is a folder)")
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):  # missing; unreadable ones are said below
        return
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            name = binding.original.string.split("=", 1)[0].strip()
            named = f" ({name})" if re.fullmatch(r"[A-Za-z_]\w*", name) else ""
            raise SettingsError(f"cannot parse .env line {binding.original.line}{named}: "
                                "is a quote left open?")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value raises SettingsError naming its variable, and a name
    that is no setting (in the environment or .env) is warned about."""
    secrets = secrets_dir()
    extra = {"_secrets_dir": secrets} if Path(secrets).is_dir() else {}
    _check_env_file(Path(".env"))
    try:
        settings = Settings(**extra, **overrides)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            name = "BRIEFING_" + "_".join(str(p) for p in error["loc"][:1]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None
    except OSError as err:  # the .env file or a secret is unreadable
        raise SettingsError(f"cannot read the settings file {err.filename or '.env'} "
                            f"({err.strerror or err})") from None
    except UnicodeDecodeError:  # only files are decoded here: .env, or a secret
        raise SettingsError("cannot read the settings file .env or a secret (not valid "
                            "UTF-8)") from None
    except PydanticSettingsError as err:  # a value that is not even parseable
        field = re.search(r'field "(\w+)"', str(err))
        name = f"BRIEFING_{field.group(1).upper()}" if field else "a BRIEFING_ variable"
        raise SettingsError(f"invalid setting {name}: cannot be parsed "
                            "(is it UTF-8 text?)") from None
    env_file = Path(".env")
    names = list(os.environ) + (list(dotenv_values(env_file, encoding="utf-8-sig"))
                                if env_file.is_file() else [])
    for line in unknown_variables(names):
        log.warning("%s", line)
    return settings
