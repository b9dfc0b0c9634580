"""Rendering answers for Discord: limits, escaping, highlights kept whole."""

import discord
import pytest

from bot import render
from index import Answer, Hit
from index.store.metadata import ArticleRecord


def hit(rank: int, text: str, highlight: str, title: str = "Title", source: str = "") -> Hit:
    return Hit(rank=rank, score=1.0, id=rank, article="a", title=title, source=source,
               paragraphs=(15,), start=0, end=len(text), text=text, highlight=highlight,
               similarity=0.5)


def test_answer_embed_bolds_the_highlight_and_cites_paragraph():
    text = "First sentence. The key sentence. Last sentence."
    embed = render.answer_embed(Answer("Why?", True, (hit(1, text, "The key sentence."),), 0.7))
    assert embed.fields[0].name == "1. Title · ¶15"
    assert embed.fields[0].value == "First sentence. **The key sentence.** Last sentence."


@pytest.mark.parametrize("size", [5, 1000, 5000, 50_000])
def test_huge_passages_fit_every_limit_and_keep_the_highlight(size):
    filler = "word " * size
    highlight = "Erdogan submitted a bill to approve Sweden's membership."
    hits = tuple(hit(i + 1, filler + highlight + " " + filler, highlight, title="T" * 400,
                     source="https://example.org/" + "x" * 100) for i in range(5))
    embed = render.answer_embed(Answer("Q" * 5000, True, hits, 0.9), footer="F" * 3000)
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert len(embed.title) <= render.TITLE_LIMIT
    assert len(embed.footer.text) <= render.FOOTER_LIMIT
    for field in embed.fields:
        assert len(field.name) <= render.FIELD_NAME_LIMIT
        assert len(field.value) <= render.FIELD_VALUE_LIMIT
        assert "**Erdogan submitted a bill to approve Sweden's membership.**" in field.value


def test_highlight_longer_than_a_field_is_cut_but_still_bold():
    long = "x " * 2000
    value = render.quote_with_highlight(long, long, 300)
    assert len(value) <= 300 and value.startswith("**") and value.endswith("**")


@pytest.mark.parametrize("url_length", [60, 200, 299])
def test_ten_results_with_long_source_links_keep_their_quotes(url_length):
    highlight = "Erdogan submitted a bill to approve Sweden's membership."
    text = "Ankara had held out for months. " * 8 + highlight + " The vote came in January." * 4
    url = "https://news.example.org/" + "s" * (url_length - 25)
    hits = tuple(hit(i + 1, text, highlight, title="Russia and Türkiye Align on the Israel-Hamas "
                     "War", source=url) for i in range(10))
    embed = render.answer_embed(Answer("Why did Erdoğan approve Sweden?", True, hits, 0.9))
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    for field in embed.fields:
        quote = field.value.split("\n[")[0]
        assert f"**{highlight}**" in quote and len(quote) >= 200
        assert field.value.endswith(f"({url})")  # still cited with its link


@pytest.mark.parametrize(("room", "link"), [(1024, "[Türkiye and Sweden ¶15]("),
                                             (520, "[Source ¶15]("), (450, None)])
def test_a_long_link_is_shortened_then_dropped_before_the_quote_is(room, link):
    highlight = "Erdogan submitted a bill to approve Sweden's membership."
    text = "Ankara had held out for months. " * 20 + highlight
    passage = hit(1, text, highlight, title="Türkiye and Sweden",
                  source="https://example.org/" + "x" * 279)
    name, value = render.hit_field(passage, room)
    assert len(value) <= room and f"**{highlight}**" in value
    if link is None:
        assert "](" not in value
    else:
        assert link in value and len(value.split("\n[")[0]) >= 200


def test_markdown_and_mentions_in_passages_are_escaped():
    text = "Use *stars* and `code` and @everyone here."
    value = render.quote_with_highlight(text, text, 1024)
    assert "\\*stars\\*" in value and "\\`code\\`" in value
    assert value.startswith("**") and value.endswith("**")


SEEMS = "The indexed articles don't seem to cover that. The closest passage, low confidence:"


