"""The installations table (one row per workspace that added paperboy through OAuth) and one-time OAuth states.

A state is issued when someone starts an install and consumed when Slack sends them back; it can be consumed
once, and not after it expired, so a replayed or forged return trip installs nothing. The install page is
public, so live states are capped: past `MAX_LIVE_STATES` no state is written until older ones expire.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from paperboy.models import Installation, Platform
from paperboy.store.database import transaction
from paperboy.store.rows import utc_text

#: installs in progress at once, at most: each open of the public install page writes a state, and a flood of
#: them must not fill the database (real installs are a handful a day)
MAX_LIVE_STATES = 1000

_SELECT = "SELECT platform, enterprise, workspace, record, installed_at FROM installations"


class InstallationStore:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def save(self, installation: Installation) -> None:
        """Record an installation; installing again into the same workspace replaces the old one."""
        async with transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO installations (platform, enterprise, workspace, record, installed_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, enterprise, workspace) DO UPDATE SET "
                "record = excluded.record, installed_at = excluded.installed_at",
                (
                    installation.platform.value,
                    installation.enterprise,
                    installation.workspace,
                    json.dumps(installation.record),
                    utc_text(installation.installed_at),
                ),
            )

    async def find(self, platform: Platform, workspace: str, enterprise: str | None = None) -> Installation | None:
        """The workspace's installation; with `enterprise` None, in whichever organisation it is."""
        sql = f"{_SELECT} WHERE platform = ? AND workspace = ?"
        params: list[str] = [platform.value, workspace]
        if enterprise is not None:
            sql += " AND enterprise = ?"
            params.append(enterprise)
        async with self._conn.execute(f"{sql} ORDER BY installed_at DESC LIMIT 1", params) as cursor:
            row = await cursor.fetchone()
        return _from_row(row) if row else None

    async def list(self, platform: Platform) -> list[Installation]:
        async with self._conn.execute(f"{_SELECT} WHERE platform = ? ORDER BY workspace", (platform.value,)) as cursor:
            return [_from_row(row) for row in await cursor.fetchall()]

    async def delete(self, platform: Platform, workspace: str, enterprise: str = "") -> bool:
        async with transaction(self._conn):
            cursor = await self._conn.execute(
                "DELETE FROM installations WHERE platform = ? AND enterprise = ? AND workspace = ?",
                (platform.value, enterprise, workspace),
            )
        return cursor.rowcount > 0

    async def issue_state(
        self, state: str, expires_at: datetime, now: datetime, *, limit: int = MAX_LIVE_STATES
    ) -> bool:
        """Keep `state` until `expires_at`, unless `limit` states are live already (then nothing is written and
        the answer is False); states that expired by `now` are dropped on the way."""
        async with transaction(self._conn):
            await self._conn.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (utc_text(now),))
            async with self._conn.execute("SELECT count(*) FROM oauth_states") as cursor:
                row = await cursor.fetchone()
            if row is not None and int(row[0]) >= limit:
                return False
            await self._conn.execute(
                "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)", (state, utc_text(expires_at))
            )
        return True

    async def consume_state(self, state: str, now: datetime) -> bool:
        """Whether `state` was issued and has not expired; either way it cannot be used again."""
        async with transaction(self._conn):
            cursor = await self._conn.execute(
                "DELETE FROM oauth_states WHERE state = ? AND expires_at > ?", (state, utc_text(now))
            )
        return cursor.rowcount > 0


def _from_row(row: Sequence[Any]) -> Installation:
    platform, enterprise, workspace, record, installed_at = row
    return Installation(
        Platform(platform), workspace, json.loads(record), datetime.fromisoformat(installed_at), enterprise
    )
