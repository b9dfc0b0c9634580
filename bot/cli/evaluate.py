"""`briefing eval`: the measurements behind the README's numbers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.building import ensure_index, progress_bar
from bot.cli.exits import UsageError
from bot.engine import open_index
from bot.settings import Settings
from index import BriefingError
from index.ingest.embedding import Embedder


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing eval`: one measurement; the data sets are checked (and refused, naming the
    file) before any index is built."""
    from index.evaluation import retrieval as evaluation

    # an option without its mode is named first: "eval needs one of …" would not say which
    if args.refit and not args.conversations:
        raise UsageError("--refit goes with --conversations")
    if args.rows and not args.summaries:
        raise UsageError("--rows goes with --summaries")
    if args.per_line and not args.archive:
        raise UsageError("--per-line goes with --archive")
    if args.limit is not None and not args.squad:  # was ignored without a word
        raise UsageError("--limit goes with --squad")
    if args.split != "test" and not args.beir:
        raise UsageError("--split goes with --beir")
    modes = (args.beir, args.squad, args.summaries, args.in_out, args.archive, args.fit,
             args.conversations, args.recency, args.stories)
    chosen = [x for x in modes if x]
    if len(chosen) > 1 or not (chosen or args.questions) or (
            args.questions and chosen and not (args.archive or args.conversations)):
        raise UsageError("eval needs one of: QUESTIONS.jsonl..., --beir DIR, --squad FILE, "
                            "--summaries FILE, --in-out FILE, --archive CNN_FILE, --fit, "
                            "--conversations SQUAD_FILE, --recency CNN_FILE, "
                            "--stories CNN_FILE")
    files = [*args.questions, *(args.fit or [x for x in chosen if x is not args.beir])]
    for path in files:
        if not Path(path).is_file():
            raise BriefingError(f"not a file: {path}" if Path(path).exists()
                                else f"no such file: {path}")
    # The data sets are read (and refused, naming the file) before any index is built.
    if args.squad or args.conversations:
        evaluation.read_squad(args.squad or args.conversations)
    if args.beir:
        evaluation.check_beir(args.beir)
    if args.summaries:
        return eval_summaries(args, settings)
    if args.stories:
        from index.evaluation.stories import evaluate_stories

        result = evaluate_stories(args.stories, _embedder(settings))
        print(json.dumps(result) if args.json else _lines(result))
        return 0
    cache = settings.index_dir.parent / "eval"
    if args.conversations:
        from bot.cli.eval_conversations import eval_conversations, format_conversations

        index = open_index(settings)
        ensure_index(index, settings)
        result = eval_conversations(args, settings, cache, index)
        print(json.dumps(result, default=str) if args.json else format_conversations(result))
        return 0
    if args.in_out or args.archive or args.fit or args.recency:
        from bot.cli.eval_labelled import eval_labelled

        return eval_labelled(args, settings, cache)
    if args.questions:
        rows = [row for path in args.questions for row in evaluation.read_questions(path)]
        index = open_index(settings)
        ensure_index(index, settings)
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


def eval_summaries(args: argparse.Namespace, settings: Settings) -> int:
    """ROUGE of our 3-sentence summaries and of LEAD-3 over CNN rows."""
    from index.evaluation.summaries import evaluate_summaries

    first, last = args.rows or (1, None)
    with progress_bar("Summarizing", unit="row") as update:
        result = evaluate_summaries(args.summaries, _embedder(settings), first, last,
                                    progress=update)
    print(json.dumps(result) if args.json else _lines(result))
    return 0


def _embedder(settings: Settings) -> Embedder:
    """The model as the settings give it, for measurements that need no index."""
    from index.ingest.embedding import Embedder

    return Embedder(settings.model_path, precision=settings.embed_precision)


def _lines(result: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in result.items())
