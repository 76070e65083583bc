"""Digests made up for adapter tests: any number of papers, every field filled."""

from __future__ import annotations

from datetime import date

from paperboy.digest import Digest, DigestItem
from paperboy.models import ChannelRef, Platform


def items(n: int, summary: str = "We do a thing.") -> tuple[DigestItem, ...]:
    return tuple(
        DigestItem(
            paper_id=f"2501.{k:05d}",
            title=f"Paper <{k}> & friends",
            authors="A. Author and 2 more",
            upvotes=k,
            summary=summary,
            url=f"https://huggingface.co/papers/2501.{k:05d}",
            arxiv_url=f"https://arxiv.org/abs/2501.{k:05d}",
            pdf_url=f"https://arxiv.org/pdf/2501.{k:05d}",
            code_url="https://github.com/x/y" if k % 2 else None,
            reasons=('"diffusion" in the title',),
        )
        for k in range(1, n + 1)
    )


def digest(channel: str, n: int = 3, left_out: int = 0, ref: ChannelRef | None = None, **more: object) -> Digest:
    """A digest of `n` papers for a webhook URL `channel` (or for `ref`)."""
    ref = ref or ChannelRef(Platform.WEBHOOK, channel)
    return Digest(ref, date(2025, 1, 16), items(n), left_out, "diffusion", **more)  # type: ignore[arg-type]
