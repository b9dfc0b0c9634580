"""Links in citations and /sources: only the intended one, and only to a validated http(s) URL."""

from __future__ import annotations

import re

import pytest
import yarl
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.citation import URL_LIMIT, web_url
from index import Answer, Hit
from index.store.metadata import ArticleRecord


def clickable(markdown: str) -> list[str]:
    """Targets of the masked links and the bare URLs Discord could make clickable in `markdown`.

    An over-approximation: any `](` opens a link and any `scheme:/` is a bare URL, unless
    escaped (Discord's escape is a backslash before a character that is not a letter, digit or
    whitespace).
    """
    plain = re.sub(r"\\[^0-9A-Za-z\s]", "\0", markdown)
    targets = re.findall(r"\]\(<?([^)\s>]*)", plain)
    rest = re.sub(r"\]\([^)]*\)?", "\0", plain)
    return targets + re.findall(r"[A-Za-z][\w+.-]*:/\S*", rest)


def hit(title: str, source: str) -> Hit:
    return Hit(rank=1, score=1.0, id=1, article="a", title=title, source=source,
               paragraphs=(15,), start=0, end=7, text="passage", highlight="passage",
               similarity=0.5)


def record(title: str, source: str, published: str = "2024-05-01") -> ArticleRecord:
    return ArticleRecord("a", "a.md", title, source, published, "h",
                         "2026-11-25T00:00:00+00:00", 3)


def rendered(title: str, source: str) -> dict[str, str]:
    """Every place a title and source reach Discord: answer, refusal, /sources."""
    answered = render.answer_embed(Answer("q", True, (hit(title, source),), 0.9))
    refused = render.not_covered_message(Answer("q", False, (hit(title, source),), 0.1))
    return {"answer": answered.fields[0].value, "refusal": refused["embed"].fields[0].value,
            "sources": render.sources_embed([record(title, source)], 0, 10).description}


INJECTED = "https://x/a) [pwn](https://evil"


@pytest.mark.parametrize("place", ["answer", "refusal", "sources"])
def test_a_source_that_closes_its_link_adds_no_second_link(place):
    text = rendered("Grain deal", INJECTED)[place]
    assert clickable(text) == ["https://x/a%29%20%5Bpwn%5D%28https://evil"]  # one link, to x


@pytest.mark.parametrize("place", ["answer", "refusal", "sources"])
@pytest.mark.parametrize("title", ["Deal](https://evil) [more", "[pwn](https://evil)",
                                   "see https://evil.example/x", "<https://evil>", "a\\](b)"])
def test_a_title_cannot_open_a_link_of_its_own(place, title):
    assert clickable(rendered(title, "https://x.org/a")[place]) == ["https://x.org/a"]


@pytest.mark.parametrize("source", ["javascript:alert(1)", "data:text/html,<b>x</b>",
                                    "ftp://x.org/a", "https:///no-host", "https://",
                                    "https://ex\nample.org/", "http://exa mple.org/",
                                    "https://x.org:99999/", "x.org/a", ""])
def test_an_invalid_source_is_not_linked_and_the_title_still_shows(source):
    places = rendered("Grain deal", source)
    assert all(clickable(text) == [] for text in places.values())
    assert places["sources"] == "**Grain deal** · 2024-05-01 · 3 passages"
    assert places["answer"] == "**passage**"  # the quote, with no citation line


def test_a_hostile_date_in_sources_is_not_clickable():
    description = render.sources_embed([record("T", "", "https://evil.example")], 0, 10)
    assert clickable(description.description) == []


@pytest.mark.parametrize(("source", "target"), [
    ("https://x.org/a", "https://x.org/a"),
    ("  HTTPS://X.org/a b  ", "https://x.org/a%20b"),
    ("https://user:pw@x.org/a", "https://x.org/a"),  # credentials are never shown in a link
    ("https://x.org/q?a=(1)&b=[2]#<f>", "https://x.org/q?a=%281%29&b=%5B2%5D#%3Cf%3E"),
    ("https://bücher.de/ü", "https://xn--bcher-kva.de/%C3%BC"),
])
def test_valid_sources_become_targets_that_text_cannot_close(source, target):
    assert web_url(source) == target


def test_an_overlong_source_is_not_linked():
    assert web_url("https://x.org/" + "a" * URL_LIMIT) is None


def test_a_long_sources_page_keeps_every_link_whole():
    records = [record("T" * 400, "https://x.org/" + "a" * 250, "2" * 500) for _ in range(10)]
    description = render.sources_embed(records, 0, 10).description
    assert len(description) <= render.DESCRIPTION_LIMIT
    assert all(line.endswith(" · 3 passages") for line in description.splitlines())


HOSTILE = list("[]()<>\\\"'`*_~|:/?#@%.- ") + ["](", "https://", "ü", "\u202e"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=3)),
                        max_size=30).map("".join)
printable_hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.characters(
    blacklist_categories=("Cc", "Cs"))), max_size=30).map("".join)
titles = st.one_of(st.text(max_size=200), hostile_text)
sources = st.one_of(st.text(max_size=80), hostile_text, *[st.builds(
    str.__add__, st.sampled_from(prefixes), printable_hostile) for prefixes in (
        ["https://", "http://", "javascript:", "ftp://x.org/", " https://x.org/a\n"],
        ["https://x.org/", "HTTPS://X.org/", "https://u:p@x.org/", "http://1.2.3.4:8080/"],
        ["https://x.org/", "https://ü.example/", "https://x.org?", "https://x.org#"])])


@settings(max_examples=500, derandomize=True, deadline=None)
@given(title=titles, source=sources)
def test_whatever_the_title_and_source_there_is_at_most_the_one_link(title, source):
    target = web_url(source)
    expected = [] if target is None else [target]
    for text in rendered(title or "x", source).values():
        assert clickable(text) == expected
    if target is not None:  # the link goes where the source said, and nothing can close it
        assert yarl.URL(target).scheme in ("http", "https")
        assert yarl.URL(target).host == yarl.URL(source.strip()).host
        assert not re.search(r"[\s()\[\]<>\\]", target)
