"""End to end: `/stories` lists who reported which event, safely."""

from __future__ import annotations

from index.ingest.corpus import to_markdown
from tests.bot.feed_server import STORIES
from tests.bot.harness import Harness, answer_of

HOSTILE_TITLE = "@everyone <@&123> **Tugboats** [click](http://evil.example) @here"


def test_stories_lists_outlets_and_articles_without_any_possible_ping(run, corpus_copy):
    title, paragraphs = STORIES["tugboats"]
    for name, shown_title, source, text in (
            ("tug-harbour", title, "https://www.harbour.example/tugs", paragraphs),
            ("tug-wire", HOSTILE_TITLE, "https://wire.example/tugs",
             ["By Wire staff.", *paragraphs[:2]])):
        (corpus_copy / f"{name}.md").write_text(
            to_markdown(shown_title, source, "2025-03-03", "\n\n".join(text)), "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        sent = await h.server.send_interaction("stories", {}, user="member")
        reply = await answer_of(h.server, sent, timeout=30)
        embed = reply["embeds"][0]
        assert embed["title"] == "Stories (2)"
        text = embed["description"]
        assert f"**{title}** · reported by 2 sources" in text
        assert "harbour.example" in text and "wire.example" in text
        assert "](https://wire.example/tugs)" in text  # the article links to its source
        assert ("**Russia and Türkiye Align on the Israel-Hamas War** · 1 report without a "
                "source") in text  # not a source named by its title
        assert "@everyone" in text and "](http://evil.example)" not in text  # shown, inert
        assert "\\*\\*Tugboats\\*\\*" in text  # no bold from a title
        assert len(text) <= 4096
        edit = await h.server.wait_for(lambda c: c.method == "PATCH"
                                       and c.path == sent.original_path)
        assert edit.json["allowed_mentions"] == {"parse": []}

        recent = await h.server.send_interaction("stories", {"since": "2025-03-04"})
        later = await answer_of(h.server, recent, timeout=30)
        assert later["embeds"][0]["title"] == "Stories since 2025-03-04 (1)"
        assert "Tugboats" not in later["embeds"][0]["description"]

        bad = await h.server.send_interaction("stories", {"since": "last tuesday"})
        error = await h.server.wait_for(lambda c: c.path == bad.callback_path)
        assert error.json["data"]["flags"] & 64 and "is not a date" in (
            error.json["data"]["content"])

    run(scenario)
