"""How a citation names paragraphs and links its article, the same in Discord and in the
terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import yarl

URL_LIMIT = 300  # a longer source is not linked: it would eat the embed's budget
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")  # a DNS name (IDNA-encoded) or IPv4
_ENDS_TARGET = re.compile(r"[\s()\[\]<>\\\"'`]")  # could end or split a Markdown link target


def paragraphs_label(numbers: Sequence[int]) -> str:
    """"¶15" or "¶3–4"."""
    if not numbers:
        return ""
    return f"¶{numbers[0]}" if len(numbers) == 1 else f"¶{numbers[0]}–{numbers[-1]}"


def web_url(source: str) -> str | None:
    """`source` as a link target, or None unless it is an http(s) URL with a host name.

    The result can stand between `](` and `)` as it is: credentials are dropped and every
    character that could end or split a Markdown link target is percent-encoded.
    """
    source = source.strip()
    if any(unicodedata.category(c) == "Cc" for c in source):
        return None  # yarl would silently drop a newline or tab, even inside the host
    try:
        url = yarl.URL(source)
        if url.scheme not in ("http", "https") or not _HOST.fullmatch(url.raw_host or ""):
            return None
        target = str(url.with_user(None))
    except ValueError:  # e.g. a port out of range
        return None
    target = _ENDS_TARGET.sub(lambda m: f"%{ord(m.group()):02X}", target)
    return target if len(target) <= URL_LIMIT else None
