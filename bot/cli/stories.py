"""`briefing stories [--since] [--json]`: the indexed articles grouped into stories."""

from __future__ import annotations

import argparse
import json

from bot.settings import Settings


def add_stories_parser(sub: argparse._SubParsersAction) -> None:
    """Register `stories` on the `briefing` parser."""
    from bot.cli.arguments import since

    p = sub.add_parser("stories", help="the indexed articles grouped by the event they report")
    p.add_argument("--since", type=since, metavar="DATE|1d|7d",
                   help="only articles published (else indexed) since then")
    p.add_argument("--json", action="store_true",
                   help='a JSON array of {"story", "title", "outlets", "articles"}')
    p.set_defaults(run=cmd_stories)


def cmd_stories(args: argparse.Namespace, settings: Settings) -> int:
    """`briefing stories`: the indexed articles grouped by the event they report."""
    from bot.engine import open_index

    index = open_index(settings)
    stories = index.stories(args.since.date() if args.since else None)
    if args.json:
        print(json.dumps([{"story": s.id, "title": s.title, "outlets": list(s.outlets),
                           "articles": [{"article": a.article, "title": a.title,
                                         "source": a.source, "date": a.date}
                                        for a in s.articles]} for s in stories],
                         ensure_ascii=False))
        return 0
    if not stories:
        from bot.wording import NOTHING_DATED_SINCE
        from index import NOTHING_INDEXED

        print(NOTHING_DATED_SINCE if args.since else NOTHING_INDEXED)
    from bot.wording import reported_by

    for story in stories:
        print(f"{story.title} · {reported_by(story.outlets, story.unsourced)}")
        for a in story.articles:
            print(f"  {a.date}  {a.title}  ({a.outlet or a.article})")
    return 0