def test_refusal_quotes_the_closest_sentence_verbatim_and_cites_it():
    sentence = "Russia withdrew from the Black Sea grain agreement in July."
    text = f"Trade grew. {sentence} Talks in Sochi failed."
    answer = Answer("Who won?", False, (hit(1, text, sentence, title="Grain deal"),), 0.1)
    message = render.not_covered_message(answer)
    assert message["content"] == SEEMS
    [field] = message["embed"].fields
    assert field.name == "Grain deal · ¶15"
    assert field.value == f"> {sentence}"  # the sentence alone, not the passage around it
    assert "](" not in field.value  # no source, no link


def test_refusal_links_the_citation_to_the_source_like_an_answer_does():
    passage = hit(1, "a b c", "b", title="Grain deal", source="https://x.org/a")
    answer = Answer("q", False, (passage,), 0.1)
    [field] = render.not_covered_message(answer)["embed"].fields
    assert field.value == "> b\n[Grain deal ¶15](https://x.org/a)"
    answered = render.answer_embed(Answer("q", True, (passage,), 0.9)).fields[0].value
    assert answered.endswith("\n[Grain deal ¶15](https://x.org/a)")
    payload = render.not_covered_message(answer)["embed"].to_dict()
    assert isinstance(discord.Embed.from_dict(payload), discord.Embed)


def test_refusal_escapes_markdown_and_keeps_user_text_out_of_the_content():
    sentence = "Use *stars* and `code` and @everyone and <@&1> here."
    message = render.not_covered_message(Answer("@everyone?", False, (hit(1, sentence, sentence,
                                                title="**Bold** title"),), 0.1))
    value = message["embed"].fields[0].value
    assert "\\*stars\\*" in value and "\\`code\\`" in value
    assert value.startswith("> Use") and "\n" not in value  # one quoted line, nothing breaks out
    assert message["content"] == SEEMS  # mentions sit only in the embed, which never pings


@pytest.mark.parametrize("size", [5, 1000, 50_000])
def test_refusal_of_a_huge_passage_fits_every_limit(size):
    sentence = "word " * size + "end."
    answer = Answer("Q" * 5000, False, (hit(1, sentence, sentence, title="T" * 400,
                                             source="https://example.org/" + "x" * 100),), 0.1)
    message = render.not_covered_message(answer)
    embed = message["embed"]
    assert len(message["content"]) <= render.CONTENT_LIMIT
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    [field] = embed.fields
    assert len(field.name) <= render.FIELD_NAME_LIMIT
    assert len(field.value) <= render.FIELD_VALUE_LIMIT
    assert field.value.startswith("> word")
    assert field.value.endswith(")")  # the link survives the cut
    if size > 5:
        assert render.ELLIPSIS in field.value


def test_refusal_with_nothing_found_is_one_plain_line():
    assert render.not_covered_message(Answer("q", False, (), 0.0)) == {
        "content": "The indexed articles don't cover that."}


def test_titled_refusal_names_the_question_even_with_nothing_found():
    found = render.not_covered_message(Answer("Who won?", False, (hit(1, "a b", "b"),), 0.1),
                                       titled=True)
    assert found["embed"].title == "Who won?" and len(found["embed"].fields) == 1
    nothing = render.not_covered_message(Answer("Q" * 5000, False, (), 0.0), titled=True)
    assert nothing["content"] == "The indexed articles don't cover that."
    assert nothing["embed"].title == "Q" * (render.TITLE_LIMIT - 1) + render.ELLIPSIS
    assert not nothing["embed"].fields


def test_sources_pages_and_limits():
    records = [ArticleRecord(f"id{i}", f"p{i}.md", f"Title {i} " + "y" * 500, "", "2023-10-01",
                             "h", "2026-11-25T00:00:00+00:00", i) for i in range(23)]
    first = render.sources_embed(records, 0, 10)
    last = render.sources_embed(records, 2, 10)
    assert first.footer.text == "Page 1 of 3" and last.footer.text == "Page 3 of 3"
    assert len(first.description) <= render.DESCRIPTION_LIMIT and len(first) <= 6000
    assert render.sources_embed([], 0, 10).description == "No articles are indexed yet."


