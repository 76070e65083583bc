"""Named locks for a SQLite database: an OS lock (`flock`) on a small file beside it per name.

`paperboy.db` and the lock `fetch:huggingface` → `paperboy.db.fetch-huggingface.lock`. `flock` belongs to the
open file, so two holders in one process exclude each other as two processes do, and the operating system
lets go of it when the process ends however it ends (SIGKILL included): the file may stay, the lock does not.
The holder writes its name (`host:pid/space-nonce`) into the file, for whoever finds it taken. A SQLite file is
only ever used from one host, where these locks hold; `paperboy run` itself is alone on its file (`run_lock`),
so they keep `paperboy fetch` and `paperboy digest` beside it from fetching what it is fetching.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

from paperboy.errors import StoreError
from paperboy.store.locks import SOMEONE, Hold, this_process

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def lock_file(database: Path, name: str) -> Path:
    return database.with_name(f"{database.name}.{_UNSAFE.sub('-', name)}.lock")


class FileLocks:
    """`store.locks.Locks` for the SQLite file at `database`."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._held: set[str] = set()

    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    async def still_held(self, *names: str) -> bool:
        return set(names) <= self._held  # an OS lock lasts as long as its file is open

    @asynccontextmanager
    async def try_hold(self, *names: str) -> AsyncIterator[Hold]:
        with ExitStack() as opened:
            for name in names:
                fd = self._open(name)
                opened.callback(os.close, fd)  # closing the file lets go of its lock
                if not _take(fd):
                    busy, holder = name, _holder(fd)
                    break
            else:
                self._held.update(names)
                try:
                    yield Hold(names, held=True)
                finally:
                    self._held.difference_update(names)
                return
        yield Hold(names, held=False, busy=busy, holder=holder)

    def _open(self, name: str) -> int:
        path = lock_file(self._database, name)
        try:
            # not O_TRUNC: the holder's name stays readable until the lock is ours
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreError(
                f"cannot create the lock file {path} ({error.strerror}); check that paperboy may write in the "
                "folder of database.path"
            ) from None


def _take(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    os.ftruncate(fd, 0)
    os.pwrite(fd, this_process().encode(), 0)
    return True


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 300, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return SOMEONE
    return text or SOMEONE
