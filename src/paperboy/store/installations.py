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

from paperboy.models import Installation, Platform
from paperboy.store.engine import Database
from paperboy.store.rows import utc_text

#: installs in progress at once, at most: each open of the public install page writes a state, and a flood of
#: them must not fill the database (real installs are a handful a day)
MAX_LIVE_STATES = 1000

_SELECT = "SELECT platform, enterprise, workspace, record, installed_at FROM installations"


class InstallationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, installation: Installation) -> None:
        """Record an installation; installing again into the same workspace replaces the old one."""
        await self._db.execute(
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
        row = await self._db.fetchone(f"{sql} ORDER BY installed_at DESC LIMIT 1", params)
        return _from_row(row) if row else None

    async def list(self, platform: Platform) -> list[Installation]:
        rows = await self._db.fetchall(f"{_SELECT} WHERE platform = ? ORDER BY workspace", (platform.value,))
        return [_from_row(row) for row in rows]

    async def delete(self, platform: Platform, workspace: str, enterprise: str = "") -> bool:
        deleted = await self._db.execute(
            "DELETE FROM installations WHERE platform = ? AND enterprise = ? AND workspace = ?",
            (platform.value, enterprise, workspace),
        )
        return deleted > 0

    async def issue_state(
        self, state: str, expires_at: datetime, now: datetime, *, limit: int = MAX_LIVE_STATES
    ) -> bool:
        """Keep `state` until `expires_at`, unless `limit` states are live already (then nothing is written and
        the answer is False); states that expired by `now` are dropped on the way."""
        # the count and the insert under one lock, so that replicas issuing states at once respect the cap
        async with self._db.transaction(lock="oauth_states") as tx:
            await tx.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (utc_text(now),))
            row = await tx.fetchone("SELECT count(*) FROM oauth_states")
            if row is not None and int(row[0]) >= limit:
                return False
            await tx.execute(
                "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)", (state, utc_text(expires_at))
            )
        return True

    async def consume_state(self, state: str, now: datetime) -> bool:
        """Whether `state` was issued and has not expired; either way it cannot be used again."""
        consumed = await self._db.execute(
            "DELETE FROM oauth_states WHERE state = ? AND expires_at > ?", (state, utc_text(now))
        )
        return consumed > 0


def _from_row(row: Sequence[Any]) -> Installation:
    platform, enterprise, workspace, record, installed_at = row
    return Installation(
        Platform(platform), workspace, json.loads(record), datetime.fromisoformat(installed_at), enterprise
    )