def test_sources_show_the_date_they_are_sorted_by():
    """`/sources` printed each published field as written ("5 March 2024" beside
    "2024-03-01") and showed a typo'd 2031 as the date while sorting it with the undated."""
    from index import by_date_newest_first

    records = [ArticleRecord(f"id{i}", f"p{i}.md", title, "", published, "h",
                             "2026-11-25T00:00:00+00:00", 3)
               for i, (title, published) in enumerate(
                   [("Typo", "2031-01-01"), ("Earlier", "2024-03-01"), ("Later", "5 March 2024")])]
    lines = render.sources_embed(by_date_newest_first(records), 0, 10).description.splitlines()
    assert lines == ["**Later** · 2024-03-05 · 3 passages", "**Earlier** · 2024-03-01 · 3 passages",
                     "**Typo** · 3 passages"]


def test_every_article_is_on_some_sources_page_however_long_its_title_and_link():
    """Pages are cut ten articles at a time, but lines over the description's room were
    dropped: with long titles and links, six of 26 articles were on no page."""
    records = [ArticleRecord(f"id{i:02d}", f"p{i}.md", f"Headline {i:02d} " + "w" * 280,
                             "https://news.example.org/" + "x" * 220 + f"/{i}", "2023-10-01",
                             "h", "2026-11-25T00:00:00+00:00", 3) for i in range(26)]
    pages = [render.sources_embed(records, page, 10) for page in range(3)]
    for embed in pages:
        assert len(embed.description) <= render.DESCRIPTION_LIMIT and len(embed) <= 6000
    shown = "\n".join(embed.description for embed in pages)
    assert all(f"Headline {i:02d}" in shown for i in range(26))


def test_embed_payload_is_accepted_by_discord_py():
    answer = Answer("q", True, (hit(1, "a b c", "b", source="https://x.org/a"),), 0.8)
    payload = render.answer_embed(answer).to_dict()
    assert payload["fields"][0]["value"].endswith("(https://x.org/a)")
    assert isinstance(discord.Embed.from_dict(payload), discord.Embed)


def test_an_empty_briefing_on_a_misspelt_topic_says_how_it_was_read_first():
    # A topic whose passages gave no sentence to brief on showed /summary's not-covered line
    # alone, where an answered or refused topic said how "Ankra" was read.
    from index import Summary

    empty = Summary(False, (), read_as={"Ankra": "Ankara"})
    assert render.nothing_on_topic(empty).splitlines() == ["Read “Ankra” as “Ankara”.",
                                                           "The indexed articles don't cover "
                                                           "that."]


def test_a_topic_nothing_covers_is_refused_in_the_words_of_ask_and_the_terminal():
    """/summary topic: said "Nothing indexed covers that." where /ask, a mention and
    `briefing summary --topic` say "The indexed articles don't cover that." for the same
    situation (nothing matched at all)."""
    from bot.terminal import format_summary
    from index import Summary

    nothing = Summary(False, (), refusal=Answer("q", False, (), 0.0))
    asked = render.not_covered_message(Answer("q", False, (), 0.0))["content"]
    assert render.nothing_on_topic(nothing) == asked == format_summary(nothing)
    misspelt = Summary(False, (), read_as={"Ankra": "Ankara"})
    assert render.nothing_on_topic(misspelt) == format_summary(misspelt)


def test_a_refusal_of_a_misspelt_question_says_how_it_was_read_first():
    from bot.wording import SEEMS_NOT_COVERED, read_as_note

    refusal = render.not_covered_message(Answer("q", False, (hit(1, "Hello", "Hello"),), 0.1,
                                                read_as={"meetng": "meeting", "x": "y"}))
    assert refusal["content"] == ("Read “meetng” as “meeting” and “x” as “y”.\n"
                                  + SEEMS_NOT_COVERED)
    assert read_as_note({}) == ""


