"""The query language shared by `/papers search` and channel topic filters: parse text into a syntax tree,
render a tree back to its canonical text. Turning a tree into SQL is the store's job (`store/search.py`)."""

from __future__ import annotations

from paperboy.query.ast import Node, render
from paperboy.query.hints import hints
from paperboy.query.parser import parse

__all__ = ["Node", "canonical", "hints", "parse", "render"]


def canonical(text: str) -> str:
    """`text` as paperboy understands it, in its one spelling: what a user is shown after setting a filter."""
    return render(parse(text))
