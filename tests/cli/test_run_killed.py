"""`paperboy run` killed with SIGKILL in the middle of a fan-out to 200 Slack channels, then started again:
every channel ends up with each planned paper exactly once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.config import DigestSettings
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text
from tests.cli.test_run import serve_today
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import TOKEN, FakeSlack

pytestmark = pytest.mark.asyncio
CHANNELS = [f"C{n:04d}" for n in range(200)]
PAPER_URL = re.compile(r"https://huggingface\.co/papers/([^|>\s]+)")


@pytest.fixture
def slack_config(tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(config_text(hf_server, extra=f'[slack]\napi_base_url = "{slack_server.api_url}"\n'))
    return path


async def subscribe_all(db: Path) -> None:
    at = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%H:%M")
    async with await Store.open(db) as store:
        service = SubscriptionService(store, DigestSettings())
        for channel in CHANNELS:
            ref = ChannelRef(Platform.SLACK, channel, "T0456")
            await service.subscribe(ref, by="test", time=at, days="daily", max_papers=3)


def planned_papers(db: Path) -> dict[str, list[str]]:
    """Each channel's papers as the delivery ledger planned them (left-out ones excluded)."""
    planned: dict[str, list[str]] = defaultdict(list)
    with sqlite3.connect(db) as conn:
        for channel, paper in conn.execute("SELECT channel, paper_id FROM deliveries WHERE position >= 0"):
            planned[channel].append(paper)
    return planned


async def test_a_fan_out_killed_midway_is_finished_exactly_once(
    cli: Cli, slack_config: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack
) -> None:
    serve_today(hf_server)
    db = slack_config.parent / "paperboy.db"
    await subscribe_all(db)
    slack_server.answer_delay = 0.1
    env = {"SLACK_BOT_TOKEN": TOKEN, "PAPERBOY_CLOCK_OFFSET": "3m"}

    first = await cli.start("run", "--config", str(slack_config), env=env)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        while len(slack_server.messages) < 40:  # noqa: ASYNC110 - the fan-out is under way
            await asyncio.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert len(slack_server.messages) < len(CHANNELS), "killed before the fan-out finished"

    slack_server.answer_delay = 0
    second = await cli.start("run", "--config", str(slack_config), env=env)
    assert second.stderr is not None
    async with asyncio.timeout(COMMAND_TIMEOUT):
        while len(slack_server.messages) < len(CHANNELS):  # noqa: ASYNC110 - the rest goes out
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    second.send_signal(signal.SIGTERM)
    async with asyncio.timeout(10):
        await second.wait()

    assert slack_server.requests_to("/api/conversations.history"), "digests cut off mid-send were checked first"
    planned = planned_papers(db)
    for channel in CHANNELS:
        posted = slack_server.messages[channel]
        assert len(posted) == 1, f"{channel} got {len(posted)} digests"
        papers = PAPER_URL.findall(json.dumps(posted[0]["blocks"]))
        assert sorted(set(papers)) == sorted(planned[channel]), channel
        assert len(set(papers)) == len(planned[channel]) == 3
