"""What kind of answer a question asks for, and whether a sentence could hold one.

"When did Sweden join NATO?" asks for a date and "How many hostages…?" for a number. A
passage about Sweden's NATO bid that names no date, or about hostages that gives no figure,
matches the question's words without answering it. Question answering has long used this
check (the expected answer type); here it lifts a candidate whose best sentence could hold
the answer (`RankWeights.answer_kind`, index/search/hybrid.py). It was also tried as a gate
feature and not kept: the fit sets' uncovered questions are off-topic, so the fitted
coefficient was small and the test halves did not move.

Only two kinds are told apart: dates (years, months, weekdays, seasons, centuries, "ago") and
numbers (digits, number words). The patterns are loose, and the weight was fitted with them as
they are: any three- or four-digit number counts as a year ("500 people"), "march" and "ad"
count as dates, "one" as a number, while "last year" does not count. A date or number the
question itself gives ("the October 7 attack") does not count as an answer; another day of
that month ("October 30") does not either, because day numbers are not matched. Only a
question's opening is read ("When…", "How many…"); a follow-up ranked together with its
earlier question is read on its own (`rank(asking=…)`).
"""

from __future__ import annotations

import enum
import functools
import re


class Kind(enum.Enum):
    """The kinds of answer told apart."""

    DATE = "date"
    NUMBER = "number"


# A question's opening words, after an optional lead-in ("And in what year …", "About how many").
_LEAD = (r"^\W*(?:(?:and|so|but|exactly|roughly|approximately|about|around|in|by|since|until|"
         r"as of|from)\s+)?")
_ASKS = {
    Kind.DATE: re.compile(_LEAD + r"(?:when\b|(?:what|which)\s+(?:years?|date|day|month|decade|"
                                  r"century|era)\b)", re.IGNORECASE),
    Kind.NUMBER: re.compile(_LEAD + r"(?:how\s+(?:many|much|old|long|far|large|big|tall|high)\b|"
                                    r"(?:what|which)\s+(?:percentage|percent|proportion|number|"
                                    r"amount)\b)", re.IGNORECASE),
}
_MONTHS = ("january|february|march|april|may(?=\\s+\\d)|june|july|august|september|october|"
           "november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
                 "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
                 "fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
                 "trillions?|dozens?|half|twice|thrice|single|double|triple")
_HOLDS = {
    Kind.DATE: re.compile(rf"\b(?:{_MONTHS}|{_WEEKDAYS}|spring|summer|autumn|winter|"
                          r"centur(?:y|ies)|decades?|ago|yesterday|today|tomorrow|tonight|"
                          r"\d+(?:st|nd|rd|th)|\d{3,4}s?|bce?|ad)\b", re.IGNORECASE),
    Kind.NUMBER: re.compile(rf"\b(?:{_NUMBER_WORDS}|\d[\d,.]*)\b|%", re.IGNORECASE),
}


@functools.lru_cache(maxsize=4096)
def expected(question: str) -> Kind | None:
    """The kind of answer the question asks for, if it is a date or a number."""
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind
    return None


def holds(kind: Kind, text: str, question: str) -> bool:
    """Whether `text` holds a `kind` other than those the question itself names."""
    pattern = _HOLDS[kind]
    named = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in named for m in pattern.finditer(text))
