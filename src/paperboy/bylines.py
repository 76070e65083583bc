"""How a paper's authors are shown in one line: every renderer, the digest and the CLI write them alike."""

from __future__ import annotations

from collections.abc import Sequence


def short_authors(authors: Sequence[str], most: int = 3) -> str:
    """`A, B and 6 more`: the first `most` authors, and how many others."""
    if not authors:
        return "authors unknown"
    if len(authors) <= most:
        return ", ".join(authors)
    return f"{', '.join(authors[:most])} and {len(authors) - most} more"
