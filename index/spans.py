"""Verbatim spans of article bodies: where a quoted span lies, and what each stage adds to it.

One definition, `Span`, says where a span lies: `text == body[start:end]` of the article
`article`, within its 1-based `paragraphs`. The splitter cuts `Passage`s (with their sentence
spans), the index stores them as `PassageRecord`s (with an id, a title and a source), a search
returns them as `Hit`s (ranked, scored, highlighted) and a summary quotes `SummarySentence`s
(one paragraph each, with a title). Fields are keyword-only: a span is never built by position.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Span:
    """Where a verbatim span lies: `text == body[start:end]` of the article with id `article`,
    within the paragraphs numbered (from 1) in `paragraphs`."""

    article: str
    paragraphs: tuple[int, ...]
    start: int
    end: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Passage(Span):
    """A span the splitter cuts: whole paragraphs, or sentences of one long paragraph."""

    sentences: tuple[tuple[int, int], ...] = ()  # sentence spans within `text`


@dataclass(frozen=True, kw_only=True)
class PassageRecord(Passage):
    """A passage as the index stores it (its `sentences` are empty if none were stored)."""

    id: int  # its stable passage id (index/store/base.py)
    title: str
    source: str


@dataclass(frozen=True, kw_only=True)
class Hit(PassageRecord):
    """One cited passage of an answer: its rank and score, and its best sentence."""

    rank: int
    score: float
    highlight: str
    similarity: float


@dataclass(frozen=True, kw_only=True)
class SummarySentence(Span):
    """One sentence of a summary, verbatim; it lies within one paragraph."""

    title: str

    def __post_init__(self) -> None:
        if len(self.paragraphs) != 1:
            raise ValueError(f"a summary sentence lies in one paragraph, not {self.paragraphs}")

    @property
    def paragraph(self) -> int:
        """The number (from 1) of the paragraph the sentence lies in."""
        return self.paragraphs[0]
