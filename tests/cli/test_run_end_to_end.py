"""`paperboy run` as an operator runs it, against fake Hugging Face, Slack and Discord: each channel gets its
digest once, a slash command is answered, health and metrics say so, SIGTERM stops it cleanly, and a second
run posts nothing twice.

The subscriptions are due a minute after they were made; `PAPERBOY_CLOCK_OFFSET` puts the bot's clock a few
minutes ahead so that the digests are due the moment it starts.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text, read_until
from tests.cli.test_run import serve_today
from tests.fakes import discord as fake_discord
from tests.fakes.discord import FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.running import free_port
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

pytestmark = pytest.mark.asyncio
SECRET = "signing-secret-for-tests"
SLACK_CHANNEL = "C0123"
DISCORD_CHANNEL = fake_discord.CHANNEL_ID


@pytest.fixture
def ports() -> tuple[int, int]:
    """Slack's HTTP port and the health port."""
    return free_port(), free_port()


@pytest.fixture
def everything(
    tmp_path: Path,
    hf_server: FakeHuggingFace,
    slack_server: FakeSlack,
    discord_server: FakeDiscord,
    ports: tuple[int, int],
) -> Path:
    slack_port, health_port = ports
    path = tmp_path / "config.toml"
    path.write_text(
        config_text(
            hf_server,
            extra=(
                f'[slack]\napi_base_url = "{slack_server.api_url}"\nhttp_host = "127.0.0.1"\nhttp_port = {slack_port}\n'
                f'[discord]\napi_base_url = "{discord_server.api_url}"\ngateway_url = "{discord_server.gateway_url}"\n'
                f"[health]\nport = {health_port}\n"
            ),
        )
    )
    return path


ENV = {
    "SLACK_BOT_TOKEN": TOKEN,
    "SLACK_SIGNING_SECRET": SECRET,
    "PAPERBOY_DISCORD_TOKEN": fake_discord.TOKEN,
    "PAPERBOY_CLOCK_OFFSET": "3m",
}


async def subscribe_both(cli: Cli, config: Path) -> None:
    at = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%H:%M")
    for platform, workspace, channel in (
        ("slack", "T0456", SLACK_CHANNEL),
        ("discord", fake_discord.GUILD_ID, DISCORD_CHANNEL),
    ):
        made = await cli(
            "subscribe", "--platform", platform, "--workspace", workspace, "--channel", channel,
            "--time", at, "--days", "daily", "--max", "5", "--config", str(config),
        )  # fmt: skip
        assert made.code == 0, made.stderr


async def stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then what it logged on the way out; it must exit 0 within 10 s."""
    assert process.stderr is not None
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(10):
        rest = (await process.stderr.read()).decode()
        assert await process.wait() == 0, rest
    return rest


async def test_run_serves_both_platforms_once_and_stops_cleanly(
    cli: Cli,
    everything: Path,
    hf_server: FakeHuggingFace,
    slack_server: FakeSlack,
    discord_server: FakeDiscord,
    ports: tuple[int, int],
) -> None:
    slack_port, health_port = ports
    serve_today(hf_server)
    await subscribe_both(cli, everything)

    process = await cli.start("run", "--config", str(everything), env=ENV)
    assert process.stderr is not None
    await read_until(process.stderr, "running: database")
    async with asyncio.timeout(COMMAND_TIMEOUT):
        while not (slack_server.messages[SLACK_CHANNEL] and discord_server.messages[DISCORD_CHANNEL]):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await discord_server.identified.wait()

    body = urlencode(
        {
            "command": "/papers",
            "text": "search model",
            "team_id": "T0456",
            "channel_id": SLACK_CHANNEL,
            "user_id": "U1",
            "response_url": slack_server.response_url("search"),
        }
    )
    async with httpx.AsyncClient() as http:
        answered = await http.post(
            f"http://127.0.0.1:{slack_port}/slack/events", content=body, headers=signed_headers(body, SECRET)
        )
        assert answered.status_code == 200
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while not slack_server.responses["search"]:  # noqa: ASYNC110 - the answer follows the ack
                await asyncio.sleep(0.02)
        health = await http.get(f"http://127.0.0.1:{health_port}/healthz")
        metrics = (await http.get(f"http://127.0.0.1:{health_port}/metrics")).text
    rest = await stop(process)

    assert "Traceback" not in rest
    assert health.status_code == 200, health.text
    assert 'paperboy_messages_total{platform="slack",result="sent"} 1.0' in metrics
    assert 'paperboy_messages_total{platform="discord",result="sent"} 1.0' in metrics
    assert slack_server.responses["search"][0]["response_type"] == "ephemeral"
    [slack_digest] = slack_server.messages[SLACK_CHANNEL]
    assert slack_digest["metadata"]["event_type"] == "paperboy_digest"
    [discord_digest] = discord_server.messages[DISCORD_CHANNEL]
    assert discord_digest["nonce"] and discord_digest["enforce_nonce"]
    assert len(discord_digest["embeds"]) == 5

    again = await cli.start("run", "--config", str(everything), env=ENV)
    assert again.stderr is not None
    await read_until(again.stderr, "fetched huggingface")
    await asyncio.sleep(1)  # the digest job runs at start, right after the fetch it asked for
    await stop(again)
    assert len(slack_server.messages[SLACK_CHANNEL]) == 1, "nothing posted twice"
    assert len(discord_server.messages[DISCORD_CHANNEL]) == 1, "nothing posted twice"
