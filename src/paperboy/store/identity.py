"""Who this process is, as every process sharing the database names it: in digest claims, in the process table
and as the holder of a lock (`store.locks`).

`host:pid` alone does not tell processes apart: containers sharing the host's name (host networking) each have
their own pid 1. So the name also holds a random nonce, and which kernel and pid namespace the pid counts in.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

#: random, once per process: tells apart processes alike in host name and pid
_NONCE = secrets.token_hex(3)
_CLAIMANT = re.compile(r"(?P<host>.+):(?P<pid>\d+)(?:/(?P<space>[0-9a-f]*)-(?P<nonce>[0-9a-f]+))?")


@dataclass(frozen=True, slots=True)
class Claimant:
    """A process that sends digests, as its claims (and the process table) name it: `host:pid/space-nonce`.

    The host name and pid alone do not tell processes apart: containers sharing the host's name (host
    networking) each have their own pid 1. So a name also holds a random `nonce`, and `space`, which kernel and
    pid namespace the pid counts in, so that only a process that can see that pid judges whether it is gone.
    """

    host: str
    pid: int
    #: the kernel (boot) and pid namespace the pid belongs to; "" where that cannot be read (not Linux)
    space: str = ""
    nonce: str = ""

    @classmethod
    def this_process(cls) -> Claimant:
        return cls(socket.gethostname(), os.getpid(), _pid_space(), _NONCE)

    def __str__(self) -> str:
        base = f"{self.host}:{self.pid}"
        return f"{base}/{self.space}-{self.nonce}" if self.space or self.nonce else base

    @classmethod
    def parse(cls, text: str) -> Claimant | None:
        match = _CLAIMANT.fullmatch(text)
        if match is None:
            return None
        return cls(match["host"], int(match["pid"]), match["space"] or "", match["nonce"] or "")

    def is_gone(self) -> bool:
        """Whether this process has certainly ended: its pid counts where this process's does, and is no more."""
        here = Claimant.this_process()
        if (self.host, self.space) != (here.host, here.space):
            return False  # only its lease tells
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


@functools.cache
def _pid_space() -> str:
    """This kernel's boot and this process's pid namespace, as 8 hex digits; "" when they cannot be read."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:8]
