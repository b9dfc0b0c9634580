"""`briefing ask`, `chat`, `summary`, `digest`, `sources` and `bot`: reading the index."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli.building import ensure_index
from bot.engine import open_index
from bot.settings import Settings
from bot.terminal import (
    answer_json,
    digest_json,
    echoed,
    format_answer,
    format_digest,
    format_sources,
    format_summary,
    summary_json,
)
from index import ArticleNotFound, BriefingError, BriefingIndex, InvalidQuestion, Scope


def scope_of(args: argparse.Namespace, index: BriefingIndex) -> Scope | None:
    """The --source and --since of `args`, the source read as `/ask` reads it (an id in any
    case, an outlet, or an article's whole title); None when neither is given."""
    source = None if args.source is None else index.source_named(args.source)
    scope = Scope(source, args.since)
    return scope if scope else None


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing chat`: a conversation at the prompt, or JSON lines with `--json -`."""
    from bot.cli.chat import chat_json, chat_prompt

    index = open_index(settings)
    ensure_index(index, settings)
    k = args.k or settings.top_k
    if args.json or args.input == "-":
        scope, refused = _scope_in_band(args, index)
        return chat_json(index, sys.stdin, k, settings.conversation_turns, scope, refused)
    return chat_prompt(index, k, settings.conversation_turns, scope_of(args, index))


def _scope_in_band(args: argparse.Namespace, index: BriefingIndex
                   ) -> tuple[Scope | None, ArticleNotFound | None]:
    """The scope, or the reason it matches nothing, which a command reading lines gives as
    the error of each line: one JSON line out for every line in, as the README promises."""
    try:
        return scope_of(args, index), None
    except ArticleNotFound as err:
        return None, err


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing ask`: one question, or one a line from stdin with `-` (one output a line,
    errors in-band with --json)."""
    index = open_index(settings)
    k = args.k or settings.top_k
    ensure_index(index, settings)
    if args.question != "-":
        answer = index.ask(args.question, k, scope_of(args, index))
        print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json
              else format_answer(answer))
        return 0
    scope, refused = _scope_in_band(args, index)
    status = 0
    for line in sys.stdin:
        if not line.strip() and not args.json:
            continue
        try:
            if refused is not None:
                raise refused
            answer = index.ask(line, k, scope)
        except BriefingError as err:
            status = 1
            if args.json:  # one output line per input line, in order, errors in-band
                print(json.dumps({"question": echoed(line), "answered": False,
                                  "hits": [], "error": str(err)}, ensure_ascii=False),
                      flush=True)
            else:
                print(f"briefing: {err}", file=sys.stderr)
            continue
        print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json
              else format_answer(answer) + "\n", flush=True)
    return status


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing summary`: one article's cited summary, or a briefing on `--topic`."""
    if (args.article is None) == (args.topic is None):
        args.usage_error("give either ARTICLE or --topic TEXT")
    index = open_index(settings)
    ensure_index(index, settings)
    if args.topic is not None:
        try:
            summary = index.summarize_topic(args.topic, args.sentences)
        except InvalidQuestion as err:
            raise BriefingError(f"--topic: {err.about('topic')}") from None
    else:
        summary = index.summarize(index.article_named(args.article), args.sentences)
    print(json.dumps(summary_json(summary), ensure_ascii=False) if args.json
          else format_summary(summary))
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing digest`: the stories indexed since `--since`."""
    index = open_index(settings)
    ensure_index(index, settings)
    digest = index.digest(args.since)
    print(json.dumps(digest_json(digest), ensure_ascii=False) if args.json
          else format_digest(digest))
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing sources`: the indexed articles, newest published first."""
    index = open_index(settings)
    records = index.sources(newest_first=True)
    if args.json:
        print(json.dumps([{"article": r.id, "title": r.title, "source": r.source,
                           "published": r.published,
                           "date": r.published_day.isoformat() if r.published_day else None,
                           "passages": r.passages, "indexed_at": r.indexed_at}
                          for r in records], ensure_ascii=False))
        return 0
    print(format_sources(records))
    return 0


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing bot`: run the Discord bot until it is stopped."""
    from bot.app import run_bot

    return run_bot(settings)
