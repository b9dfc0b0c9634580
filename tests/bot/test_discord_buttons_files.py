"""End to end: paging and feedback buttons, `/sources` pages, `/add file:`, DMs."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from bot.cogs import answers
from bot.feedback import FeedbackLog
from tests.bot.harness import Harness, answer_of
from tests.fake_discord import FakeDiscord
from tests.index.test_backends import WHALES

SWEDEN = "Why did Erdoğan approve Sweden?"
ARTICLE_MD = (b"---\ntitle: Wheat shipments resume\nsource: https://example.org/wheat\n---\n\n"
              b"Cargo ships loaded with Ukrainian wheat left Odesa on Tuesday through a corridor "
              b"along the Romanian coast, port officials said.\n\nThe route avoids waters that "
              b"Russia declared dangerous after leaving the grain deal in July.\n")


def test_more_results_pages_on_and_votes_are_recorded(run, tmp_path):
    admin: list[str] = []

    async def scenario(h: Harness) -> None:
        admin.append(h.server.users["admin"]["id"])
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        message_id = (await answer_of(h.server, sent))["id"]
        first = [f["name"] for f in h.server.messages[message_id]["embeds"][0]["fields"]]
        assert [n.split(".")[0] for n in first] == ["1", "2", "3"]

        more = await h.server.click(message_id, "More results")
        await h.server.wait_for(lambda c: c.method == "PATCH" and c.path == more.original_path,
                                timeout=20)
        embed = h.server.messages[message_id]["embeds"][0]
        assert [f["name"].split(".")[0] for f in embed["fields"]] == ["4", "5", "6"]
        assert embed["footer"]["text"] == "Results 4–6"

        for vote in ("👎", "👍"):  # the admin changes their mind
            thanks = await h.server.click(message_id, vote, user="admin")
            reply = await h.server.wait_for(lambda c, sent=thanks: c.path == sent.callback_path)
            assert reply.json["data"]["content"] == "Thanks for the feedback."
            assert reply.json["data"]["flags"] & 64

    run(scenario)
    log = FeedbackLog(tmp_path / "feedback.sqlite")
    rows, [answer] = log.votes(), log.tally()
    log.close()
    assert len(rows) == 2
    question, passages, user_hash, vote = rows[-1]
    assert question == SWEDEN and vote == 1 and len(passages.split()) == 3  # results 4-6
    assert (answer.helpful, answer.unhelpful) == (1, 0)  # one member, counted once
    assert user_hash.isalnum() and len(user_hash) == 16
    salted = hashlib.sha256(f"briefing-feedback:{admin[0]}".encode()).hexdigest()
    assert user_hash not in (salted[:16], admin[0])  # not what anyone could recompute


RATIFIED = ("---\ntitle: Turkish parliament ratifies Sweden's NATO bid\n---\n\n"
            "Erdoğan approved Sweden's NATO membership after Sweden tightened its anti-terror "
            "laws, and the Turkish parliament ratified the bid in January.\n")


def cited(message: dict) -> list[str]:
    """The "title · ¶" a message's answer cites, rank left off, in order."""
    return [f["name"].split(". ", 1)[1] for f in message["embeds"][0]["fields"]]


async def click_more(server: FakeDiscord, message_id: str, *, note: bool = False
                     ) -> tuple[dict, str | None]:
    """Click "More results"; the message once edited and, with `note`, the private line sent
    after the edit."""
    start = len(server.calls)
    more = await server.click(message_id, "More results")
    await server.wait_for(lambda c: c.path == more.original_path and c.status == 200,
                          timeout=20, start=start)
    if not note:
        return server.messages[message_id], None
    sent = await server.wait_for(lambda c: c.path == more.webhook_path and c.status == 200,
                                 timeout=20, start=start)
    assert sent.json["flags"] & 64
    return server.messages[message_id], sent.json["content"]


