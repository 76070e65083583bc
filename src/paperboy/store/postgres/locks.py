"""Named locks for a PostgreSQL database: session advisory locks, held on one pooled connection.

Why advisory locks and not a row with a lease: the server lets go of a session's advisory locks the moment its
connection ends, so a holder that dies (SIGKILL, a lost host) frees its locks at once, with no lease to
renew while a slow fetch goes on and none to wait out after a crash. The price is a connection of the pool
held for as long as the lock is, which is why `try_hold` takes several names on one connection; and a lock
lives as long as its connection: were the connection lost (the server restarted), the lock is lost with it.

A name becomes the lock's 64-bit key by `hashtextextended(name, 0)`, as the transaction locks of
`PostgresDatabase.transaction(lock=…)` do (the names do not overlap). Who holds a lock is read from the
server: `pg_locks` says which session, and that session's `application_name`, which every connection of
paperboy's pool sets to `paperboy host:pid/space-nonce` (`connection.APPLICATION`), says which process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from paperboy.store.locks import SOMEONE, Hold

if TYPE_CHECKING:
    from paperboy.store.postgres.connection import PostgresDatabase, Statements

_TAKE = "SELECT pg_try_advisory_lock(hashtextextended(?, 0))"
_RELEASE = "SELECT pg_advisory_unlock(hashtextextended(?, 0))"
# a bigint key is kept in pg_locks as two 32-bit halves: classid the high one, objid the low one, objsubid 1
_HOLDER = """
WITH lock AS (SELECT hashtextextended(?, 0) AS key)
SELECT a.application_name FROM lock, pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ((lock.key >> 32) & 4294967295)::oid AND l.objid = (lock.key & 4294967295)::oid
"""
_PREFIX = "paperboy "
# how many of the locks named (a JSON array) this session holds
_MINE = """
SELECT count(*)
FROM pg_locks l, (SELECT hashtextextended(value, 0) AS key FROM json_array_elements_text(CAST(? AS json))) k
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.pid = pg_backend_pid()
  AND l.classid = ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key & 4294967295)::oid
"""
#: how long `still_held` waits for the database to say; no answer counts as the locks lost
CHECK_SECONDS = 2.0


class AdvisoryLocks:
    """`store.locks.Locks` for a PostgreSQL database."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        #: the locks held, by name, and the connection holding each
        self._sessions: dict[str, Statements] = {}

    def held(self) -> frozenset[str]:
        return frozenset(self._sessions)

    async def still_held(self, *names: str) -> bool:
        sessions = [self._sessions.get(name) for name in names]
        if None in sessions:
            return False
        for session in {id(s): s for s in sessions if s is not None}.values():
            mine = [name for name, held_by in self._sessions.items() if held_by is session]
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    row = await session.fetchone(_MINE, (json.dumps(mine),))
                lost = not row or row[0] < len(mine)
            except Exception:  # the connection is gone (TimeoutError: or as good as gone), and its locks with it
                lost = True
            if lost:  # no longer this process's, whatever the block that took them still thinks
                for name in mine:
                    del self._sessions[name]
                return False
        return True

    @asynccontextmanager
    async def try_hold(self, *names: str) -> AsyncIterator[Hold]:
        async with self._db.session() as session:
            busy, holder = await _take_all(session, names)
            if busy is None:
                self._sessions.update(dict.fromkeys(names, session))
                try:
                    yield Hold(names, held=True)
                finally:
                    for name in names:
                        if self._sessions.get(name) is session:
                            del self._sessions[name]
                    await _release(session, names)
                return
        # the connection went back to the pool holding nothing: the caller's block does not keep it
        yield Hold(names, held=False, busy=busy, holder=holder)


async def _take_all(session: Statements, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Take every lock of `names`, or none: (None, None), or the first lock that was not free and its holder."""
    taken: list[str] = []
    try:
        for name in names:
            row = await session.fetchone(_TAKE, (name,))
            if not (row and row[0]):
                holder = await _holder(session, name)
                await _release(session, taken)
                return name, holder
            taken.append(name)
    except BaseException:  # some may be taken: the connection must not go back to the pool with them
        await _discard(session)
        raise
    return None, None


async def _release(session: Statements, names: Iterable[str]) -> None:
    """Let go of `names`. Whatever gets in the way (the connection lost, the task cancelled half way), the
    connection is closed, not handed back to the pool: a pooled connection must never keep a lock, and the
    server lets go of a closed session's locks."""
    try:
        for name in names:
            await session.execute(_RELEASE, (name,))
    except Exception:  # the connection is lost, and its locks with it
        await _discard(session)
    except BaseException:
        await _discard(session)
        raise


async def _discard(session: Statements) -> None:
    with contextlib.suppress(Exception):
        await session.connection.close()


async def _holder(session: Statements, name: str) -> str:
    row = await session.fetchone(_HOLDER, (name,))
    application = str(row[0]) if row and row[0] else ""
    return application.removeprefix(_PREFIX) if application.startswith(_PREFIX) else SOMEONE
