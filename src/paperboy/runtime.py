"""What a running paperboy holds open: settings, the store, one HTTP client, and the enabled sources."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

import httpx

from paperboy.clock import Clock, SystemClock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner
from paperboy.models import IngestReport, Platform
from paperboy.sinks import Sink
from paperboy.sources import Source
from paperboy.sources.arxiv import ArxivSource
from paperboy.sources.huggingface import HuggingFaceSource
from paperboy.store import Store

T = TypeVar("T")


class JobTracker:
    """The background jobs under way, so that shutdown can cancel them and wait for them to finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    async def run(self, coro: Coroutine[object, object, T]) -> T:
        """Await `coro`, tracking the task that awaits it."""
        task = asyncio.current_task()
        assert task is not None, "JobTracker.run is awaited from a task"
        self._tasks.add(task)
        try:
            return await coro
        finally:
            self._tasks.discard(task)

    async def wait_idle(self, grace: float) -> None:
        """Cancel every tracked job and wait up to `grace` seconds for them to unwind."""
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace)
        self._tasks.clear()


@dataclass(frozen=True, slots=True)
class FetchStatus:
    """How a source's fetches have gone since start.

    A fetch succeeds when the source answered for at least one day: one day it keeps failing (a 500 for that
    date) is an error to log, not a sign that the source is down.
    """

    #: fetches that have finished since start
    fetches: int = 0
    #: when the last successful fetch finished
    last_success: datetime | None = None
    #: the newest error a fetch met ("2025-01-15: Hugging Face answered 500 …"), kept after later successes
    last_error: str | None = None
    #: when a round was last skipped because another process sharing the database was fetching the source
    fetched_elsewhere: datetime | None = None

    def after(self, report: IngestReport, now: datetime) -> FetchStatus:
        """This status once the fetch that `report` describes has finished at `now`."""
        errors = report.errors
        return FetchStatus(
            fetches=self.fetches + 1,
            last_success=now if report.answered else self.last_success,
            last_error=f"{errors[0].day}: {errors[0].error}" if errors else self.last_error,
            fetched_elsewhere=self.fetched_elsewhere,
        )

    def skipped(self, now: datetime) -> FetchStatus:
        """This status once a round was skipped at `now`: another process was fetching the source."""
        return replace(self, fetched_elsewhere=now)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    store: Store
    client: httpx.AsyncClient
    sources: dict[str, Source] = field(default_factory=dict)
    jobs: JobTracker = field(default_factory=JobTracker)
    clock: Clock = field(default_factory=SystemClock)
    sinks: dict[Platform, Sink] = field(default_factory=dict)
    #: when each source was last fetched without errors
    last_fetched: dict[str, datetime] = field(default_factory=dict)
    #: how each source's scheduled fetches have gone since start (what /healthz reports)
    fetch_status: dict[str, FetchStatus] = field(default_factory=dict)

    @property
    def digests(self) -> DigestRunner:
        settings = self.settings
        return DigestRunner(self.store, self.sinks, self.clock, settings.delivery, lease=settings.database.lease)

    def interval(self, source: str) -> timedelta:
        """How often the source is fetched."""
        sources = self.settings.sources
        return sources.huggingface.every if source == "huggingface" else sources.arxiv.every

    def lookback_days(self, source: str) -> int:
        sources = self.settings.sources
        return sources.huggingface.lookback_days if source == "huggingface" else sources.arxiv.lookback_days


def build_sources(settings: Settings, client: httpx.AsyncClient, only: str | None = None) -> dict[str, Source]:
    """The sources the settings enable, by name; or just the source `only`, enabled or not."""
    hf, arxiv = settings.sources.huggingface, settings.sources.arxiv
    wanted = {"huggingface": hf.enabled, "arxiv": arxiv.enabled} if only is None else {only: True}
    sources: dict[str, Source] = {}
    if wanted.get("huggingface"):
        sources["huggingface"] = HuggingFaceSource(client, hf, settings.http)
    if wanted.get("arxiv"):
        sources["arxiv"] = ArxivSource(client, arxiv, settings.http)
    return sources