def test_a_summary_too_long_for_one_embed_says_how_many_sentences_did_not_fit():
    from index.spans import SummarySentence
    from index.summarise.article import Summary

    long = tuple(SummarySentence(article="a", title="T", paragraphs=(i + 1,), start=i, end=i + 1,
                                 text=" ".join(["word"] * 130) + ".") for i in range(10))
    embed = render.summary_embed(Summary(True, long), "T")
    shown = embed.description.count("\n") + 1
    assert len(embed) <= render.EMBED_TOTAL_LIMIT and shown < 10
    assert embed.footer.text == f"{10 - shown} more sentences did not fit; ask for fewer."
    short = render.summary_embed(Summary(True, long[:2]), "T")
    assert short.footer.text is None  # everything shown: no footer
    few = tuple(SummarySentence(article="a", title="T", paragraphs=(i + 1,), start=i, end=i + 1,
                                text="Wheat left Odesa.") for i in range(2))
    briefing = render.summary_embed(Summary(True, few), "Briefing: grain", asked=5)
    assert briefing.footer.text.startswith("2 sentences of the 5 asked for")


def test_no_stories_since_a_time_says_which_date_counts():
    embed = render.stories_embed([], since="2026-12-01")
    assert embed.description.startswith("No indexed article is dated since then (its published")
    assert render.stories_embed([]).description == "No articles are indexed yet."


def test_a_long_title_is_cut_so_that_rank_citation_and_date_stay_whole():
    """A 300-character title used to push "· ¶15" out of the field name: for an article
    without a source link the paragraph was then nowhere in the answer."""
    from datetime import UTC, datetime

    from index.summarise.digest import Digest, DigestEntry

    title = "A very long headline " * 15
    answer = Answer("q", True, (hit(1, "Text.", "Text.", title=title),), 0.9)
    [field] = render.answer_embed(answer).fields
    assert field.name.startswith("1. A very long headline") and field.name.endswith(" · ¶15")
    assert len(field.name) <= render.FIELD_NAME_LIMIT
    [closest] = render.closest_embed(Answer("q", False, answer.hits, 0.1)).fields
    assert closest.name.endswith(" · ¶15") and len(closest.name) <= render.FIELD_NAME_LIMIT
    entry = DigestEntry("a", title, "2026-12-01", "2026-12-01T08:00:00+00:00", (),
                        outlets=("x.org", "y.org"), earlier=("b",))
    digest = Digest(datetime(2026, 12, 1, tzinfo=UTC), (entry,), 2, 1)
    [story] = render.digest_embed(digest).fields
    assert story.name.endswith(" · reported by 2 sources · 2026-12-01 · new since 2026-12-01")
    assert len(story.name) <= render.FIELD_NAME_LIMIT


@pytest.mark.parametrize(("outlets", "unsourced", "shown", "printed"), [
    ((), 1, "1 report without a source", "1 report without a source"),
    (("x.org", "y.org"), 1, "reported by 2 sources and 1 report without a source",
     "reported by 2 sources (x.org, y.org) and 1 report without a source"),
    (("x.org",), 0, "reported by 1 source", "reported by 1 source (x.org)"),
])
def test_a_digest_counts_articles_without_a_source_apart_from_outlets(outlets, unsourced,
                                                                     shown, printed):
    """An article without a source URL was counted and named as a source by its title:
    "reported by 1 source (Russia and Türkiye Align…)"."""
    from datetime import UTC, datetime

    from bot.terminal import format_digest
    from index.summarise.digest import Digest, DigestEntry

    entry = DigestEntry("a", "Harbour closed", "2026-12-01", "2026-12-01T08:00:00+00:00", (),
                        outlets=outlets, unsourced=unsourced)
    digest = Digest(datetime(2026, 12, 1, tzinfo=UTC), (entry,), 1, 1)
    [story] = render.digest_embed(digest).fields
    assert story.name == f"Harbour closed · {shown} · 2026-12-01"
    assert format_digest(digest).splitlines()[2] == f"Harbour closed · {printed} · 2026-12-01"


