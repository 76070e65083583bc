"""The subscriptions table: one row per channel (platform, workspace, channel)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from paperboy.models import ChannelRef, PauseCause, Platform, Subscription
from paperboy.schedule import Schedule
from paperboy.store.engine import Database
from paperboy.store.rows import iso, parse_iso
from paperboy.timespec import format_days, parse_clock, parse_days, parse_timezone

_COLUMNS = (
    "platform",
    "workspace",
    "channel",
    "filter",
    "post_time",
    "timezone",
    "days",
    "max_papers",
    "min_upvotes",
    "post_empty",
    "taste",
    "taste_weight",
    "paused_reason",
    "paused_cause",
    "last_error",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
)
_SELECT = f"SELECT id, {', '.join(_COLUMNS)} FROM subscriptions"
_KEY = "platform = ? AND workspace = ? AND channel = ?"


class SubscriptionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, subscription: Subscription) -> Subscription:
        """Insert the channel's subscription, or replace the one it has (keeping its id and creation)."""
        row = _to_row(subscription)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c not in ("created_by", "created_at"))
        sql = (
            f"INSERT INTO subscriptions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
            f"ON CONFLICT (platform, workspace, channel) DO UPDATE SET {updates}"
        )
        await self._db.execute(sql, row)
        saved = await self.get(subscription.ref)
        assert saved is not None
        return saved

    async def get(self, ref: ChannelRef) -> Subscription | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE {_KEY}", _key(ref))
        return _from_row(row) if row else None

    async def list(self, platform: Platform | None = None, workspace: str | None = None) -> list[Subscription]:
        clauses, params = [], []
        if platform is not None:
            clauses.append("platform = ?")
            params.append(platform.value)
        if workspace is not None:
            clauses.append("workspace = ?")
            params.append(workspace)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.fetchall(f"{_SELECT}{where} ORDER BY platform, workspace, channel", params)
        return [_from_row(row) for row in rows]

    async def pause(
        self, ref: ChannelRef, reason: str, cause: PauseCause, at: datetime, *, workspace: bool = False
    ) -> int:
        """Pause the channel's subscription, or with `workspace` every subscription of its workspace; how many.
        Only the pause is written, so a change made meanwhile (a new filter, say) is kept."""
        where, params = (
            ("platform = ? AND workspace = ?", (ref.platform.value, ref.workspace)) if workspace else (_KEY, _key(ref))
        )
        sql = (
            "UPDATE subscriptions SET paused_reason = ?, paused_cause = ?, updated_by = 'paperboy', updated_at = ? "
            f"WHERE {where}"
        )
        return await self._db.execute(sql, (reason, cause.value, iso(at), *params))

    async def note_problem(self, ref: ChannelRef, problem: str | None) -> None:
        """Record the last problem the channel's digests had (None: the last digest went out)."""
        await self._db.execute(f"UPDATE subscriptions SET last_error = ? WHERE {_KEY}", (problem, *_key(ref)))

    async def delete(self, ref: ChannelRef) -> bool:
        return await self._db.execute(f"DELETE FROM subscriptions WHERE {_KEY}", _key(ref)) > 0


def _key(ref: ChannelRef) -> tuple[str, str, str]:
    return (ref.platform.value, ref.workspace, ref.channel)


def _to_row(s: Subscription) -> tuple[Any, ...]:
    return (
        *_key(s.ref),
        s.filter,
        f"{s.schedule.at:%H:%M}",
        s.schedule.timezone.key,
        format_days(s.schedule.days, weekly=s.schedule.weekly),
        s.max_papers,
        s.min_upvotes,
        int(s.post_empty),
        int(s.taste),
        float(s.taste_weight),
        s.paused_reason,
        s.paused_cause.value if s.paused_cause else None,
        s.last_error,
        s.created_by,
        iso(s.created_at),
        s.updated_by,
        iso(s.updated_at),
    )


def _from_row(row: Sequence[Any]) -> Subscription:
    (id_, platform, workspace, channel, filter_, post_time, timezone, days, max_papers, min_upvotes, post_empty,
     taste, taste_weight, paused_reason, paused_cause, last_error, created_by, created_at, updated_by,
     updated_at) = row  # fmt: skip
    return Subscription(
        ref=ChannelRef(Platform(platform), channel, workspace),
        schedule=Schedule(parse_clock(post_time), parse_timezone(timezone), *parse_days(days)),
        max_papers=max_papers,
        filter=filter_,
        min_upvotes=min_upvotes,
        post_empty=bool(post_empty),
        taste=bool(taste),
        taste_weight=float(taste_weight),
        paused_reason=paused_reason,
        paused_cause=PauseCause(paused_cause) if paused_cause else None,
        last_error=last_error,
        created_by=created_by,
        created_at=parse_iso(created_at),
        updated_by=updated_by,
        updated_at=parse_iso(updated_at),
        id=id_,
    )
