"""The `briefing` command: reindex, ask, summary, digest, sources, eval, bot.

Heavy modules (torch, sentence-transformers) load only inside the commands that need them, so
`briefing --help` and `briefing sources` stay quick.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from bot.engine import open_index
from bot.feed_cli import add_feed_parser
from bot.feeds.store import mark_removed
from bot.settings import Settings, SettingsError, load_settings
from bot.story_cli import add_stories_parser
from bot.terminal import (
    answer_json,
    describe_report,
    digest_json,
    echoed,
    format_answer,
    format_digest,
    format_sources,
    format_summary,
    shown,
    summary_json,
)
from bot.when import parse_since
from index import (
    ArticleNotFound,
    BriefingError,
    BriefingIndex,
    IndexMissing,
    InvalidQuestion,
    ReindexReport,
    Scope,
    check_corpus_folder,
)


def console() -> None:
    """The `briefing` console script: `main`, then exit. `ask` skips the interpreter's
    teardown once its output is flushed (`_flushed`): tearing down the ~600 modules a
    question loads cost 0.2-0.3 s on a 2-core machine, a sixth of a cold `briefing ask`."""
    sys.exit(main(allow_quick_exit=True))


def main(argv: list[str] | None = None, allow_quick_exit: bool = False) -> int:
    """Run one command; returns the exit status (see `console` for `allow_quick_exit`)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # "discarding data: None" for pages without text: nothing to act on
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
    status = _flushed(_run(args))
    if allow_quick_exit and getattr(args, "quick_exit", False):
        logging.shutdown()
        os._exit(status)  # no teardown: see `console`
    return status


