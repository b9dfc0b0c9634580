"""End to end: `/ask source:` and `since:` keep answers to some articles, through the real
discord.py client, on the seed corpus plus two dated articles from two outlets."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wording import as_sentence
from tests.bot.harness import Harness, answer_of
from tests.support import ROOT

SEED_TITLE = "Russia and Türkiye Align on the Israel-Hamas War"
AP_TITLE = "Turkish parliament ratifies Sweden's NATO membership"
REUTERS_TITLE = "Russia quits Black Sea grain deal"
SWEDEN = "Why did Erdoğan approve Sweden's NATO bid?"
GRAIN = "Why did Russia quit the Black Sea grain deal?"
LONG_ID = "a-very-long-article-name-" * 6 + "end"  # 153 characters, over Discord's 100

ARTICLES = {
    "apnews-sweden-nato-ratified": f"""---
title: "{AP_TITLE}"
source: https://apnews.com/article/turkey-sweden-nato-parliament-vote
published: 2024-01-23
---

Turkey's parliament voted on Tuesday to approve Sweden's bid to join NATO, removing a major \
hurdle to the Nordic country's membership after months of delay.

Lawmakers ratified the accession protocol by 287 votes to 55. President Recep Tayyip Erdogan \
had submitted the bill to parliament in October, linking his approval to Sweden's steps \
against Kurdish militant groups and to the sale of American F-16 fighter jets.

Hungary remained the last NATO member that had not yet approved Sweden's membership.
""",
    "reuters-black-sea-grain-deal": f"""---
title: "{REUTERS_TITLE}"
source: https://www.reuters.com/world/europe/russia-quits-black-sea-grain-deal-2023-07-17/
published: 2023-07-17
---

Russia on Monday quit the Black Sea grain deal that had allowed Ukraine to export grain \
through its ports despite the war, saying its demands for easing its own food and fertiliser \
exports had not been met.

Turkey, which brokered the agreement together with the United Nations in July 2022, said it \
would keep trying to persuade Moscow to return to the deal.

Wheat prices rose sharply after the announcement, and the United Nations warned that the \
poorest countries would suffer most.
""",
    LONG_ID: """---
title: "Notes on shipping insurance"
source: https://example.org/notes
published: 2023-01-05
---

