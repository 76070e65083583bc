"""Text helpers every renderer needs."""

from __future__ import annotations


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters: cut at a word where possible, and marked with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    word_end = head.rfind(" ")
    if word_end > limit * 0.6:
        head = head[:word_end]
    return head.rstrip() + "…"