def test_more_results_after_a_reindex_shows_what_was_not_shown_yet(run, corpus_copy):
    """A feed poll or /add between an answer and its "More results" moved every passage down
    a rank: the next page repeated the last one shown and never showed the new first one."""
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        first = await answer_of(h.server, sent)
        shown = cited(first)
        (corpus_copy / "ratified.md").write_text(RATIFIED, "utf-8")
        await h.bot.reindexing.run()
        best = h.bot.index.ask(SWEDEN, 1).hits[0]
        assert best.title.startswith("Turkish parliament")  # the new article now comes first

        message, _ = await click_more(h.server, first["id"])
        embed = message["embeds"][0]
        assert embed["footer"]["text"] == "Results 4–6"
        assert [f["name"].split(".")[0] for f in embed["fields"]] == ["4", "5", "6"]
        assert not set(cited(message)) & set(shown)  # nothing shown twice
        assert cited(message)[0] == "Turkish parliament ratifies Sweden's NATO bid · ¶1"

    run(scenario)


def test_more_results_once_the_articles_no_longer_cover_the_question_says_so(run,
                                                                            corpus_copy):
    question = "Where were humpback whales seen this winter?"
    (corpus_copy / "whales.md").write_text(WHALES, "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        sent = await h.server.send_interaction("ask", {"question": question, "results": 1},
                                               user="member")
        first = await answer_of(h.server, sent)
        assert cited(first) == ["Whales off Norway · ¶1"]
        removed = await h.server.send_interaction("remove", {"article": "whales"}, user="admin")
        await answer_of(h.server, removed, timeout=60)

        message, note = await click_more(h.server, first["id"], note=True)
        assert note == answers.MORE_NOT_COVERED
        assert cited(message) == ["Whales off Norway · ¶1"]  # the answer stays as it was
        [more] = [c for row in message["components"] for c in row["components"]
                  if c.get("label") == "More results"]
        assert more["disabled"]

    run(scenario)


SIGHTINGS = ["off the coast of Norway this winter, far south of their usual feeding grounds",
             "by fishermen in Iceland, feeding close to the harbour in January",
             "near the Azores, forty of them counted in the spring survey",
             "in the fjords of northern Norway, following the herring shoals inland",
             "off Cape Cod in December, to the surprise of the whale watchers there",
             "resting in the bays of Tonga during the breeding season, on drone footage",
             "near the Canary Islands, a rare sighting for the archipelago's divers"]


def more_button(message: dict) -> dict:
    [more] = [c for row in message["components"] for c in row["components"]
              if c.get("label") == "More results"]
    return more


def test_more_results_is_off_on_a_page_that_holds_the_last_passages(run, corpus_copy):
    """A page that held exactly the passages left (the index had just that many) kept "More
    results" clickable; clicked, it said "No further passages." and only then turned off."""
    question = "Where were humpback whales seen?"
    for old in corpus_copy.glob("*.md"):
        old.unlink()
    for number, where in enumerate(SIGHTINGS[:6], 1):
        (corpus_copy / f"whales-{number}.md").write_text(
            f"---\ntitle: Whales {number}\n---\n\nHumpback whales were seen {where}.\n",
            "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        sent = await h.server.send_interaction("ask", {"question": question, "results": 3},
                                               user="member")
        first = await answer_of(h.server, sent)
        shown = cited(first)
        assert len(shown) == 3 and not more_button(first).get("disabled")
        message, _ = await click_more(h.server, first["id"])
        assert message["embeds"][0]["footer"]["text"] == "Results 4–6"
        assert len(set(shown + cited(message))) == 6
        assert more_button(message)["disabled"]  # all six are shown

        sent = await h.server.send_interaction("ask", {"question": question, "results": 6},
                                               user="member")
        every = await answer_of(h.server, sent)
        assert len(cited(every)) == 6 and more_button(every)["disabled"]

    run(scenario)


