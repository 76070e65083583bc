"""Four `paperboy run` processes on one PostgreSQL database, 200 channels due at once (half Slack, half incoming
webhooks): every channel gets each planned paper exactly once; and with one process SIGKILLed mid fan-out, the
others finish its digests: nothing lost, nothing doubled (a webhook, which cannot be asked, may see a repeat
marked "(resent)", as documented; Slack is asked and sees none)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from paperboy.config import DigestSettings
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.store.identity import Claimant
from paperboy.subscriptions import SubscriptionService
from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text
from tests.cli.test_run import serve_today
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import TOKEN, FakeSlack
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
PROCESSES = 4
SLACK_CHANNELS = [f"C{n:04d}" for n in range(100)]
WEBHOOKS = 100
PAPERS_EACH = 3
#: slow platforms: a fan-out takes seconds, so the processes race, and a kill lands mid-send
ANSWER_DELAY = 0.3
PAPER_LINK = re.compile(r"https://huggingface\.co/papers/([0-9a-z.\-/]+?)[|>)\"\s]")


@dataclass
class Run:
    """A `paperboy run` process, its log read as it comes (a full pipe would stall it)."""

    process: asyncio.subprocess.Process
    log: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def sent(self) -> int:
        return sum(1 for line in self.log if "sent " in line and "'s digest for" in line)


@dataclass
class Fleet:
    cli: Cli
    config: Path
    env: dict[str, str]
    db: Store
    slack: FakeSlack
    webhooks: FakeWebhooks
    webhook_urls: list[str]
    runs: list[Run] = field(default_factory=list)

    async def start(self) -> None:
        for _ in range(PROCESSES):
            run = Run(await self.cli.start("run", "--config", str(self.config), env=self.env))
            run.reader = asyncio.create_task(read_log(run))
            self.runs.append(run)

    def received(self) -> int:
        """Channels that got at least one message."""
        slack = sum(1 for c in SLACK_CHANNELS if self.slack.messages.get(c))
        return slack + sum(1 for url in self.webhook_urls if self.webhooks.payloads(url))

    async def unfinished(self) -> int:
        row = await self.db.db.fetchone("SELECT count(*) FROM digests WHERE state IN ('planned', 'sending')")
        return int(row[0]) if row else 0

    async def planned(self) -> dict[str, list[str]]:
        """Each channel's papers as the ledger planned them (left-out ones excluded)."""
        planned: dict[str, list[str]] = defaultdict(list)
        for channel, paper in await self.db.db.fetchall("SELECT channel, paper_id FROM deliveries WHERE position >= 0"):
            planned[channel].append(paper)
        return planned

    async def all_sent(self) -> None:
        """Wait until every channel got its digest and no digest is left unfinished."""
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while self.received() < len(SLACK_CHANNELS) + WEBHOOKS or await self.unfinished():  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """SIGTERM the processes still running and wait for them: nothing is sent after this."""
        for run in self.runs:
            if run.process.returncode is None:
                run.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            for run in self.runs:
                await run.process.wait()
                if run.reader is not None:
                    await run.reader


@pytest_asyncio.fixture
async def fleet(
    cli: Cli, tmp_path: Path, postgres_url: str, hf_server: FakeHuggingFace, slack_server: FakeSlack
) -> AsyncIterator[Fleet]:
    serve_today(hf_server)
    webhooks = await FakeWebhooks().start()
    urls = [webhooks.slack_url(f"w{n}") if n % 2 else webhooks.discord_url(f"w{n}") for n in range(WEBHOOKS)]
    config = tmp_path / "config.toml"
    extra = f'[slack]\napi_base_url = "{slack_server.api_url}"\n[delivery]\nwebhook_requests_per_second = 500\n'
    # a short lease: a killed process's digests are taken over within seconds (10 s is the least allowed)
    config.write_text('database.lease = "10s"\n' + config_text(hf_server, extra=extra))
    store = await Store.open(postgres_url)
    await subscribe_all(store, urls)
    env = {"SLACK_BOT_TOKEN": TOKEN, "PAPERBOY_DATABASE_URL": postgres_url, "PAPERBOY_CLOCK_OFFSET": "3m"}
    fleet = Fleet(cli, config, env, store, slack_server, webhooks, urls)
    try:
        yield fleet
    finally:
        await fleet.stop()
        await store.close()
        await webhooks.stop()


async def read_log(run: Run) -> None:
    assert run.process.stderr is not None
    while line := await run.process.stderr.readline():
        run.log.append(line.decode())


