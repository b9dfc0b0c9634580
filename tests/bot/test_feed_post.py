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
    assert "](https://evil.example)" not in text


def test_no_web_source_means_no_link_and_a_long_sentence_is_clipped():
    text = post_text("Title", "javascript:alert(1)", sentence("word " * 1000, 7))
    assert "](" not in text and len(text) <= CONTENT_LIMIT and text.endswith("(¶7)")
    assert post_text("Title", "", None) == "**Title**"
