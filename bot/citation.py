"""How a citation names paragraphs, the same in Discord and in the terminal."""

from __future__ import annotations

from collections.abc import Sequence


def paragraphs_label(numbers: Sequence[int]) -> str:
    """"¶15" or "¶3–4"."""
    if not numbers:
        return ""
    return f"¶{numbers[0]}" if len(numbers) == 1 else f"¶{numbers[0]}–{numbers[-1]}"
