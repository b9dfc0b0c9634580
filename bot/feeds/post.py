"""The message that announces a new feed article in its channel (pure, no client)."""

from __future__ import annotations

from bot import render
from bot.citation import web_url
from bot.wording import counted
from index import SummarySentence


def post_text(title: str, source: str, sentence: SummarySentence | None) -> str:
    """The title (linked to its source when it is a web URL), then one cited key sentence.

    Title and sentence come from the feed and the page: they are shown inert (the title) or
    escaped (the sentence: its URLs stay clickable), so they can neither format, open a
    heading or list, link elsewhere nor ping (the client also sends AllowedMentions.none()).
    """
    head = f"**{render.link(render.clip(render.inert(title), 200), source)}**"
    url = web_url(source)
    if url is None and source:  # not a link (too long, or not http): shown, shortened
        head += f"\n{render.inert(render.clip(source, 200))}"
    if sentence is None:
        return render.clip(head, render.CONTENT_LIMIT)
    room = render.CONTENT_LIMIT - len(head) - 20
    quote = render.clip(render.escape(sentence.text), room)
    return f"{head}\n> {quote} (¶{sentence.paragraph})"


def backlog_text(feed_url: str, count: int) -> str:
    """What a newly followed feed's first poll posts instead of every item it already held."""
    return (f"Now following {render.inert(render.clip(feed_url, 300))}: "
            f"{counted(count, 'recent item')} indexed (ask about them, or see /digest show). "
            "New items will be posted here as they appear.")