Insurers raised premiums for ships calling at Black Sea ports.
""",
}


@pytest.fixture
def scoped_run(run, corpus_copy: Path):
    """`run` on the seed corpus plus the dated articles, reindexed before the scenario."""
    for name, text in ARTICLES.items():
        (corpus_copy / f"{name}.md").write_text(text, encoding="utf-8")

    def go(scenario, **settings):
        async def reindexed(h: Harness) -> None:
            await asyncio.to_thread(h.bot.index.reindex, h.corpus)
            await scenario(h)
        return run(reindexed, **settings)
    return go


def titles(message: dict) -> list[str]:
    """The article titles an answer cites, best first."""
    names = [f["name"].rsplit(" · ", 1)[0] for e in message["embeds"] for f in e["fields"]]
    return [re.sub(r"^\d+\. ", "", name) for name in names]  # "1. Title" → "Title"


async def ask(h: Harness, **options: object) -> dict:
    sent = await h.server.send_interaction("ask", options, user="member")
    return await answer_of(h.server, sent)


async def refusal(h: Harness, **options: object) -> str:
    """The private one-line refusal of ``/ask`` with these options, sent without a defer."""
    sent = await h.server.send_interaction("ask", options, user="member")
    call = await h.server.wait_for(lambda c: c.path == sent.callback_path)
    assert call.json["type"] == 4 and call.json["data"]["flags"] & 64
    return call.json["data"]["content"]


async def choices(h: Harness, current: str) -> list[dict]:
    sent = await h.server.send_interaction("ask", {"question": "x", "source": current},
                                           type=4, focused="source", user="member")
    call = await h.server.wait_for(lambda c: c.path == sent.callback_path)
    return call.json["data"]["choices"]


def test_source_keeps_answers_to_one_article_or_outlet(scoped_run):
    async def scenario(h: Harness) -> None:
        offered = await choices(h, "")
        assert 3 <= len(offered) <= 25 and all(len(c["value"]) <= 100 for c in offered)
        outlets = [c["value"] for c in offered if c["name"].endswith("(every article from it)")]
        assert sorted(outlets) == ["apnews.com", "example.org", "reuters.com"]
        assert [c["value"] for c in offered[:3]] == outlets  # outlets first, then articles
        assert {c["name"] for c in offered[3:]} >= {SEED_TITLE, AP_TITLE, REUTERS_TITLE}
        [seed] = [c for c in await choices(h, "türkiye") if c["name"] == SEED_TITLE]
        reuters, article = await choices(h, "reuters")  # the outlet, then its article
        assert reuters == {"name": "reuters.com (every article from it)",
                           "value": "reuters.com"}
        assert article == {"name": REUTERS_TITLE, "value": "reuters-black-sea-grain-deal"}

        assert titles(await ask(h, question=SWEDEN))[0] == AP_TITLE
        from_seed = await ask(h, question=SWEDEN, source=seed["value"])
        assert set(titles(from_seed)) == {SEED_TITLE}
        assert from_seed["embeds"][0]["fields"][0]["name"].endswith("¶15")
        from_reuters = await ask(h, question=GRAIN, source="www.reuters.com")
        assert set(titles(from_reuters)) == {REUTERS_TITLE}

        # A follow-up keeps the scope of the question it follows: alone it would cite AP.
        start = len(h.server.calls)
        await h.server.send_message("when did he send it to parliament?",
                                    reply_to=from_seed["id"])
        await h.server.wait_for(lambda c: c.method == "POST" and c.json.get("embeds"),
                                timeout=20, start=start)
        followup = h.server.public_messages()[-1]
        assert set(titles(followup)) == {SEED_TITLE}

    scoped_run(scenario)


@pytest.mark.parametrize("source", ["nytimes.com", "   "], ids=["unknown", "blank"])
def test_a_source_that_names_nothing_is_refused_as_briefing_ask_refuses_it(
        scoped_run, tmp_path, corpus_copy, source):
    """/ask wrote its own refusals ("… pick one from the list.") while `briefing ask
    --source` said the index's: one wording now, the terminal's as a sentence."""
    refusals: list[str] = []

    async def scenario(h: Harness) -> None:
        refusals.append(await refusal(h, question=SWEDEN, source=source))

    scoped_run(scenario)
    env = {**os.environ, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
           "BRIEFING_CORPUS_DIR": str(corpus_copy)}
    terminal = subprocess.run([sys.executable, "-m", "bot", "ask", "--source", source, SWEDEN],
                              env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert terminal.returncode == 1
    reason = terminal.stderr.strip().splitlines()[-1].removeprefix("briefing: ")
    assert refusals == [as_sentence(reason)]
    assert reason == ("no indexed article or outlet is 'nytimes.com'" if source.strip()
                      else "the source is blank: give an article id or an outlet")


def test_a_long_article_id_is_offered_and_read_back(scoped_run):
    async def scenario(h: Harness) -> None:
        [choice] = await choices(h, "shipping")
        assert len(choice["value"]) <= 100 and choice["value"] != LONG_ID
        answer = await ask(h, question="Why did insurers raise premiums?",
                           source=choice["value"])
        assert titles(answer) == ["Notes on shipping insurance"]

    scoped_run(scenario)


def test_since_keeps_answers_to_articles_from_then_on(scoped_run):
    async def scenario(h: Harness) -> None:
        assert titles(await ask(h, question=GRAIN))[0] == REUTERS_TITLE
        recent = await ask(h, question=GRAIN, since="2024-01-01")
        assert REUTERS_TITLE not in titles(recent) and titles(recent)
        assert REUTERS_TITLE in titles(await ask(h, question=GRAIN, since="2023-07-01"))

        assert "is not a date" in await refusal(h, question=GRAIN, since="last tuesday")
        assert await refusal(h, question=GRAIN, since="2999-01-01") == (
            "No indexed article is dated 2999-01-01 or later.")
        assert await refusal(h, question=GRAIN, source="reuters.com", since="2024-01-01") == (
            "No indexed article from that source is dated 2024-01-01 or later.")
        await asyncio.sleep(0.2)
        assert all("not a date" not in m["content"] for m in h.server.public_messages())

    scoped_run(scenario)