def test_a_note_on_many_misspelt_words_names_those_that_fit_and_counts_the_rest():
    read_as = {f"wrd{i}": f"word{i}" for i in range(60)}
    note = render.read_as_line(Answer("q", True, (), 0.9, read_as=read_as))
    assert len(note) <= render.READ_AS_LIMIT
    assert note.startswith("Read “wrd0” as “word0”, ") and note.endswith(" other words.")
    refusal = render.not_covered_message(Answer("q", False, (), 0.1, read_as=read_as))
    assert len(refusal["content"]) <= 2000


def test_a_cut_never_splits_a_number_grouped_by_spaces():
    """"10 000" (no-break spaces, made plain by `escape`) was cut to "10…" or "…000"."""
    text = render.escape("The council had 10\u00a0000 other requests and paid 2\u00a0500\u00a0000 "
                         "lira to the families of the victims of the crash.")
    for room in range(12, len(text)):
        start = render._keep_start(text, room).removesuffix(render.ELLIPSIS)
        end = render._keep_end(text, room).removeprefix(render.ELLIPSIS)
        assert text.startswith(start) and text.endswith(end)
        after, before = text[len(start):len(start) + 2], text[len(text) - len(end) - 2:][:2]
        assert not (start[-1:].isdigit() and after[:1] == " " and after[1:].isdigit()), start
        assert not (end[:1].isdigit() and before[1:] == " " and before[:1].isdigit()), end


def test_a_key_sentence_too_long_for_its_digest_field_keeps_its_citation_and_is_counted():
    from datetime import UTC, datetime

    from index.spans import SummarySentence
    from index.summarise.digest import Digest, DigestEntry

    def sentence(n: int, words: int) -> SummarySentence:
        return SummarySentence(article=f"a{n}", title="Iceland volcano", paragraphs=(n,),
                               start=0, end=1, text=" ".join(["lava"] * words) + ".")

    entries = tuple(DigestEntry(f"a{i}", f"Story {i}", "2026-12-01", "2026-12-01T08:00:00+00:00",
                                (sentence(1, 200), sentence(2, 10), sentence(3, 10)))
                    for i in range(8))
    embed = render.digest_embed(Digest(datetime(2026, 12, 1, tzinfo=UTC), entries, 8, 8))
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert all(f.value.endswith("(Iceland volcano, ¶1)") for f in embed.fields)
    shown = sum(f.value.count("\n") + 1 for f in embed.fields)
    assert embed.footer.text == f"{24 - shown} key sentences did not fit"


@pytest.mark.parametrize(("count", "reason"), [(12, "not valid UTF-8 (byte 94)"),
                                               (4, "x" * 900)])
def test_a_reindex_report_counts_the_skipped_files_it_cannot_name(count, reason):
    from index import ReindexReport
    from index.ingest.articles import Skipped

    report = ReindexReport(added=["a"], passages=5,
                           skipped=[Skipped(f"bad{i}.html", reason) for i in range(count)])
    text = render.reindex_text(report)
    named = sum(f"bad{i}.html" in text for i in range(count))
    assert len(text) <= render.CONTENT_LIMIT and 1 <= named < count
    assert text.endswith(f" and {count - named} more (`briefing reindex` names them all)")


def test_a_digest_gives_the_room_short_stories_leave_to_the_long_ones():
    """Each story had an eighth of the embed less a whole field name's 256 characters: a
    digest of short stories and one long one cut the long one's key sentences while most of
    Discord's 6,000 characters went unused."""
    from datetime import UTC, datetime

    from index.spans import SummarySentence
    from index.summarise.digest import Digest, DigestEntry

    def sentence(n: int, words: int) -> SummarySentence:
        return SummarySentence(article=f"a{n}", title="Harbour", paragraphs=(n,), start=0,
                               end=1, text=" ".join(["tide"] * words) + ".")

    short = [DigestEntry(f"s{i}", f"Story {i}", "2026-12-01", "2026-12-01T08:00:00+00:00",
                         (sentence(1, 8),)) for i in range(7)]
    long = DigestEntry("l", "Long story", "2026-12-01", "2026-12-01T08:00:00+00:00",
                       (sentence(1, 60), sentence(2, 60), sentence(3, 60)))
    embed = render.digest_embed(Digest(datetime(2026, 12, 1, tzinfo=UTC),
                                       (long, *short), 8, 8))
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert embed.fields[0].value.count("(Harbour, ¶") == 3  # all three of the long story
    assert embed.footer.text is None


