"""Property-based: whatever the passage and question, the embed fits Discord and pings nobody."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from index import Answer, Hit

RUN = settings(max_examples=1000, derandomize=True, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
texts = st.one_of(st.text(max_size=3000), st.text(min_size=2000, max_size=8000),
                  st.sampled_from(["@everyone", "@here <@&1> <@!2> <#3>", "```\ncode", "*" * 999,
                                   "\\" * 500, "||" * 700, "[link](https://x.y)"]))


@st.composite
def hits(draw) -> Hit:
    text = draw(texts) or "x"
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    return Hit(rank=1, score=0.5, id=1, article="a", title=draw(texts),
               source=draw(st.sampled_from(
                   ["", "https://example.org/" + "p" * 200, "javascript:alert(1)"])),
               paragraphs=(1, 2), start=0, end=len(text), text=text,
               highlight=text[start:end], similarity=0.5)


@RUN
@given(question=texts, found=st.lists(hits(), min_size=0, max_size=5), footer=texts)
def test_every_rendered_answer_fits_discord(question, found, footer):
    answer = Answer(question or "?", True, tuple(found), 0.9)
    embed = render.answer_embed(answer, footer=footer)
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert len(embed.title or "") <= render.TITLE_LIMIT
    for field in embed.fields:
        assert 0 < len(field.name) <= render.FIELD_NAME_LIMIT
        assert 0 < len(field.value) <= render.FIELD_VALUE_LIMIT
    refusal = render.not_covered_message(Answer(question, False, tuple(found), 0.1))
    assert refusal["content"] in (render.NOT_COVERED, render.SEEMS_NOT_COVERED)  # no user text
    if found:
        [field] = refusal["embed"].fields
        assert len(refusal["embed"]) <= render.EMBED_TOTAL_LIMIT
        assert 0 < len(field.name) <= render.FIELD_NAME_LIMIT
        assert 2 < len(field.value) <= render.FIELD_VALUE_LIMIT
