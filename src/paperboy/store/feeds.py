"""The feeds table: each subscription's Atom feed, known by a secret token (its address is /feeds/TOKEN.atom).

One feed per subscription, removed with it (a foreign key that cascades), so a channel that unsubscribes and
comes back gets a new address. Revoking replaces the token and keeps `feed_id`, the Atom id feed readers know
the feed by. Tokens are made by the caller (`paperboy.feeds`); this module only keeps them. They are kept as
they are, not hashed: `/papers feed show` shows the address again whenever asked, and the database already
holds secrets (Slack install tokens) and is kept private for that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paperboy.models import ChannelRef, Platform
from paperboy.store.engine import Database
from paperboy.store.rows import parse_iso, utc_text

_SUBSCRIPTION = "SELECT id FROM subscriptions WHERE platform = ? AND workspace = ? AND channel = ?"
_SELECT = (
    "SELECT f.subscription_id, f.token, f.feed_id, f.created_at, f.token_at, s.platform, s.workspace, s.channel "
    "FROM feeds f JOIN subscriptions s ON s.id = f.subscription_id"
)


@dataclass(frozen=True, slots=True)
class Feed:
    """A subscription's feed. The token never shows in a repr, so it cannot reach a log line by accident."""

    subscription_id: int
    token: str = field(repr=False)
    #: the Atom feed's id, kept when the token is replaced
    feed_id: str
    ref: ChannelRef
    created_at: datetime
    #: when the current token was issued
    token_at: datetime


class FeedStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, ref: ChannelRef) -> Feed | None:
        """The channel's feed; None when it has none yet (or no subscription)."""
        row = await self._db.fetchone(
            f"{_SELECT} WHERE s.platform = ? AND s.workspace = ? AND s.channel = ?",
            (ref.platform.value, ref.workspace, ref.channel),
        )
        return _from_row(row) if row else None

    async def find(self, token: str) -> Feed | None:
        """The feed this token opens; None for a token never issued, or revoked."""
        row = await self._db.fetchone(f"{_SELECT} WHERE f.token = ?", (token,))
        return _from_row(row) if row else None

    async def issue(self, ref: ChannelRef, token: str, feed_id: str, now: datetime) -> Feed | None:
        """The channel's feed, made with `token` and `feed_id` if it has none (the ones it has win: two
        processes asking at once get the same feed). None when the channel is not subscribed."""
        await self._db.execute(
            "INSERT INTO feeds (subscription_id, token, feed_id, created_at, token_at) "
            f"SELECT id, ?, ?, ?, ? FROM ({_SUBSCRIPTION}) AS s WHERE true ON CONFLICT (subscription_id) DO NOTHING",
            (token, feed_id, utc_text(now), utc_text(now), ref.platform.value, ref.workspace, ref.channel),
        )
        return await self.get(ref)

    async def replace_token(self, ref: ChannelRef, token: str, feed_id: str, now: datetime) -> Feed | None:
        """Give the channel's feed a new token (the old one opens nothing from now on), or make its feed with
        it. None when the channel is not subscribed."""
        await self._db.execute(
            "INSERT INTO feeds (subscription_id, token, feed_id, created_at, token_at) "
            f"SELECT id, ?, ?, ?, ? FROM ({_SUBSCRIPTION}) AS s WHERE true "
            "ON CONFLICT (subscription_id) DO UPDATE SET token = excluded.token, token_at = excluded.token_at",
            (token, feed_id, utc_text(now), utc_text(now), ref.platform.value, ref.workspace, ref.channel),
        )
        return await self.get(ref)


def _from_row(row: Sequence[Any]) -> Feed:
    subscription_id, token, feed_id, created_at, token_at, platform, workspace, channel = row
    created, issued = parse_iso(created_at), parse_iso(token_at)
    assert created is not None and issued is not None
    return Feed(int(subscription_id), token, feed_id, ChannelRef(Platform(platform), channel, workspace), created,
                issued)  # fmt: skip
