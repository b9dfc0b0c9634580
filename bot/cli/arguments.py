"""The `briefing` command line's parser and the types of its arguments."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from bot.cli.corpus import cmd_add, cmd_reindex, cmd_remove
from bot.cli.evaluate import cmd_eval
from bot.cli.feedback import add_feedback_parser
from bot.cli.feeds import add_feed_parser
from bot.cli.query import cmd_ask, cmd_bot, cmd_chat, cmd_digest, cmd_sources, cmd_summary
from bot.cli.stories import add_stories_parser
from bot.when import parse_since


def build_parser() -> argparse.ArgumentParser:
    """The `briefing` parser: each subcommand's arguments, and the function that runs it."""
    parser = argparse.ArgumentParser(
        prog="briefing", description="Cited answers and summaries from a folder of articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("reindex", help="index the corpus (only what changed)")
    p.add_argument("--corpus", type=path_argument, metavar="DIR",
                   help="corpus folder (default: BRIEFING_CORPUS_DIR)")
    p.add_argument("--readmit", nargs="+", default=[], metavar="ARTICLE_ID",
                   help="index these removed articles again, their files being back (a "
                        "database otherwise skips a removed article's file)")
    p.add_argument("--allow-empty", action="store_true",
                   help="empty the index when the corpus holds no article (otherwise "
                        "refused, as an unmounted folder looks empty)")
    p.set_defaults(run=cmd_reindex)

    p = sub.add_parser("add", help="add an article from a link or a file to the corpus, then "
                       "reindex (as /add does)")
    p.add_argument("article", metavar="URL|FILE",
                   help="the article's http(s) link, or a .txt, .md or .html file")
    p.set_defaults(run=cmd_add)

    p = sub.add_parser("remove", help="remove articles from the corpus (and the database), "
                       "then reindex")
    p.add_argument("articles", nargs="+", metavar="ARTICLE",
                   help="an article's id or whole title (see `briefing sources`)")
    p.add_argument("--corpus", type=path_argument, metavar="DIR",
                   help="corpus folder (default: the one the "
                   "index was last built from, else BRIEFING_CORPUS_DIR)")
    p.set_defaults(run=cmd_remove)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question", help="the question, or - to read one question per line")
    p.add_argument("-k", type=whole_number(1, 10), metavar="N",
                   help="passages to show, 1 to 10 (default: BRIEFING_TOP_K)")
    add_scope_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_ask, quick_exit=True)  # (an index it first builds is saved)

    p = sub.add_parser("chat", help="a conversation: follow-up questions keep the context")
    p.add_argument("input", nargs="?", choices=["-"],
                   help='- reads JSON lines {"thread": ID, "text": MESSAGE} (with --json)')
    p.add_argument("-k", type=whole_number(1, 10), metavar="N",
                   help="passages to show, 1 to 10 (default: BRIEFING_TOP_K)")
    add_scope_arguments(p)
    p.add_argument("--json", action="store_true",
                   help="JSON lines in and out: one ask --json object plus \"thread\" per line")
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("summary", help="summarize an article, or brief on a topic across all")
    p.add_argument("article", nargs="?", metavar="ARTICLE",
                   help="an indexed article's id or whole title (see `briefing sources`)")
    p.add_argument("--topic", metavar="TEXT", help="brief on a topic across all articles instead")
    p.add_argument("--sentences", type=whole_number(3, 10), default=5, metavar="N",
                   help="sentences in the summary, 3 to 10 (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_summary, usage_error=p.error)

    p = sub.add_parser("digest", help="the stories indexed since a time: who reported each, "
                       "its key sentences; for a story seen before, only what is new")
    p.add_argument("--since", type=since, default="1d", metavar="DATE|1d|7d",
                   help="a date (YYYY-MM-DD, midnight UTC), a time (ISO 8601; UTC unless it "
                        "gives an offset) or an age such as 1d, 7d, 12h (default: 1d)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_digest)

    p = sub.add_parser("sources", help="list the indexed articles")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_sources)

    p = sub.add_parser("eval", help="measure retrieval quality")
    p.add_argument("questions", nargs="*", type=path_argument,
                   help='JSONL files of {"q": QUESTION, "paras": [N, ...], "article": ID} '
                        '(no paras: must be refused; without "article", paragraph N of any '
                        'article counts)')
    p.add_argument("--beir", type=path_argument, metavar="DIR", help="BEIR-layout data set")
    p.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    p.add_argument("--squad", type=path_argument, metavar="FILE", help="SQuAD v1.1 JSON file")
    p.add_argument("--limit", type=whole_number(1), help="first N SQuAD questions only")
    p.add_argument("--summaries", type=path_argument, metavar="FILE",
                   help='JSONL of {"id", "article", "highlights"}: ROUGE of our 3-sentence '
                        "summaries and of LEAD-3")
    p.add_argument("--rows", type=row_range, metavar="A-B",
                   help="with --summaries: rows A to B only (1-based, inclusive)")
    p.add_argument("--in-out", type=path_argument, metavar="FILE",
                   help="SQuAD JSON or CNN JSONL: index half the articles, ask about all; "
                        "gate and recall on the fit and test halves")
    p.add_argument("--archive", type=path_argument, metavar="CNN_FILE",
                   help="the corpus plus every CNN row as one archive: recall of the "
                        "QUESTIONS files (seed questions) and of each row's highlights")
    p.add_argument("--per-line", action="store_true",
                   help="with --archive: each highlight line is a question")
    p.add_argument("--fit", nargs=2, type=path_argument, metavar=("SQUAD_FILE", "CNN_FILE"),
                   help="fit the ranking weights and the gate on the fit halves; report both")
    p.add_argument("--recency", type=path_argument, metavar="CNN_FILE",
                   help="stories reported more than once, dated: does 'what's the latest on' "
                        "find the newest report, and do other questions keep their own")
    p.add_argument("--stories", type=path_argument, metavar="CNN_FILE",
                   help="story grouping: CNN stories each reported three times; pairwise "
                        "precision and recall on the test half, threshold fitted on the fit "
                        "half, against single link")
    p.add_argument("--conversations", type=path_argument, metavar="SQUAD_FILE",
                   help="follow-ups alone and in context: SQuAD conversation pairs (fit and "
                        "test halves) and QUESTIONS files of pairs about the corpus "
                        '({"first", "first_paras", "followup", "paras", "kind"})')
    p.add_argument("--refit", action="store_true",
                   help="with --conversations: fit the context weights on the fit half first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_eval)

    add_feed_parser(sub)
    add_stories_parser(sub)
    add_feedback_parser(sub)

    p = sub.add_parser("bot", help="run the Discord bot (needs BRIEFING_DISCORD_TOKEN)")
    p.set_defaults(run=cmd_bot)
    return parser


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argument type: a whole number from `low` to `high` (no upper bound when None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bound = f"{low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def path_argument(text: str) -> Path:
    """A path argument; a blank one is refused (it would mean the working directory, and
    `remove --corpus ""` would delete files there)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return Path(text)


def row_range(text: str) -> tuple[int, int]:
    """`A-B` (1-based, inclusive) as a pair."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a row range such as 1-500")
    return int(match.group(1)), int(match.group(2))


def minus_values_joined(argv: Sequence[str]) -> list[str]:
    """`argv` with `--since -3d` written `--since=-3d`. argparse takes a value that starts
    with "-" for an option and says only "expected one argument"; joined, the value reaches
    `since`, whose error says how to write it."""
    joined: list[str] = []
    for arg in argv:
        if (joined and joined[-1] == "--since" and "--" not in joined
                and re.match(r"-\s*\d", arg)):
            joined[-1] = f"--since={arg}"
        else:
            joined.append(arg)
    return joined


def since(text: str) -> datetime:
    """`--since`: an age (`7d`, `12h`), a date (midnight UTC) or an ISO time."""
    try:
        return parse_since(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_scope_arguments(p: argparse.ArgumentParser) -> None:
    """--source and --since, as `ask` and `chat` take them."""
    p.add_argument("--source", metavar="ARTICLE_OR_OUTLET",
                   help="answer only from one article (its id or whole title) or outlet "
                        "(e.g. reuters.com)")
    p.add_argument("--since", type=since, metavar="DATE|1d|7d",
                   help="answer only from articles published (else indexed) since then")
