"""`briefing eval --conversations SQUAD_FILE [PAIRS…]`: follow-ups alone and in context."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.eval_labelled import prepared
from bot.settings import Settings
from index import BriefingError, BriefingIndex
from index.evaluation import conversations as measure
from index.evaluation.labelled_sets import ConversationPair, squad_conversations
from index.evaluation.retrieval import read_questions
from index.search.followup import DEFAULT_CONTEXT


def eval_conversations(args: argparse.Namespace, settings: Settings, cache: Path,
                       corpus_index: BriefingIndex) -> dict:
    """The SQuAD conversation halves (weights refitted on the fit half with `--refit`) and
    each pairs file about the corpus, as a table per set."""
    labelled, pairs = squad_conversations(args.conversations)
    if not pairs:
        raise BriefingError(f"{args.conversations} gives no conversation pairs")
    index = prepared(settings, cache, args.conversations, "in-out", labelled)
    context = DEFAULT_CONTEXT
    result: dict = {}
    if args.refit:
        context, score = measure.fit_context(index, [p for p in pairs if p.half == "fit"])
        result["fitted context weights"] = f"{vars(context)} (fit-half score {score})"
    else:
        result["context weights"] = vars(context)
    for half in ("fit", "test"):
        chosen = [p for p in pairs if p.half == half]
        result[f"squad {half}"] = measure.summarize(
            measure.run_pairs(index, chosen, context=context))
    first_article = corpus_index.sources()[0].id if corpus_index.sources() else None
    for path in args.questions:
        rows = read_questions(path, ("first", "followup", "paras"))
        article = rows[0].get("article", first_article) if rows else first_article
        result[path.name] = measure.summarize(measure.run_pairs(
            corpus_index, [pair_from_row(row) for row in rows], context=context,
            article=article))
    return result


def pair_from_row(row: dict) -> ConversationPair:
    """A hand-written pair: {"first", "first_paras", "followup", "paras", "kind"}."""
    return ConversationPair(row["first"], row["followup"], row.get("kind", "dependent"),
                            "test", row.get("article", ""),
                            first_paragraphs=tuple(row.get("first_paras", ())),
                            paragraphs=tuple(row["paras"]))


def format_conversations(result: dict) -> str:
    """One block per set: a row per kind of pair, a column per measure."""
    lines = []
    for name, value in result.items():
        if not isinstance(value, dict) or "all" not in value:
            lines.append(f"{name}: {value}")
            continue
        lines.append(f"{name}:")
        measures = list(value["all"])
        lines.append(f"  {'':<12}" + "".join(f"{m:>24}" for m in measures))
        for kind, row in value.items():
            lines.append(f"  {kind:<12}" + "".join(f"{row[m]!s:>24}" for m in measures))
    return "\n".join(lines)