async def subscribe_all(store: Store, webhook_urls: list[str]) -> None:
    """Every channel due a minute from now; the processes run three minutes ahead, so it is due at their start."""
    at = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%H:%M")
    service = SubscriptionService(store, DigestSettings())
    refs = [ChannelRef(Platform.SLACK, channel, "T0456") for channel in SLACK_CHANNELS]
    refs += [ChannelRef(Platform.WEBHOOK, url) for url in webhook_urls]
    for ref in refs:
        await service.subscribe(ref, by="test", time=at, days="daily", max_papers=PAPERS_EACH)


def papers_in(message: dict[str, Any]) -> list[str]:
    return PAPER_LINK.findall(json.dumps(message.get("blocks") or message.get("embeds") or message))


def title_of(payload: dict[str, Any]) -> str:
    """The digest's title line, as a Slack or Discord webhook message carries it."""
    if "blocks" in payload:
        return str(payload["blocks"][0]["text"]["text"])
    return str(payload["content"]).splitlines()[0]


async def test_racing_runs_give_every_channel_each_planned_paper_exactly_once(fleet: Fleet) -> None:
    fleet.slack.answer_delay = fleet.webhooks.stall = ANSWER_DELAY
    await fleet.start()
    await fleet.all_sent()
    await fleet.stop()
    planned = await fleet.planned()
    for channel in SLACK_CHANNELS:
        [message] = fleet.slack.messages[channel]
        assert sorted(set(papers_in(message))) == sorted(planned[channel]), channel
        assert len(planned[channel]) == PAPERS_EACH
    for url in fleet.webhook_urls:
        [payload] = fleet.webhooks.payloads(url)
        assert "(resent)" not in title_of(payload)
        assert sorted(set(papers_in(payload))) == sorted(planned[url]), url
    senders = [run.sent for run in fleet.runs]
    assert sum(senders) == len(SLACK_CHANNELS) + WEBHOOKS
    assert sum(1 for sent in senders if sent) >= 2, f"the processes shared the fan-out: {senders}"


async def test_a_run_killed_mid_fan_out_has_its_digests_finished_by_the_others(fleet: Fleet) -> None:
    # the platforms take messages and hold their answers until the kill: it lands mid-send, on both
    answers = fleet.slack.hold = fleet.webhooks.hold = asyncio.Event()
    await fleet.start()
    victim, in_flight = await mid_send(fleet)
    victim.process.send_signal(signal.SIGKILL)
    await victim.process.wait()
    answers.set()
    await fleet.all_sent()
    await fleet.stop()

    planned = await fleet.planned()
    for channel in SLACK_CHANNELS:
        [message] = fleet.slack.messages[channel]  # a digest cut off mid-send was checked against the history
        assert sorted(set(papers_in(message))) == sorted(planned[channel]), channel
    cut_off = set(in_flight["webhook"])
    for url in fleet.webhook_urls:
        payloads = fleet.webhooks.payloads(url)
        assert sorted(set(papers_in(payloads[-1]))) == sorted(planned[url]), url
        if url not in cut_off:
            assert len(payloads) == 1 and "(resent)" not in title_of(payloads[0]), url
            continue
        # the digest the killed process was sending: sent again, marked as a repeat (once or twice in all)
        assert len(payloads) <= 2 and title_of(payloads[-1]).endswith("(resent)"), url
        assert all(papers_in(p) == papers_in(payloads[-1]) for p in payloads)
    assert fleet.slack.requests_to("/api/conversations.history"), "digests cut off mid-send were checked first"
    states = Counter(row[0] for row in await fleet.db.db.fetchall("SELECT state FROM digests"))
    assert states == {"sent": len(SLACK_CHANNELS) + WEBHOOKS}


async def mid_send(fleet: Fleet) -> tuple[Run, dict[str, list[str]]]:
    """Wait until a process is sending digests to both platforms (their messages taken, the answers held);
    that process, and the channels of those digests by platform."""
    by_pid = {run.process.pid: run for run in fleet.runs}
    async with asyncio.timeout(COMMAND_TIMEOUT):
        while True:
            rows = await fleet.db.db.fetchall(
                "SELECT platform, channel, claimed_by FROM digests WHERE state = 'sending'"
            )
            holding: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for platform, channel, holder in rows:
                claimant = Claimant.parse(holder) if holder else None
                if claimant is not None and claimant.pid in by_pid:
                    holding[claimant.pid][platform].append(channel)
            for pid, sending in holding.items():
                if len(sending["slack"]) >= 2 and len(sending["webhook"]) >= 2:
                    return by_pid[pid], sending
            await asyncio.sleep(0.02)
