"""One `paperboy run` per database: a second one refuses to start in one line, the other commands work
beside a running one, and the lock goes with the process however it ends."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.cli.conftest import COMMAND_TIMEOUT, Cli, read_until

pytestmark = pytest.mark.asyncio


async def start_run(cli: Cli, config: Path) -> asyncio.subprocess.Process:
    process = await cli.start("run", "--config", str(config))
    assert process.stderr is not None
    await read_until(process.stderr, "running: database")
    return process


async def stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(10):
            return await process.wait()
    finally:
        if process.returncode is None:  # a failed test leaves no process behind
            process.kill()
            await process.wait()


async def test_a_second_run_on_the_same_database_refuses_to_start(cli: Cli, config_path: Path) -> None:
    first = await start_run(cli, config_path)
    second = await cli.start("run", "--config", str(config_path))
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            _, stderr = await second.communicate()
    finally:
        assert await stop(first) == 0
        if second.returncode is None:  # it did not refuse: no process is left behind
            second.kill()
            await second.wait()
    database = config_path.parent / "paperboy.db"
    assert second.returncode == 2
    assert stderr.decode().strip().splitlines() == [
        f"paperboy: error: another paperboy run is using the database {database} (pid {first.pid}); stop it first"
    ]


async def test_other_commands_work_beside_a_running_run(cli: Cli, config_path: Path) -> None:
    first = await start_run(cli, config_path)
    try:
        config = ["--config", str(config_path)]
        searched = await cli("search", "diffusion", *config)
        subscribed = await cli("subscribe", "--platform", "console", "--channel", "lab", "--time", "07:00", *config)
        digest = await cli("digest", "--dry-run", *config)
    finally:
        assert await stop(first) == 0
    for result in (searched, subscribed, digest):
        assert result.code == 0, result.stderr


async def test_the_lock_goes_with_a_killed_run(cli: Cli, config_path: Path) -> None:
    first = await start_run(cli, config_path)
    first.send_signal(signal.SIGKILL)
    async with asyncio.timeout(COMMAND_TIMEOUT):
        await first.wait()
    assert (config_path.parent / "paperboy.db.lock").exists(), "the file may stay; its lock does not"
    second = await start_run(cli, config_path)
    assert await stop(second) == 0
