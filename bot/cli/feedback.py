"""`briefing feedback [--since] [--json]`: the answers readers voted on with 👍/👎, worst first.

Only here: the votes are not shown on Discord. The log does not record which server an answer
was given in, so a Manage Server command would show one server's admins the questions asked
in every other server the bot is in.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from bot.feedback import AnswerVotes, FeedbackLog, passage_place
from bot.settings import Settings
from bot.terminal import citation, shown

NO_VOTES = "No votes on answers yet."


def add_feedback_parser(sub: argparse._SubParsersAction) -> None:
    """Register `feedback` on the `briefing` parser."""
    from bot.cli.arguments import since

    p = sub.add_parser("feedback", help="the answers readers voted on with 👍/👎, worst first")
    p.add_argument("--since", type=since, metavar="DATE|1d|7d",
                   help="only votes cast since then")
    p.add_argument("--json", action="store_true",
                   help='a JSON array of {"question", "helpful", "unhelpful", "last_vote", '
                        '"passages"}')
    p.set_defaults(run=cmd_feedback)


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing feedback`: each answer voted on, its 👍 and 👎 counts and its citations."""
    log = FeedbackLog(settings.feedback_db, database_url=settings.database_url)
    try:
        answers = log.tally(args.since)
    finally:
        log.close()
    listed = list(zip(answers, _passages_cited(settings, answers), strict=True))
    if args.json:
        print(json.dumps([{"question": a.question, "helpful": a.helpful,
                           "unhelpful": a.unhelpful, "last_vote": a.last_vote,
                           "passages": passages} for a, passages in listed],
                         ensure_ascii=False))
    elif not listed:
        print(f"No votes on answers since {args.since:%Y-%m-%d %H:%M} UTC." if args.since
              else NO_VOTES)
    else:
        print("\n\n".join("\n".join([f"👍 {a.helpful} · 👎 {a.unhelpful} · {shown(a.question)}",
                                      *(f"   {_citation_line(p)}" for p in passages)])
                          for a, passages in listed))
    return 0


def _passages_cited(settings: Settings, answers: Sequence[AnswerVotes]) -> list[list[dict]]:
    """Each answer's passages as the index holds them now: article, place, title, paragraphs
    and source (title and source None, paragraphs empty, for one it no longer holds, or with
    no index built)."""
    from bot.engine import open_index

    if not answers:  # (no index opened for nothing to cite)
        return []
    places = {key: passage_place(key) for a in answers for key in a.passages}
    index = open_index(settings)
    found = {} if index.build_needed() is not None else index.passages_at(
        [place for place in places.values() if place is not None])
    cited = []
    for answer in answers:
        passages = []
        for key in answer.passages:
            place = places[key]
            article, start, end = place if place is not None else (key, None, None)
            record = found.get(place) if place is not None else None
            passages.append({"article": article, "start": start, "end": end,
                             "title": record.title if record else None,
                             "paragraphs": list(record.paragraphs) if record else [],
                             "source": record.source if record else None})
        cited.append(passages)
    return cited


def _citation_line(passage: dict) -> str:
    """A passage as answers cite it, or, when the index no longer holds it, its article and
    place."""
    if passage["title"] is not None:
        return citation(passage["title"], passage["paragraphs"], passage["source"])
    if passage["start"] is None:
        return f"{shown(passage['article'])} (not indexed now)"
    return (f"{shown(passage['article'])}, characters {passage['start']}–{passage['end']} "
            "(not indexed now)")
