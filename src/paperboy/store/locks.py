"""Named locks shared by every process on the database: one holder at a time, let go when the holder ends.

Work that one process should do at a time however many share the database (fetching a source, connecting a
Discord shard) is done while holding a lock named after it, taken with `store.locks.try_hold(name)`. Nobody
waits inside the lock: a process that finds it held is told by whom and decides (skip the round, try again
later). A lock is released at the end of the block, and by the operating system or the database server when
the holding process dies, however it dies: no lease to run out, no stale holder to clear by hand.

A lock held for long (Discord shards, for as long as the process runs) is looked after with `still_held`: on
PostgreSQL it is lost with its connection.

Each backend has its own (`store/sqlite/locks.py`, `store/postgres/locks.py`); the callers do not know which.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from paperboy.store.identity import Claimant

#: said when the holder of a lock cannot be told (it let go meanwhile, or the database does not say)
SOMEONE = "another paperboy process"


def this_process() -> str:
    """This process as locks and the process table name it: as its digest claims do (`host:pid/space-nonce`)."""
    return str(Claimant.this_process())


@dataclass(frozen=True, slots=True)
class Hold:
    """The outcome of `try_hold`: true when this process holds the locks for the block."""

    names: tuple[str, ...]
    held: bool
    #: when `held` is false: the first lock of `names` that was not free, and its holder (as named by `this_process`)
    busy: str | None = None
    holder: str | None = None

    def __bool__(self) -> bool:
        return self.held


class Locks(Protocol):
    def try_hold(self, *names: str) -> AbstractAsyncContextManager[Hold]:
        """Take every lock of `names` for the block, or none of them: the Hold says which, and when not, who
        holds one. Never waits for a holder to let go."""
        ...

    def held(self) -> frozenset[str]:
        """The names of the locks this process holds now (through this store)."""
        ...

    async def still_held(self, *names: str) -> bool:
        """Whether this process still holds every lock of `names`, as the database sees it: a PostgreSQL lock
        ends with its connection (the server restarted, say), whatever the block holding it thinks."""
        ...