def test_an_article_cannot_put_a_link_a_mention_or_a_list_into_a_quote():
    """Only the first "[" of a passage was escaped: a second masked link stayed live, showing
    the article's words over another address; "<@…>", "<#…>", "<t:…>" showed as a member, a
    channel or a local time instead of the text quoted."""
    text = ("1. Officials cited [the report](https://gov.example/r) and [the data]"
            "(https://evil.example/phish), named <@123456789012345678> of <@&456> in <#789> "
            "at <t:1700000000:R>.")
    quoted = render.escape(text)
    assert "](" not in quoted.replace("\\](", "")  # no bracket pair forms a link
    assert "<" not in quoted.replace("\\<", "")
    assert quoted.startswith("1\\. Officials")
    assert "https://evil.example/phish" in quoted  # a bare address stays readable
    [field] = render.answer_embed(Answer("q", True, (hit(1, text, "Officials"),), 0.9)).fields
    assert "[the data](" not in field.value and "<@123" not in field.value.replace("\\<@", "")
    # A bare address keeps its brackets (a backslash inside would change where it leads), and
    # no cut keeps an escaped character without its backslash.
    assert render.escape("see https://example.com/a?q[0]=1 now") == \
        "see https://example.com/a?q[0]=1 now"
    escaped = render.escape("a <@12345> [b] <#7> c")
    for room in range(2, len(escaped)):
        end = render._keep_end(escaped, room).removeprefix(render.ELLIPSIS)
        start = render._keep_start(escaped, room).removesuffix(render.ELLIPSIS)
        assert not end.startswith(("<", "[", "]")), end
        assert (len(start) - len(start.rstrip("\\"))) % 2 == 0, start


def test_titles_show_as_written_in_answers_refusals_and_summaries():
    from index import Summary, SummarySentence

    title = "**Breaking**: ||spoiler|| [click](https://evil.example/t)"
    answer = Answer("q", True, (hit(1, "Text.", "Text.", title=title),), 0.9)
    names = [render.answer_embed(answer).fields[0].name,
             render.closest_embed(Answer("q", False, answer.hits, 0.1)).fields[0].name]
    sentence = SummarySentence(article="a", title=title, paragraphs=(1,), start=0, end=5,
                               text="Text.")
    article = render.summary_embed(Summary(True, (sentence,)), title)
    topic = render.summary_embed(Summary(True, (sentence,)), "Briefing: harbours")
    for shown in [*names, article.title, topic.fields[0].name]:
        assert "**Breaking**" not in shown and "||spoiler||" not in shown
        assert "](https" not in shown


def test_a_briefing_gives_the_room_short_articles_leave_to_the_long_ones():
    """A briefing's fields each had the embed's share less a whole 256-character name."""
    from index import Summary, SummarySentence

    def sentence(article: str, n: int, words: int) -> SummarySentence:
        return SummarySentence(article=article, title=f"Report {article}", paragraphs=(n,),
                               start=n, end=n + 1, text=" ".join(["tide"] * words) + ".")

    sentences = (sentence("long", 1, 150), sentence("long", 2, 40),
                 *(sentence(f"s{i}", 1, 8) for i in range(9)))
    embed = render.summary_embed(Summary(True, sentences), "Briefing: tides")
    assert len(embed) <= render.EMBED_TOTAL_LIMIT and len(embed.fields) == 10
    assert embed.fields[0].value.count("(¶") == 2 and embed.footer.text is None
    many = tuple(sentence(f"a{i}", n, 120) for i in range(30) for n in (1, 2))
    crowded = render.summary_embed(Summary(True, many), "Briefing: tides")
    assert len(crowded) <= render.EMBED_TOTAL_LIMIT
    assert all(len(f.value) <= render.FIELD_VALUE_LIMIT for f in crowded.fields)
