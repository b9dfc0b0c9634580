"""Reading back the article a user named: picked from autocomplete, or typed by id or title."""

from __future__ import annotations

from bot.cogs.choices import choice_value, picked_source, resolve_article, unresolved
from index import ArticleRecord
from index.search.names import source_named


def record(article_id: str, title: str) -> ArticleRecord:
    return ArticleRecord(id=article_id, path=f"{article_id}.md", title=title, source="",
                         published="", content_hash="", indexed_at=0.0, passages=3)


RECORDS = [record("grain-deal", "Russia leaves the grain deal"),
           record("sochi", "What came out of Sochi"),
           record("sochi-2", "What came out of Sochi"),
           record("what-came-out", "Grain deal"),
           record("x" * 150, "A very long id")]


def test_an_article_is_found_by_id_autocomplete_value_or_whole_title():
    assert resolve_article(" grain-deal\n", RECORDS) == "grain-deal"
    assert resolve_article("GRAIN-DEAL", RECORDS) == "grain-deal"
    assert resolve_article(choice_value("x" * 150), RECORDS) == "x" * 150
    assert resolve_article("russia  LEAVES the grain deal ", RECORDS) == "grain-deal"


def test_an_id_wins_over_a_title_and_a_shared_or_partial_title_names_nothing():
    assert resolve_article("what-came-out", RECORDS) == "what-came-out"
    assert resolve_article("What came out of Sochi", RECORDS) is None  # two articles
    assert resolve_article("Russia leaves", RECORDS) is None
    assert resolve_article("", RECORDS) is None


def test_a_source_is_a_picked_choice_an_article_or_an_outlet_typed_with_or_without_www():
    outlets = ["example.org"]

    def named(value: str) -> str | None:  # as /ask reads it: the choice, then the index
        return source_named(picked_source(value, RECORDS, outlets), RECORDS, outlets)

    assert named(choice_value("x" * 150)) == "x" * 150
    assert named("www.Example.org") == "example.org"
    assert named("grain deal") == "what-came-out"
    assert named("nowhere.net") is None


def test_a_name_that_resolves_to_nothing_says_whether_the_title_is_shared():
    assert unresolved(" what came OUT of sochi", RECORDS).startswith("Several indexed articles")
    assert unresolved("nothing like it", RECORDS).startswith("No indexed article has that")


def test_syndicated_copies_of_one_title_are_told_apart_in_autocomplete():
    """Eleven copies of "Breaking news update" were eleven identical choices: no way to see
    which one /remove would delete."""
    from bot.cogs.choices import article_choices

    records = [ArticleRecord(f"a{i:04d}", f"a{i:04d}.md", "Breaking news update",
                             f"https://www.outlet{i}.example/x", f"2015-04-{i + 1:02d}", "h",
                             "2026-12-01T00:00:00+00:00", 2) for i in range(11)]
    records.append(ArticleRecord("solo", "solo.md", "Breaking: a lone story", "", "", "h",
                                 "2026-12-01T00:00:00+00:00", 1))
    choices = article_choices(records, "breaking")
    names = [c.name for c in choices]
    assert len(set(names)) == len(names) == 12
    assert names[0] == "Breaking news update · outlet0.example · 2015-04-01 · a0000"
    assert names[-1] == "Breaking: a lone story"  # a title of its own stays bare
    assert all(len(n) <= 100 for n in names)
    long = [ArticleRecord(f"b{i}", f"b{i}.md", "T" * 150, "", "", "h", "", 1) for i in range(2)]
    assert [c.name[-5:] for c in article_choices(long, "t")] == [" · b0", " · b1"]
