"""`paperboy status`: the paperboy processes at work on the database (runs, and digests while they send), each with
what it holds; none, in one line."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import paperboy
from paperboy.clock import SystemClock
from paperboy.store import Store
from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text, read_until
from tests.fakes.corpus import CorpusPaper
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def run(cli: Cli, config: Path, env: dict[str, str] | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    """`paperboy run` until the block ends (then stopped with SIGTERM), once it has started."""
    process = await cli.start("run", "--config", str(config), env=env)
    assert process.stderr is not None
    try:
        await read_until(process.stderr, "running: database")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(COMMAND_TIMEOUT):
            await process.communicate()


async def holding(target: Path | str, holds: dict[str, object], processes: int = 1) -> None:
    """Wait until the process table lists `processes` processes, each holding `holds`."""
    async with await Store.open(target) as store, asyncio.timeout(COMMAND_TIMEOUT):
        while [p.holds for p in await store.processes.live(SystemClock().now())] != [holds] * processes:  # noqa: ASYNC110 - another process writes it
            await asyncio.sleep(0.05)


async def test_status_without_a_run_says_so_in_one_line(cli: Cli, config_path: Path) -> None:
    result = await cli("status", "--config", str(config_path))
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == f"no paperboy run or digest is at work on {config_path.parent / 'paperboy.db'}\n"


async def test_status_lists_a_run_with_what_it_holds(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    config_path = tmp_path / "config.toml"  # requests wait for the gate rather than time out and try again
    config_path.write_text(config_text(hf_server).replace('timeout = "500ms"', 'timeout = "60s"'))
    hf_server.gate.clear()  # the run's fetch at start stays under way
    async with run(cli, config_path) as running:
        await holding(config_path.parent / "paperboy.db", {"fetching": ["huggingface"], "sending": 0})
        result = await cli("status", "--config", str(config_path))
        hf_server.gate.set()
    assert result.code == 0, result.stderr
    heading, line = result.stdout.splitlines()
    assert heading == f"1 paperboy process on {config_path.parent / 'paperboy.db'}:"
    pattern = (
        rf"  {re.escape(socket.gethostname())}:{running.pid}/[0-9a-f]*-[0-9a-f]+  "
        rf"paperboy {re.escape(paperboy.__version__)}, "
        r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, last seen \d+ s ago: fetching huggingface"
    )
    assert re.fullmatch(pattern, line), line


@pytest.fixture
def quiet_config(tmp_path: Path) -> Path:
    """A config that fetches nothing: the runs hold nothing."""
    path = tmp_path / "config.toml"
    path.write_text('database.path = "paperboy.db"\n[sources.huggingface]\nenabled = false\n')
    return path


async def test_status_json_lists_every_run_on_a_shared_database(
    cli: Cli, quiet_config: Path, postgres_url: str
) -> None:
    env = {"PAPERBOY_DATABASE_URL": postgres_url}
    config_path = quiet_config
    async with run(cli, config_path, env) as first, run(cli, config_path, env) as second:
        await holding(postgres_url, {"fetching": [], "sending": 0}, processes=2)
        result = await cli("status", "--json", "--config", str(config_path), env=env)
    assert result.code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["database"] == postgres_url
    assert sorted(p["pid"] for p in listed["processes"]) == sorted([first.pid, second.pid])
    for process in listed["processes"]:
        assert (
            process["name"].startswith(f"{socket.gethostname()}:{process['pid']}/")
            and process["host"] == socket.gethostname()
        )
        assert process["version"] == paperboy.__version__ and 0 <= process["seen_seconds_ago"] < 60
        assert process["holds"] == {"fetching": [], "sending": 0}


async def test_a_run_that_stops_is_no_longer_listed(cli: Cli, quiet_config: Path) -> None:
    async with run(cli, quiet_config):
        await holding(quiet_config.parent / "paperboy.db", {"fetching": [], "sending": 0})
    result = await cli("status", "--config", str(quiet_config))
    assert result.stdout.startswith("no paperboy run or digest is at work on")


def _patient(config_path: Path) -> None:
    config_path.write_text(config_path.read_text().replace('timeout = "500ms"', 'timeout = "60s"'))


async def test_a_digest_is_listed_while_it_sends_and_gone_once_done(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], webhooks: FakeWebhooks
) -> None:
    _patient(config_path)  # the webhook's answer waits for the test, not for a timeout
    config = ["--config", str(config_path)]
    await cli("subscribe", "--platform", "webhook", "--channel", webhooks.slack_url("status"), "--max", "3", *config)
    webhooks.hold = asyncio.Event()  # the send stays under way
    digest = await cli.start("digest", "--now", *config)
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while not webhooks.payloads(webhooks.slack_url("status")):  # noqa: ASYNC110 - the fake server receives
                await asyncio.sleep(0.02)
        # its row is written before it sends (what it holds is renewed with each heartbeat)
        listed = json.loads((await cli("status", "--json", *config)).stdout)["processes"]
        assert [p["pid"] for p in listed] == [digest.pid]
    finally:
        webhooks.hold.set()
        async with asyncio.timeout(COMMAND_TIMEOUT):
            await digest.communicate()
    assert digest.returncode == 0
    after = await cli("status", *config)
    assert after.stdout.startswith("no paperboy run or digest is at work on")
