"""What an answer says besides its passages, the same in Discord and in the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

NOT_COVERED = "The indexed articles don't cover that."
SEEMS_NOT_COVERED = ("The indexed articles don't seem to cover that. "
                     "The closest passage, low confidence:")
CONTEXT_GONE = "The article this conversation was about is no longer indexed."
NOTHING_DATED_SINCE = ("No indexed article is dated since then (its published date, else the "
                       "day it was indexed).")


def in_words(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def read_as_note(read_as: Mapping[str, str], limit: int | None = None) -> str:
    """'Read "meetng" as "meeting".' for the misspelt words a question was read with (empty
    when none): a reader whose word was read wrongly sees why the passages are off. Within
    `limit` characters, the first pairs that fit are named and the rest counted."""
    pairs = [f"“{typed}” as “{word}”" for typed, word in read_as.items()]
    if not pairs:
        return ""
    for shown in range(len(pairs), 0, -1):
        rest = len(pairs) - shown
        listed = pairs[:shown] + ([counted(rest, "other word")] if rest else [])
        note = f"Read {in_words(listed)}."
        if limit is None or len(note) <= limit:
            return note
    return "Read 1 misspelt word as another." if len(pairs) == 1 else (
        f"Read {len(pairs)} misspelt words as others.")


def reported_by(outlets: Sequence[str], unsourced: int = 0, *, naming: bool = False) -> str:
    """"reported by 2 sources" (with `naming`, "… (a.org, b.org)"). Articles without a source
    are counted apart, not named as outlets: "1 report without a source", "reported by
    2 sources and 1 report without a source"."""
    sources = f"reported by {counted(len(outlets), 'source')}"
    if naming and outlets:
        sources += f" ({', '.join(outlets)})"
    if not unsourced:
        return sources
    reports = f"{counted(unsourced, 'report')} without a source"
    return f"{sources} and {reports}" if outlets else reports


def counted(number: int, noun: str) -> str:
    """"1 passage", "2 passages": a count with its noun (regular plurals only)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def as_sentence(reason: str) -> str:
    """An engine's reason ("the question is empty", fit for `error: …` in a terminal) as a line
    of its own: capitalised, ending in a full stop, also after a closing parenthesis ("Binary
    file (contains NUL bytes).") unless what it encloses ends a sentence."""
    reason = reason.strip()
    if not reason:
        return reason
    reason = reason[:1].upper() + reason[1:]
    ended = reason.removesuffix(")").endswith((".", "!", "?", "…"))
    return reason if ended else reason + "."


def scope_gone(reason: str) -> str:
    """A follow-up in a conversation limited to articles that are gone: why, and how to go on."""
    return (f"This conversation is limited to articles that are no longer indexed "
            f"({as_sentence(reason).rstrip('.')}). Ask a new question, outside this "
            "conversation, to search every article.")
