"""`paperboy run` whatever state the services it talks to are in: each of Hugging Face, Slack's Socket Mode
WebSocket, Slack's Web API and the Discord gateway either refusing connections (a port nobody listens on) or
hanging (a server that accepts and never answers). In every state it starts (fetching regardless of the chat
platforms) and a signal ends it within 10 s with exit code 0."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from tests.cli.conftest import Cli
from tests.cli.test_run import serve_today
from tests.fakes import discord as fake_discord
from tests.fakes import slack as fake_slack
from tests.fakes.discord import FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.running import HangingServer, free_port
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.asyncio
#: how long the start-up line may take: a platform that hangs is given up on after 5 s
START_DEADLINE = 30.0
SLACK_ENV = {"SLACK_BOT_TOKEN": fake_slack.TOKEN, "SLACK_APP_TOKEN": fake_slack.APP_TOKEN}
DISCORD_ENV = {"PAPERBOY_DISCORD_TOKEN": fake_discord.TOKEN}


@dataclass(slots=True)
class Setup:
    """What one state needs: the Hugging Face URL, config sections, secrets, and the log lines to wait for."""

    hf_url: str
    extra: str = ""
    env: dict[str, str] = field(default_factory=dict)
    markers: tuple[str, ...] = ("running: database", "fetched huggingface")


@pytest_asyncio.fixture
async def hanging() -> AsyncIterator[HangingServer]:
    async with HangingServer() as server:
        yield server


def arrange(state: str, hf: FakeHuggingFace, slack: FakeSlack, discord: FakeDiscord, hanging: HangingServer) -> Setup:
    dead, stuck = f"127.0.0.1:{free_port()}", f"127.0.0.1:{hanging.port}"
    service, how = state.rsplit(" ", 1)
    where = dead if how == "unreachable" else stuck
    slack_api = f'[slack]\napi_base_url = "{slack.api_url}"\n'
    discord_api = f'[discord]\napi_base_url = "{discord.api_url}"\n'
    if service == "huggingface":
        return Setup(f"http://{where}", markers=("running: database",))
    if service == "slack socket":
        slack.socket_url = f"ws://{where}/socket"
        return Setup(hf.url, slack_api, SLACK_ENV)
    if service == "slack web api":
        return Setup(hf.url, f'[slack]\napi_base_url = "http://{where}/api/"\n', SLACK_ENV)
    assert service == "discord gateway", state
    return Setup(hf.url, f'{discord_api}gateway_url = "ws://{where}/gateway"\n', DISCORD_ENV)


def config(setup: Setup) -> str:
    """Timeouts longer than the test: a hanging service is left to paperboy's own limits."""
    return (
        'database.path = "paperboy.db"\n'
        '[http]\ntimeout = "60s"\nattempts = 1\n'
        '[delivery]\nwebhook_timeout = "60s"\n'
        f'[sources.huggingface]\nbase_url = "{setup.hf_url}"\npage_size = 20\n'
        f"{setup.extra}"
    )


async def read_until_all(stream: asyncio.StreamReader, markers: tuple[str, ...]) -> list[str]:
    """Lines of `stream` until each marker has been in one of them."""
    lines: list[str] = []
    missing = set(markers)
    async with asyncio.timeout(START_DEADLINE):
        while missing:
            line = (await stream.readline()).decode()
            assert line, f"the stream ended before {missing}; got: {lines}"
            lines.append(line)
            missing = {marker for marker in missing if marker not in line}
    return lines


STATES = [
    ("huggingface unreachable", signal.SIGTERM),
    ("huggingface hanging", signal.SIGTERM),
    ("slack socket unreachable", signal.SIGTERM),
    ("slack socket hanging", signal.SIGINT),
    ("slack web api unreachable", signal.SIGTERM),
    ("slack web api hanging", signal.SIGTERM),
    ("discord gateway unreachable", signal.SIGTERM),
    ("discord gateway hanging", signal.SIGINT),
]


@pytest.mark.parametrize(("state", "signum"), STATES, ids=[state.replace(" ", "-") for state, _ in STATES])
async def test_run_starts_and_stops_on_signal_whatever_a_service_does(
    cli: Cli,
    tmp_path: Path,
    hf_server: FakeHuggingFace,
    slack_server: FakeSlack,
    discord_server: FakeDiscord,
    hanging: HangingServer,
    state: str,
    signum: signal.Signals,
) -> None:
    serve_today(hf_server)
    setup = arrange(state, hf_server, slack_server, discord_server, hanging)
    path = tmp_path / "config.toml"
    path.write_text(config(setup))
    process = await cli.start("run", "--config", str(path), env=setup.env)
    try:
        assert process.stderr is not None
        started = await read_until_all(process.stderr, setup.markers)
        if state.endswith("hanging"):
            async with asyncio.timeout(START_DEADLINE):
                await hanging.connected.wait()  # paperboy is waiting on it now
        process.send_signal(signum)
        async with asyncio.timeout(10):
            rest = (await process.stderr.read()).decode()
            code = await process.wait()
    finally:
        if process.returncode is None:  # a failed test leaves no process behind
            process.kill()
            await process.wait()
    assert code == 0, rest
    assert rest.rstrip().endswith("stopped")
    assert "Traceback" not in "".join(started) + rest
