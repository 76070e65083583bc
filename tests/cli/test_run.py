"""`paperboy run`: fetches at start, logs what it ingested, and stops cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

import paperboy
from paperboy.heartbeat import FORGET_SECONDS
from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text, read_until
from tests.fakes.corpus import by_day, hf_item
from tests.fakes.discord import FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import TOKEN, FakeSlack

pytestmark = pytest.mark.asyncio


def serve_today(hf_server: FakeHuggingFace) -> int:
    papers = by_day()[datetime(2025, 1, 16).date()]
    hf_server.days[datetime.now(UTC).date().isoformat()] = [hf_item(p) for p in papers]
    return len({p.id for p in papers})


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_fetches_at_start_and_stops_on_signal(
    cli: Cli, config_path: Path, hf_server: FakeHuggingFace, signum: signal.Signals
) -> None:
    count = serve_today(hf_server)
    process = await cli.start("run", "--config", str(config_path))
    assert process.stderr is not None
    started = await read_until(process.stderr, "fetched huggingface")
    assert "running: database" in "".join(started)
    assert f"fetched huggingface: {count} new" in started[-1]
    process.send_signal(signum)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        rest = (await process.stderr.read()).decode()
        code = await process.wait()
    assert code == 0
    assert rest.rstrip().endswith("stopped")
    assert "Traceback" not in rest


async def test_run_keeps_going_when_a_source_is_down(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[sources.huggingface]\nbase_url = "{hf_server.url}"\n[http]\nattempts = 1\n'.replace(
            hf_server.url, "http://127.0.0.1:9"
        )
    )
    process = await cli.start("run", "--config", str(config))
    assert process.stderr is not None
    lines = await read_until(process.stderr, "cannot reach Hugging Face")
    assert "ERROR" in lines[-1] and "fetching huggingface for" in lines[-1]
    assert process.returncode is None, "a failed fetch does not end the bot"
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        assert await process.wait() == 0


async def test_run_never_logs_the_token(cli: Cli, config_path: Path, hf_server: FakeHuggingFace) -> None:
    token = "hf_tokentokentokentoken"
    serve_today(hf_server)
    process = await cli.start("-vv", "run", "--config", str(config_path), env={"HF_TOKEN": token})
    assert process.stderr is not None
    lines = await read_until(process.stderr, "fetched huggingface")
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        lines.append((await process.stderr.read()).decode())
        await process.wait()
    assert hf_server.requests[0].headers["Authorization"] == f"Bearer {token}"
    assert token not in "".join(lines)


async def test_run_says_what_it_serves_and_when_the_next_digest_is(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", "--platform", "console", "--channel", "lab", "--time", "07:00", "--days", "daily", *config)
    process = await cli.start("run", *config)
    assert process.stderr is not None
    lines = await read_until(process.stderr, "no chat platform is configured")
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        assert await process.wait() == 0
    [summary] = [line for line in lines if "running: database" in line]
    assert f"paperboy {paperboy.__version__} running" in summary
    assert "digests for 1 of 1 subscribed channels" in summary
    assert "next digest " in summary and " 07:00 UTC for console:lab" in summary
    assert "Slack off; Discord off; health checks off" in summary


async def test_run_with_a_refused_discord_token_exits_2_in_one_line(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, discord_server: FakeDiscord
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, extra=f'[discord]\napi_base_url = "{discord_server.api_url}"\n'))
    result = await cli("run", "--config", str(config), env={"PAPERBOY_DISCORD_TOKEN": "not-the-token"})
    assert result.code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("paperboy: error: Discord does not accept discord.token")
    assert "not-the-token" not in result.stderr and "Traceback" not in result.stderr


async def test_run_with_only_a_slack_bot_token_says_it_sends_slack_digests(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, extra=f'[slack]\napi_base_url = "{slack_server.api_url}"\n'))
    process = await cli.start("run", "--config", str(config), env={"SLACK_BOT_TOKEN": TOKEN})
    assert process.stderr is not None
    lines = await read_until(process.stderr, "running: database")
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        assert await process.wait() == 0
    assert "Slack digests only (no app token or signing secret, so no /papers); Discord off" in lines[-1]
    assert slack_server.requests_to("/api/auth.test"), "the token was checked"


async def test_run_with_only_a_refused_slack_bot_token_exits_2_in_one_line(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, extra=f'[slack]\napi_base_url = "{slack_server.api_url}"\n'))
    result = await cli("run", "--config", str(config), env={"SLACK_BOT_TOKEN": "xoxb-not-the-token"})
    assert result.code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("paperboy: error: Slack refused slack.bot_token (invalid_auth)")
    assert "xoxb-not-the-token" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("given", ["option", "config"])
async def test_a_health_port_in_use_names_where_the_port_came_from(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, given: str
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = tmp_path / "config.toml"
    extra = f"[health]\nport = {port}\n" if given == "config" else ""
    config.write_text(config_text(hf_server, extra=extra))
    option = ["--health-port", str(port)] if given == "option" else []
    try:
        result = await cli("run", *option, "--config", str(config))
    finally:
        taken.close()
    assert result.code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"paperboy: error: cannot listen on 127.0.0.1:{port} for health checks (")
    assert last.endswith("change --health-port" if given == "option" else "change health.port")


@pytest.mark.parametrize("delay", [0.1, 0.25, 0.4, 0.55, 0.7])
async def test_ctrl_c_while_paperboy_is_still_starting_ends_without_a_traceback(
    cli: Cli, config_path: Path, delay: float
) -> None:
    process = await cli.start("run", "--config", str(config_path))
    await asyncio.sleep(delay)  # the moment of the Ctrl-C: while Python loads paperboy, or just after
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert "Traceback" not in stderr.decode()
    assert process.returncode in (0, 130, -signal.SIGINT)


async def test_two_runs_on_one_database_fetch_a_source_one_at_a_time(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, postgres_url: str
) -> None:
    config = tmp_path / "config.toml"  # requests wait for the gate rather than time out and try again
    config.write_text(config_text(hf_server).replace('timeout = "500ms"', 'timeout = "60s"'))
    count = serve_today(hf_server)
    hf_server.gate.clear()  # the first run's fetch at start stays under way
    env = {"PAPERBOY_DATABASE_URL": postgres_url}
    first = await cli.start("run", "--config", str(config), env=env)
    second: asyncio.subprocess.Process | None = None
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while not hf_server.in_flight:  # noqa: ASYNC110 - the fake answers in this loop
                await asyncio.sleep(0.02)
        second = await cli.start("run", "--config", str(config), env=env)
        assert first.stderr is not None and second.stderr is not None
        skipped = await read_until(second.stderr, "being fetched by")
        said = skipped[-1].rstrip().partition("huggingface is being fetched by ")[2]
        assert said.startswith(f"{socket.gethostname()}:{first.pid}/") and said.endswith("; skipped"), skipped[-1]
        hf_server.gate.set()
        fetched = await read_until(first.stderr, "fetched huggingface")
        assert f"fetched huggingface: {count} new" in fetched[-1]
    finally:
        hf_server.gate.set()
        for process in (first, second):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    assert (first.returncode, second.returncode if second else None) == (0, 0)
    assert hf_server.most_in_flight == 1, "one fetch of the source at a time"


async def test_a_run_stops_promptly_while_the_database_holds_up_its_heartbeat(
    cli: Cli, config_path: Path, postgres_url: str
) -> None:
    env = {"PAPERBOY_DATABASE_URL": postgres_url}
    process = await cli.start("run", "--config", str(config_path), env=env)
    assert process.stderr is not None
    await read_until(process.stderr, "running: database")
    with psycopg.connect(postgres_url) as blocker:
        blocker.execute("LOCK TABLE processes IN ACCESS EXCLUSIVE MODE")  # until the end of the block
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        async with asyncio.timeout(COMMAND_TIMEOUT):
            rest = (await process.stderr.read()).decode()
            await process.wait()
        stopped = time.monotonic() - stopping
        blocker.rollback()
    assert process.returncode == 0 and rest.rstrip().endswith("stopped")
    assert stopped < FORGET_SECONDS + 3
