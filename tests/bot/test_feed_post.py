"""The announcement of a new feed article: title linked, one cited sentence, nothing live."""

from bot.feeds.post import post_text
from bot.render import CONTENT_LIMIT
from index import SummarySentence


def sentence(text: str, paragraph: int = 2) -> SummarySentence:
    return SummarySentence(article="feeds/a", title="T", paragraphs=(paragraph,), start=0,
                           end=len(text), text=text)


def test_title_is_linked_to_the_item_and_hostile_markup_stays_inert():
    text = post_text("@everyone [win](https://evil.example) **now**",
                     "https://news.example/a?x=1",
                     sentence("Ships left <@&1> Odesa @here [x](https://evil.example)."))
    assert text.startswith("**[@everyone \\[win\\]\\(https\\://evil.example\\) \\*\\*now\\*\\*]"
                           "(https://news.example/a?x=1)**\n> ")
    assert text.endswith("(¶2)")
    assert "](https://evil.example)" not in text.replace("\\]", "")  # no masked link...
    assert "@here \\[x\\](https://evil.example)." in text  # ...the sentence as written


def test_no_web_source_means_no_link_and_a_long_sentence_is_clipped():
    text = post_text("Title", "javascript:alert(1)", sentence("word " * 1000, 7))
    assert "](" not in text and len(text) <= CONTENT_LIMIT and text.endswith("(¶7)")
    assert post_text("Title", "", None) == "**Title**"


def test_a_very_long_item_link_still_makes_one_post_with_its_sentence():
    """A 2,100-character tracking link was shown whole: the post exceeded Discord's 2,000
    characters, was refused, and the item was never announced."""
    source = "https://news.example/r?u=" + "a" * 2100
    text = post_text("Harbour reopens", source, sentence("Ships left Odesa on Monday."))
    assert len(text) <= CONTENT_LIMIT
    assert text.startswith("**Harbour reopens**\n") and "(¶2)" in text
    assert text.endswith("> Ships left Odesa on Monday. (¶2)")


def test_a_title_or_sentence_opening_a_heading_or_list_is_shown_as_written():
    """The quoted sentence went out as "> # Breaking": Discord shows a heading in the quote
    (and "-# ..." as subtext, "1. " as a list) instead of the article's words."""
    for opening in ("# Breaking", "-# aside", "- one", "1. First"):
        text = post_text("Title", "not a link: " + opening, sentence(f"{opening} ships left."))
        quote = text.splitlines()[-1]
        assert quote.startswith("> ") and not quote[2:].startswith(("#", "-", "1. "))
        assert opening.lstrip("#-1. ") in quote
    shown = post_text("Title", "# not a link", None).splitlines()[1]
    assert shown.startswith("\\#")
