"""Message updates after rating clicks, coalesced: a burst of clicks on one message becomes few edits.

Slack (`chat.update`, Tier 3) and Discord (message edits, a few per channel every few seconds) limit how often a
message may change. Per message there is at most one update running; clicks meanwhile ask for one more after
it, spaced by `spacing` seconds, and however many asked, only one more is made. Every update reads the counts
when it runs, so the last one shows every vote stored before it, in whatever order the clicks arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)

#: seconds between two updates of one message
UPDATE_SPACING = 1.0

Update = Callable[[], Awaitable[None]]


class Coalescer:
    def __init__(self, spacing: float = UPDATE_SPACING) -> None:
        self._spacing = spacing
        #: message → the update asked for last and not started yet
        self._pending: dict[Hashable, Update] = {}
        #: message → the task making its updates
        self._running: dict[Hashable, asyncio.Task[None]] = {}

    def request(self, message: Hashable, update: Update) -> None:
        """Ask for `message` to be updated by `update`, replacing an update asked for earlier and not started."""
        self._pending[message] = update
        if message not in self._running:
            self._running[message] = asyncio.create_task(self._run(message), name="paperboy-message-update")

    async def _run(self, message: Hashable) -> None:
        try:
            while message in self._pending:
                update = self._pending.pop(message)
                try:
                    await update()
                except Exception as error:  # one failed edit must not stop the next; the votes are kept anyway
                    log.warning("cannot update a rated message (%s: %s)", type(error).__name__, error)
                if message in self._pending:
                    await asyncio.sleep(self._spacing)
        finally:
            del self._running[message]

    async def settle(self) -> None:
        """Wait until no update is running or asked for (at a stop, and in tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
