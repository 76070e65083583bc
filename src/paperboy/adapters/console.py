"""The console sink: digests printed as text, for `console` subscriptions and for trying paperboy out."""

from __future__ import annotations

import sys
from itertools import count
from typing import TextIO

from paperboy.digest import Digest
from paperboy.links import SIMILAR, paper_links, similar_command


def digest_text(digest: Digest) -> str:
    lines = [f"== {digest.ref}: {digest.title}"]
    for n, item in enumerate(digest.items, 1):
        lines.append(f"{n:>2}. {item.title}")
        lines.append(f"    {item.authors} · ▲ {item.upvotes}")
        if item.summary:
            lines.append(f"    {item.summary}")
        lines.append(f"    {' · '.join(link.url for link in paper_links(item))}")
        lines.append(f"    {SIMILAR}: {similar_command(item.paper_id, chat=False)}")
        if item.reasons:
            lines.append(f"    matched: {'; '.join(item.reasons)}")
    more = digest.more_text(chat=False)  # read in a terminal, where the CLI runs the search
    if more:
        lines.append(more)
    return "\n".join(lines)


class ConsoleSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._ids = count(1)

    async def send(self, digest: Digest) -> tuple[str, ...]:
        stream = self._stream or sys.stdout
        print(digest_text(digest), file=stream, flush=True)
        return (f"console-{next(self._ids)}",)
