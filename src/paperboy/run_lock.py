"""One `paperboy run` per database: an OS lock on a file beside it (`paperboy.db` → `paperboy.db.lock`).

Two runs on one database would both fetch and both send every console digest. The lock is `flock`, which the
operating system lets go of when the process ends however it ends (SIGKILL included), so a stale lock file
never blocks a start: the file may stay, the lock does not. Only `paperboy run` takes it; `digest`, `search`
and the other commands work beside a running one, as SQLite lets them. On PostgreSQL any number of runs share
the database (claims, leases and advisory locks keep them from doing the same work twice), so there is no lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paperboy.errors import UserInputError


def lock_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.lock")


@contextmanager
def hold_run_lock(database: Path | None) -> Iterator[Path | None]:
    """Hold the run lock of `database` while the block runs; refuse (exit 2) when another process holds it.
    None (a PostgreSQL database, which several runs share by design): nothing to hold."""
    if database is None:
        yield None
        return
    path = lock_path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # not O_TRUNC: the holder's pid stays readable until the lock is ours
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise UserInputError(
            f"cannot create the lock file {path} ({error.strerror}); check that database.path is in a writable folder"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserInputError(
                f"another paperboy run is using the database {database}{_holder(fd)}; stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        # closing the descriptor releases the lock
        os.close(fd)


def _holder(fd: int) -> str:
    """The holder as " (pid N)" from the lock file, or nothing if it cannot be read."""
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