def test_more_results_pages_on_to_the_last_passage_after_shown_ones_were_removed(
        run, corpus_copy):
    """Removing the articles of the passages shown leaves fewer passages than the next page
    ends at, though more than a page of them unseen: the button must stay for the rest."""
    question = "Where were humpback whales seen?"
    for old in corpus_copy.glob("*.md"):
        old.unlink()
    for number, where in enumerate(SIGHTINGS, 1):
        (corpus_copy / f"whales-{number}.md").write_text(
            f"---\ntitle: Whales {number}\n---\n\nHumpback whales were seen {where}.\n",
            "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        sent = await h.server.send_interaction("ask", {"question": question, "results": 3},
                                               user="member")
        first = await answer_of(h.server, sent)
        shown = cited(first)
        assert len(shown) == 3 and not more_button(first).get("disabled")
        for title in shown:  # "Whales 4 · ¶1"
            (corpus_copy / f"whales-{title.split()[1]}.md").unlink()
        await h.bot.reindexing.run()

        message, _ = await click_more(h.server, first["id"])
        assert message["embeds"][0]["footer"]["text"] == "Results 4–6"
        assert not more_button(message).get("disabled")  # one of the four left is not shown
        message, _ = await click_more(h.server, first["id"])
        [last] = cited(message)
        assert last not in shown and more_button(message)["disabled"]
        assert message["embeds"][0]["fields"][0]["name"].startswith("7. ")
        assert message["embeds"][0]["footer"]["text"] == "Result 7"  # not "Results 7–7"

    run(scenario)


def labels(server: FakeDiscord, message_id: str) -> list[str]:
    """The labels (or emoji) of a stored message's buttons, in order."""
    return [c.get("label") or c["emoji"]["name"] for row in server.messages[message_id]
            ["components"] for c in row["components"]]


async def click_expired(server: FakeDiscord, message_id: str, button: str) -> str:
    """Click a button whose view is gone; the private line that answers it (the message
    itself is updated first, type 7, to take the dead buttons off)."""
    start = len(server.calls)
    click = await server.click(message_id, button)
    update = await server.wait_for(lambda c: c.path == click.callback_path, 10, start=start)
    assert update.json["type"] == 7
    note = await server.wait_for(lambda c: c.path == click.webhook_path, 10, start=start)
    assert note.json["flags"] & 64
    return note.json["content"]


def test_answer_buttons_from_before_a_restart_say_they_expired_and_go(run):
    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        message_id = (await answer_of(h.server, sent))["id"]
        assert labels(h.server, message_id) == ["More results", "👍", "👎",
                                                "Follow up in thread"]
        await h.restart()
        note = await click_expired(h.server, message_id, "More results")
        assert note.startswith("These buttons have expired") and "ask the question again" in note
        embed = h.server.messages[message_id]["embeds"][0]
        assert [f["name"].split(".")[0] for f in embed["fields"]] == ["1", "2", "3"]
        assert labels(h.server, message_id) == ["Follow up in thread"]  # and it still works:
        start = len(h.server.calls)
        click = await h.server.click(message_id, "Follow up in thread")
        reply = await answer_of(h.server, click, start=start)
        assert reply["content"] == f"Follow up in <#{h.server.threads[message_id]['id']}>."

    run(scenario)


def test_answer_buttons_whose_view_timed_out_say_they_expired(run, monkeypatch, tmp_path):
    monkeypatch.setattr(answers, "VIEW_TIMEOUT_S", 0.5)

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        message_id = (await answer_of(h.server, sent))["id"]
        await asyncio.sleep(1.0)
        assert "expired" in await click_expired(h.server, message_id, "👍")
        assert labels(h.server, message_id) == ["Follow up in thread"]

    run(scenario)
    log = FeedbackLog(tmp_path / "feedback.sqlite")
    assert log.votes() == []  # nothing recorded for a vote the bot no longer understood
    log.close()