def _flushed(status: int) -> int:
    """`status` once the output is written. A reader that closed the pipe early has what it
    wanted; any other failure to write (a full disk) is an error, one line and status 120
    as Python's own exit would give, without its traceback."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            _discard(stream)
        except (OSError, ValueError) as err:
            _discard(stream)
            if status != 120:  # not said already (`_run`)
                status = status or 120
                with suppress(OSError):
                    os.write(2, f"briefing: could not write the output: "
                                f"{getattr(err, 'strerror', None) or err}\n".encode())
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        return int(args.run(args, settings) or 0)
    except SettingsError as err:
        print(f"briefing: {err}", file=sys.stderr)
        return 2
    except BriefingError as err:
        print(f"briefing: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefing: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader closed the pipe (`briefing ask … | head`): it has what it wanted. Later
        # writes, Python's own final flush among them, go nowhere instead of failing again.
        _discard(sys.stdout)
        return 0
    except OSError as err:
        # The system refused something (a full disk under the output, a file the command
        # opens): one line, as for any other error the user can act on, not a traceback.
        if err.filename is None and err.errno in _OUTPUT_ERRNOS:
            _discard(sys.stdout)
            print(f"briefing: could not write the output: {err.strerror}", file=sys.stderr)
            return 120
        where = f": {err.filename}" if err.filename is not None else ""
        print(f"briefing: {err.strerror or err}{where}", file=sys.stderr)
        return 1


# Errors only a write gives (EIO can come from a read: a terminal that went away).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _discard(stream) -> None:
    """Send what is left of `stream` (Python's final flush among it) to /dev/null."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing", description="Cited answers and summaries from a folder of articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("reindex", help="index the corpus (only what changed)")
    p.add_argument("--corpus", type=_path, help="corpus folder (default: BRIEFING_CORPUS_DIR)")
    p.add_argument("--readmit", nargs="+", default=[], metavar="ARTICLE_ID",
                   help="index these removed articles again, their files being back (a "
                        "database otherwise skips a removed article's file)")
    p.set_defaults(run=cmd_reindex)

    p = sub.add_parser("remove", help="remove articles from the corpus (and the database), "
                       "then reindex")
    p.add_argument("articles", nargs="+", metavar="ARTICLE",
                   help="an article's id or whole title (see `briefing sources`)")
    p.add_argument("--corpus", type=_path, help="corpus folder (default: the one the index was "
                   "last built from, else BRIEFING_CORPUS_DIR)")
    p.set_defaults(run=cmd_remove)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question", help="the question, or - to read one question per line")
    p.add_argument("-k", type=_positive_int(10), help="number of passages (default: top_k)")
    _scope_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_ask, quick_exit=True)  # (an index it first builds is saved)

    p = sub.add_parser("chat", help="a conversation: follow-up questions keep the context")
    p.add_argument("input", nargs="?", choices=["-"],
                   help='- reads JSON lines {"thread": ID, "text": MESSAGE} (with --json)')
    p.add_argument("-k", type=_positive_int(10), help="number of passages (default: top_k)")
    _scope_arguments(p)
    p.add_argument("--json", action="store_true",
                   help="JSON lines in and out: one ask --json object plus \"thread\" per line")
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("summary", help="summarize an article, or brief on a topic across all")
    p.add_argument("article", nargs="?", metavar="ARTICLE",
                   help="an indexed article's id or whole title (see `briefing sources`)")
    p.add_argument("--topic", metavar="TEXT", help="brief on a topic across all articles instead")
    p.add_argument("--sentences", type=_int_between(3, 10), default=5, metavar="N",
                   help="sentences in the summary, 3 to 10 (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_summary, usage_error=p.error)

    p = sub.add_parser("digest", help="the stories indexed since a time: who reported each, "
                       "its key sentences; for a story seen before, only what is new")
    p.add_argument("--since", type=_since, default="1d", metavar="DATE|1d|7d",
                   help="a date (YYYY-MM-DD, midnight UTC), a time (ISO 8601; UTC unless it "
                        "gives an offset) or an age such as 1d, 7d, 12h (default: 1d)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_digest)

    p = sub.add_parser("sources", help="list the indexed articles")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_sources)

    p = sub.add_parser("eval", help="measure retrieval quality")
    p.add_argument("questions", nargs="*", type=_path,
                   help='JSONL files of {"q": ..., "paras": [...]} (no paras: must be refused)')
    p.add_argument("--beir", type=_path, metavar="DIR", help="BEIR-layout data set")
    p.add_argument("--split", default="test", help="BEIR qrels split (default: test)")
    p.add_argument("--squad", type=_path, metavar="FILE", help="SQuAD v1.1 JSON file")
    p.add_argument("--limit", type=_positive_int(None), help="first N SQuAD questions only")
    p.add_argument("--summaries", type=_path, metavar="FILE",
                   help='JSONL of {"id", "article", "highlights"}: ROUGE of our 3-sentence '
                        "summaries and of LEAD-3")
    p.add_argument("--rows", type=_rows, metavar="A-B",
                   help="with --summaries: rows A to B only (1-based, inclusive)")
    p.add_argument("--in-out", type=_path, metavar="FILE",
                   help="SQuAD JSON or CNN JSONL: index half the articles, ask about all; "
                        "gate and recall on the fit and test halves")
    p.add_argument("--archive", type=_path, metavar="CNN_FILE",
                   help="the corpus plus every CNN row as one archive: recall of the "
                        "QUESTIONS files (seed questions) and of each row's highlights")
    p.add_argument("--per-line", action="store_true",
                   help="with --archive: each highlight line is a question")
    p.add_argument("--fit", nargs=2, type=_path, metavar=("SQUAD_FILE", "CNN_FILE"),
                   help="fit the ranking weights and the gate on the fit halves; report both")
    p.add_argument("--recency", type=_path, metavar="CNN_FILE",
                   help="stories reported more than once, dated: does 'what's the latest on' "
                        "find the newest report, and do other questions keep their own")
    p.add_argument("--conversations", type=_path, metavar="SQUAD_FILE",
                   help="follow-ups alone and in context: SQuAD conversation pairs (fit and "
                        "test halves) and QUESTIONS files of pairs about the corpus "
                        '({"first", "first_paras", "followup", "paras", "kind"})')
    p.add_argument("--refit", action="store_true",
                   help="with --conversations: fit the context weights on the fit half first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_eval)

    add_feed_parser(sub)
    add_stories_parser(sub, _since)

    p = sub.add_parser("bot", help="run the Discord bot (needs BRIEFING_DISCORD_TOKEN)")
    p.set_defaults(run=cmd_bot)
    return parser


def _positive_int(maximum: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < 1 or (maximum is not None and value > maximum):
            bound = f"1 to {maximum}" if maximum else "at least 1"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high}, got {value}")
        return value

    return parse


def _path(text: str) -> Path:
    """A path argument; a blank one is refused (it would mean the working directory, and
    `remove --corpus ""` would delete files there)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return Path(text)


def _rows(text: str) -> tuple[int, int]:
    """`A-B` (1-based, inclusive) as a pair."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a row range such as 1-500")
    return int(match.group(1)), int(match.group(2))


def _since(text: str) -> datetime:
    """`--since`: an age (`7d`, `12h`), a date (midnight UTC) or an ISO time."""
    try:
        return parse_since(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


@contextmanager
def progress_bar(label: str, unit: str = "passage"):
    """A stderr progress bar fed by `progress(done, total)` callbacks."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    index = open_index(settings)
    corpus = args.corpus or settings.corpus_dir
    if args.corpus is not None:
        # A database reindexes what it stores without a folder, but a folder named on
        # purpose and missing is a typo, not a request to import nothing.
        check_corpus_folder(args.corpus)
    built_from = index.corpus_folder()
    if built_from is not None and built_from != corpus.resolve():
        print(f"briefing: the index was built from {built_from}; it will now hold the articles "
              f"of {corpus} instead", file=sys.stderr)
    index.readmit(args.readmit)
    _reindex(index, corpus)
    return 0


def _reindex(index: BriefingIndex, corpus: Path) -> None:
    """Reindex `corpus` with a progress bar, then say what changed."""
    with progress_bar("Embedding") as update:
        report = index.reindex(corpus, update)
    for line in _report_lines(report):
        print(line)
    if not report.passages:
        print(f"No articles are indexed yet: {corpus} has no readable .md, .txt or .html file.")


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """One line per article (removed; not found or not removed, with why, on stderr), then
    the reindex that leaves the removed ones out; exit status 1 unless every id was removed.
    Feeds are told, so that one re-publishing a removed article does not bring it back."""
    index = open_index(settings)
    built_from = index.corpus_folder()
    corpus = args.corpus or built_from or settings.corpus_dir
    if built_from is not None and not built_from.is_dir():
        # Removing from nowhere would say "removed" and remove nothing.
        print(f"briefing: the index was built from {shown(str(built_from))}, which is no "
              "longer there: reindex the folder the articles are in now (`briefing reindex "
              "--corpus FOLDER`), then remove", file=sys.stderr)
        return 2
    if built_from is not None and built_from != corpus.resolve():
        # Removing here would reindex from this folder: every article of the other would go.
        print(f"briefing: the index was built from {shown(str(built_from))}, not "
              f"{shown(str(corpus.resolve()))}: remove articles there (--corpus), or reindex "
              f"that folder first", file=sys.stderr)
        return 2
    ids, unnamed = [], {}
    for name in args.articles:
        try:
            ids.append(index.article_named(name) if index.build_needed() is None else name)
        except ArticleNotFound as err:  # perhaps a file not indexed yet: tried as an id
            ids.append(name)
            unnamed[name] = str(err)
    outcomes = index.remove_articles(corpus, ids)
    for outcome in outcomes:
        name = shown(outcome.article)
        if outcome.removed:
            print(f"removed {name}")
        elif outcome.error:
            print(f"briefing: could not remove {name!r}: {shown(outcome.error)}",
                  file=sys.stderr)
        else:
            reason = unnamed.get(outcome.article,
                                 f"no indexed article has that id or title: {name!r}")
            print(f"briefing: {reason} (see `briefing sources`)", file=sys.stderr)
    removed = [o.article for o in outcomes if o.removed]
    remembered = _forget_in_feeds(settings, removed)
    if removed:
        _reindex(index, corpus)
    return 0 if remembered and len(removed) == len(outcomes) else 1


def _forget_in_feeds(settings: Settings, article_ids: list[str]) -> bool:
    """Tell the feed store these articles were removed; False (said on stderr) when it
    cannot be reached: the removal stands, but a feed may write one of them back."""
    try:
        mark_removed(settings.feeds_db, settings.database_url, article_ids)
    except BriefingError as err:
        print(f"briefing: the feed store was not told of the removal (a feed re-publishing "
              f"the article may bring it back): {err}", file=sys.stderr)
        return False
    return True


def _report_lines(report: ReindexReport) -> list[str]:
    """What a reindex did; when it left no passages, only the files it skipped (the caller
    says the index is empty in one line rather than in counts of nothing)."""
    if report.passages:
        return describe_report(report)
    return [f"skipped {s.path}: {s.reason}" for s in report.skipped]


def _ensure_index(index: BriefingIndex, settings: Settings) -> None:
    """Build the index first when it is missing or from an older format (with progress)."""
    reason = index.build_needed()
    if reason is None:
        return
    if isinstance(reason, IndexMissing):
        print(f"No index yet in {index.location}; indexing {settings.corpus_dir} first.",
              file=sys.stderr)
    else:
        print(f"{reason}: rebuilding it from {settings.corpus_dir}.", file=sys.stderr)
    with progress_bar("Embedding") as update:
        report = index.reindex(settings.corpus_dir, update)
    for line in _report_lines(report):
        print(line, file=sys.stderr)


def _scope_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", metavar="ARTICLE_OR_OUTLET",
                   help="answer only from one article (its id or whole title) or outlet "
                        "(e.g. reuters.com)")
    p.add_argument("--since", type=_since, metavar="DATE|1d|7d",
                   help="answer only from articles published (else indexed) since then")


def _scope(args: argparse.Namespace, index: BriefingIndex) -> Scope | None:
    """The --source and --since of `args`, the source read as `/ask` reads it (an id in any
    case, an outlet, or an article's whole title); None when neither is given."""
    source = None if args.source is None else index.source_named(args.source)
    scope = Scope(source, args.since)
    return scope if scope else None


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.chat_cli import chat_json, chat_prompt

    index = open_index(settings)
    _ensure_index(index, settings)
    k = args.k or settings.top_k
    if args.json or args.input == "-":
        return chat_json(index, sys.stdin, k, settings.conversation_turns, _scope(args, index))
    return chat_prompt(index, k, settings.conversation_turns, _scope(args, index))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    index = open_index(settings)
    k = args.k or settings.top_k
    _ensure_index(index, settings)
    scope = _scope(args, index)
    if args.question != "-":
        answer = index.ask(args.question, k, scope)
        print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json
              else format_answer(answer))
        return 0
    status = 0
    for line in sys.stdin:
        if not line.strip() and not args.json:
            continue
        try:
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
    if (args.article is None) == (args.topic is None):
        args.usage_error("give either ARTICLE or --topic TEXT")
    index = open_index(settings)
    _ensure_index(index, settings)
    if args.topic is not None:
        try:
            summary = index.summarize_topic(args.topic, args.sentences)
        except InvalidQuestion as err:  # "the question is empty": the topic was
            raise BriefingError(f"--topic: {str(err).replace('question', 'topic')}") from None
    else:
        summary = index.summarize(index.article_named(args.article), args.sentences)
    print(json.dumps(summary_json(summary), ensure_ascii=False) if args.json
          else format_summary(summary))
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    index = open_index(settings)
    _ensure_index(index, settings)
    digest = index.digest(args.since)
    print(json.dumps(digest_json(digest), ensure_ascii=False) if args.json
          else format_digest(digest))
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    index = open_index(settings)
    records = index.sources(newest_first=True)
    if args.json:
        print(json.dumps([{"article": r.id, "title": r.title, "passages": r.passages,
                           "indexed_at": r.indexed_at} for r in records], ensure_ascii=False))
        return 0
    print(format_sources(records))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from index.evaluation import retrieval as evaluation

    modes = (args.beir, args.squad, args.summaries, args.in_out, args.archive, args.fit,
             args.conversations, args.recency)
    chosen = [x for x in modes if x]
    if len(chosen) > 1 or not (chosen or args.questions) or (
            args.questions and chosen and not (args.archive or args.conversations)):
        raise BriefingError("eval needs one of: QUESTIONS.jsonl..., --beir DIR, --squad FILE, "
                            "--summaries FILE, --in-out FILE, --archive CNN_FILE, --fit, "
                            "--conversations SQUAD_FILE, --recency CNN_FILE")
    if args.refit and not args.conversations:
        raise BriefingError("--refit goes with --conversations")
    files = [*args.questions, *(args.fit or [x for x in chosen if x is not args.beir])]
    for path in files:
        if not Path(path).is_file():
            raise BriefingError(f"not a file: {path}" if Path(path).exists()
                                else f"no such file: {path}")
    if args.rows and not args.summaries:
        raise BriefingError("--rows goes with --summaries")
    if args.per_line and not args.archive:
        raise BriefingError("--per-line goes with --archive")
    # The data sets are read (and refused, naming the file) before any index is built.
    if args.squad or args.conversations:
        evaluation.read_squad(args.squad or args.conversations)
    if args.beir:
        evaluation.check_beir(args.beir)
    if args.summaries:
        return _eval_summaries(args, settings)
    cache = settings.index_dir.parent / "eval"
    if args.conversations:
        from bot.conversation_cli import eval_conversations, format_conversations

        index = open_index(settings)
        _ensure_index(index, settings)
        result = eval_conversations(args, settings, cache, index)
        print(json.dumps(result, default=str) if args.json else format_conversations(result))
        return 0
    if args.in_out or args.archive or args.fit or args.recency:
        from bot.labelled_cli import eval_labelled

        return eval_labelled(args, settings, cache)
    if args.questions:
        rows = [row for path in args.questions for row in evaluation.read_questions(path)]
        index = open_index(settings)
        _ensure_index(index, settings)
        result = evaluation.evaluate_questions(index, rows)
    elif args.beir:
        index = open_index(settings, evaluation.cache_dir_for(cache, args.beir))
        with progress_bar("Embedding") as update:
            result = evaluation.evaluate_beir(index, args.beir, args.split, update)
    else:
        index = open_index(settings, evaluation.cache_dir_for(cache, args.squad))
        with progress_bar("Embedding") as update:
            result = evaluation.evaluate_squad(index, args.squad, args.limit, update)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            if key != "details":
                print(f"{key}: {value}")
    return 0


def _eval_summaries(args: argparse.Namespace, settings: Settings) -> int:
    from index.evaluation.summaries import evaluate_summaries
    from index.ingest.embedding import Embedder

    first, last = args.rows or (1, None)
    embedder = Embedder(settings.model_path, precision=settings.embed_precision)
    with progress_bar("Summarizing", unit="row") as update:
        result = evaluate_summaries(args.summaries, embedder, first, last, progress=update)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_bot

    return run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
