"""Several `paperboy digest --now` processes at once on one SQLite file, and beside a `paperboy run` on
PostgreSQL: each digest is claimed by one of them, a busy database is waited for, and every channel gets each of
its papers exactly once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.config import DigestSettings
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text
from tests.cli.test_run import serve_today
from tests.fakes.corpus import CorpusPaper
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
CHANNELS = 60
PROCESSES = 4
_PAPER_LINK = re.compile(r"https://huggingface\.co/papers/([0-9a-z.\-/]+?)[|>)\"]")


def papers_in(payload: dict[str, object]) -> set[str]:
    return set(_PAPER_LINK.findall(json.dumps(payload)))


async def test_racing_digest_processes_give_every_paper_exactly_once(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, webhooks: FakeWebhooks, fetched: list[CorpusPaper]
) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(config_text(hf_server, extra="[delivery]\nwebhook_requests_per_second = 500\n"))
    config = ["--config", str(config_path)]
    urls = [webhooks.slack_url(f"c{n}") if n % 2 else webhooks.discord_url(f"c{n}") for n in range(CHANNELS)]
    async with await Store.open(tmp_path / "paperboy.db") as store:
        service = SubscriptionService(store, DigestSettings())
        for n, url in enumerate(urls):
            await service.subscribe(ChannelRef(Platform.WEBHOOK, url), by="test", max_papers=3 + n % 5)
    results = await asyncio.gather(*(cli("digest", "--now", *config) for _ in range(PROCESSES)))
    for result in results:
        assert result.code == 0, result.stderr
        assert not [line for line in result.stderr.splitlines() if " INFO " not in line], result.stderr
    with sqlite3.connect(tmp_path / "paperboy.db") as conn:
        planned = {
            (channel, paper)
            for channel, paper in conn.execute("SELECT channel, paper_id FROM deliveries WHERE position >= 0")
        }
        states = {row[0] for row in conn.execute("SELECT DISTINCT state FROM digests")}
    assert states <= {"sent", "empty"}
    received = []
    for url in urls:
        for payload in webhooks.payloads(url):
            received += [(url, paper) for paper in papers_in(payload)]
    assert len(received) == len(set(received)), "a paper reached a channel twice"
    assert set(received) == planned, "a paper planned for a channel never reached it"
    assert {url for url, _ in received} == set(urls), "a channel got nothing"


async def test_a_run_and_racing_digest_processes_on_postgresql_give_every_paper_exactly_once(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, webhooks: FakeWebhooks, postgres_url: str
) -> None:
    serve_today(hf_server)
    config_path = tmp_path / "config.toml"
    config_path.write_text(config_text(hf_server, extra="[delivery]\nwebhook_requests_per_second = 500\n"))
    config = ["--config", str(config_path)]
    # due at the run's start: the processes' clocks run three minutes ahead
    env = {"PAPERBOY_DATABASE_URL": postgres_url, "PAPERBOY_CLOCK_OFFSET": "3m"}
    urls = [webhooks.slack_url(f"c{n}") if n % 2 else webhooks.discord_url(f"c{n}") for n in range(CHANNELS)]
    at = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%H:%M")
    async with await Store.open(postgres_url) as store:
        service = SubscriptionService(store, DigestSettings())
        for url in urls:
            await service.subscribe(ChannelRef(Platform.WEBHOOK, url), by="test", time=at, days="daily", max_papers=3)
        run = await cli.start("run", *config, env=env)
        try:
            results = await asyncio.gather(*(cli("digest", "--now", *config, env=env) for _ in range(PROCESSES - 1)))
            async with asyncio.timeout(COMMAND_TIMEOUT):
                while await unfinished_or_unplanned(store, len(urls)):  # noqa: ASYNC110 - the run finishes its part
                    await asyncio.sleep(0.05)
        finally:
            run.send_signal(signal.SIGTERM)
            await run.communicate()
        planned = {(r[0], r[1]) for r in await store.db.fetchall(DELIVERED)}
    for result in results:
        assert result.code == 0, result.stderr
    received = [(url, paper) for url in urls for payload in webhooks.payloads(url) for paper in papers_in(payload)]
    assert len(received) == len(set(received)), "a paper reached a channel twice"
    assert set(received) == planned, "a paper planned for a channel never reached it"
    assert not [p for url in urls for p in webhooks.payloads(url) if "(resent)" in json.dumps(p)]


DELIVERED = "SELECT channel, paper_id FROM deliveries WHERE position >= 0"


async def unfinished_or_unplanned(store: Store, channels: int) -> bool:
    """Whether a digest is left to send, or a channel's scheduled digest is not planned yet."""
    row = await store.db.fetchone(
        "SELECT count(*) FILTER (WHERE state IN ('planned', 'sending')), "
        "count(DISTINCT channel) FILTER (WHERE kind = 'scheduled') FROM digests"
    )
    assert row is not None
    return bool(row[0]) or row[1] < channels