def test_sources_lists_articles_a_page_at_a_time_newest_first_undated_last(run, corpus_copy):
    for i in range(11):
        (corpus_copy / f"note-{i:02d}.md").write_text(
            f"---\ntitle: Briefing note {i:02d}\npublished: 2023-11-{i + 1:02d}\n---\n\n"
            f"Note number {i} says the grain corridor stayed open for another week.\n", "utf-8")
    (corpus_copy / "note-late.md").write_text(  # a free-text date, later than every ISO one
        "---\ntitle: Late note\npublished: 20 November 2023\n---\n\n"
        "The late note says the corridor was still open.\n", "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.reindexing.run()
        sent = await h.server.send_interaction("sources", user="member")
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        embed = reply.json["data"]["embeds"][0]
        assert embed["title"] == "Indexed articles (13)"
        assert embed["footer"]["text"] == "Page 1 of 2"
        lines = embed["description"].splitlines()  # by date, not as strings
        assert [line.split(" · ")[0] for line in lines[:3]] == [
            "**Late note**", "**Briefing note 10**", "**Briefing note 09**"]
        message_id = sent.original_id
        await h.server.click(message_id, "Next")
        await h.server.wait_for(lambda c: c.path.endswith("/callback") and c.json["type"] == 7)
        page_two = h.server.messages[message_id]["embeds"][0]
        assert page_two["footer"]["text"] == "Page 2 of 2"
        last = page_two["description"].splitlines()
        assert len(last) == 3  # three articles on the last page; the undated seed at the end
        assert last[-1].startswith("**Russia and Türkiye Align on the Israel-Hamas War**")

        await h.restart()  # the pages' buttons end with the run that made them
        note = await click_expired(h.server, message_id, "Previous")
        assert "run /sources again" in note
        assert h.server.messages[message_id]["components"] == []
        assert h.server.messages[message_id]["embeds"][0]["footer"]["text"] == "Page 2 of 2"

    run(scenario)


def test_add_markdown_file_saves_it_under_a_generated_name(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        upload = h.server.upload("../../etc/passwd.md", ARTICLE_MD, "text/markdown")
        sent = await h.server.send_interaction("add", {"file": upload}, user="admin")
        done = await answer_of(h.server, sent, timeout=60)
        assert done["content"].startswith("Added “Wheat shipments resume” (2 paragraphs).")
        asked = await h.server.send_interaction(
            "ask", {"question": "When did ships with Ukrainian wheat leave Odesa?"})
        answer = await answer_of(h.server, asked)
        assert answer["embeds"][0]["fields"][0]["name"].startswith(
            "1. Wheat shipments resume")

    run(scenario)
    names = sorted(p.name for p in corpus_copy.iterdir())
    assert any(n.startswith("wheat-shipments-resume-") and n.endswith(".md") for n in names)
    assert not any("passwd" in n for n in names)


ODESA = (b"Ships left Odesa with wheat on Tuesday, the first convoy since the spring, "
         b"carrying grain bound for Egypt and Turkey under naval escort through the western "
         b"Black Sea, port officials in the city said on Wednesday.")
INSURERS = (b"Insurers cut war-risk premiums for ships calling at Odesa by a third this week, "
            b"citing fewer attacks on the port and the naval escorts that now accompany grain "
            b"convoys through the western Black Sea, brokers in London said.")


def test_files_without_a_title_are_titled_by_their_names_not_alike(run, corpus_copy):
    async def scenario(h: Harness) -> None:
        for filename, body in (("odesa_wheat-report.txt", ODESA), ("insurers.md", INSURERS)):
            upload = h.server.upload(filename, body, "text/plain")
            sent = await h.server.send_interaction("add", {"file": upload}, user="admin")
            done = await answer_of(h.server, sent, timeout=60)
            title = "Odesa wheat report" if filename.startswith("odesa") else "Insurers"
            assert done["content"].startswith(f"Added “{title}” (1 paragraph).")
        titles = {r.title for r in h.bot.index.sources()}
        assert {"Odesa wheat report", "Insurers"} <= titles
        upload = h.server.upload("insurers.md", INSURERS)
        sent = await h.server.send_interaction("add", {"file": upload}, user="admin")
        again = (await answer_of(h.server, sent, timeout=60))["content"]
        assert again.startswith("Already in the corpus, the same text: “Insurers”")
        assert "nothing changed" in again

    run(scenario)
    assert len([p for p in corpus_copy.iterdir() if p.name.startswith("insurers-")]) == 1


@pytest.mark.parametrize(("filename", "data", "reason"), [
    ("notes.pdf", b"%PDF-1.4", "only .txt, .md and .html"),
    ("big.md", b"x" * 5000, "larger than 4,000 bytes"),
    ("empty.md", b"   ", "Empty file."),
    ("latin1.txt", "Erdoğan said".encode("iso-8859-9"),
     "Not valid UTF-8 (byte 4): save it as UTF-8."),  # it gave no advice, as UTF-16 does
    ("notepad.txt", "Erdoğan said".encode("utf-16"),
     "UTF-16 text (a byte-order mark): save it as UTF-8."),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "Binary file (contains NUL bytes)."),
    # indexed, it was the whole briefing on "Sweden NATO" and the closest passage of refusals
    ("note.txt", b"Sweden NATO", "The file has only 11 characters of text, too few for an "
                                 "article (at least 200)."),
])
def test_bad_attachments_are_refused_and_nothing_is_written(run, corpus_copy, filename, data,
                                                            reason):
    before = sorted(p.name for p in corpus_copy.iterdir())

    async def scenario(h: Harness) -> None:
        upload = h.server.upload(filename, data)
        sent = await h.server.send_interaction("add", {"file": upload}, user="admin")
        reply = await h.server.wait_for(
            lambda c: c.path in (sent.callback_path, sent.webhook_path)
            and "flags" in str(c.json) and reason in str(c.json), timeout=20)
        content = reply.json.get("data", reply.json)["content"]
        assert content.startswith(("Refused: ", reason)) and content.endswith(".")

    run(scenario, attachment_max_bytes=4000)
    assert sorted(p.name for p in corpus_copy.iterdir()) == before


@pytest.mark.parametrize("command", ["reindex", "add", "remove"])
def test_admin_commands_refuse_dms(run, command):
    async def scenario(h: Harness) -> None:
        options = {"add": {"url": "https://example.org/a"},
                   "remove": {"article": "russia-turkiye-israel-hamas-war"}}.get(command)
        sent = await h.server.send_interaction(command, options, dm=True, user="admin",
                                               force=True)
        reply = await h.server.wait_for(lambda c: c.path == sent.callback_path)
        assert reply.json["data"]["flags"] & 64
        assert reply.json["data"]["content"] == "That command only works in a server."

    run(scenario)


def test_a_known_error_behind_a_button_is_told_privately_and_not_logged_as_a_fault(run,
                                                                                   caplog):
    """"More results" after every article was removed answered "No articles are indexed
    yet." but also logged an ERROR with a traceback, as for a crash."""
    from index import NothingIndexed

    def nothing(*args, **kwargs):
        raise NothingIndexed("no articles are indexed yet")

    async def scenario(h: Harness) -> None:
        sent = await h.server.send_interaction("ask", {"question": SWEDEN}, user="member")
        message_id = (await answer_of(h.server, sent))["id"]
        h.bot.index.ask = h.bot.index.ask_followup = nothing
        more = await h.server.click(message_id, "More results")
        note = await h.server.wait_for(lambda c: c.path == more.webhook_path, timeout=20)
        assert note.json["content"] == "No articles are indexed yet."
        assert note.json["flags"] & 64

    with caplog.at_level("ERROR"):
        run(scenario)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
