"""What a rate-limited receiver counts: when each request it took arrived, and a limit on how many any one
second may hold (a request past it is refused, and counted as refused)."""

from __future__ import annotations

import time
from collections import deque


class RateWindow:
    def __init__(self, per_second: int | None = None) -> None:
        #: the most requests any one-second window may hold; None: no limit, only counting
        self.per_second = per_second
        #: requests refused because they came too fast
        self.limited = 0
        self._taken: deque[float] = deque()

    def admit(self) -> float | None:
        """Take a request now (None), or refuse it: the seconds until the window has room again."""
        now = time.monotonic()
        if self.per_second is not None:
            recent = [t for t in self._taken if now - t < 1.0]
            if len(recent) >= self.per_second:
                self.limited += 1
                return 1.0 - (now - recent[0])
        self._taken.append(now)
        return None

    def times(self) -> list[float]:
        """When each accepted request arrived (monotonic seconds), in order."""
        return list(self._taken)

    @property
    def accepted(self) -> int:
        return len(self._taken)

    def first_and_last(self) -> tuple[float, float]:
        """When the first and the last accepted request arrived (monotonic seconds)."""
        return self._taken[0], self._taken[-1]

    def most_in_one_second(self) -> int:
        """The most accepted requests any one-second window held."""
        times = list(self._taken)
        most, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most
