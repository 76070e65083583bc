"""`paperboy run` with a Discord token: the bot logs in, registers its commands, connects to the gateway and
answers a slash command that arrives there."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace

import pytest

from paperboy.config import Secret, Settings
from tests.fakes.discord import APPLICATION_ID, TOKEN, FakeDiscord, command
from tests.fakes.running import free_port, serving, without_sources
from tests.fakes.server import Fault

pytestmark = pytest.mark.asyncio


def discord_settings(settings: Settings, fake: FakeDiscord) -> Settings:
    discord = replace(settings.discord, token=Secret(TOKEN), api_base_url=fake.api_url, gateway_url=fake.gateway_url)
    return without_sources(replace(settings, discord=discord))


async def test_run_answers_a_slash_command_from_the_gateway(settings: Settings, discord_server: FakeDiscord) -> None:
    async with serving(discord_settings(settings, discord_server)):
        async with asyncio.timeout(10):
            await discord_server.identified.wait()
        assert discord_server.identify["intents"] == 1, "guilds only: no privileged intent"
        payload = command("help")
        await discord_server.dispatch("INTERACTION_CREATE", payload)
        async with asyncio.timeout(10):
            while not discord_server.callbacks[payload["id"]]:  # noqa: ASYNC110 - answered from the bot's task
                await asyncio.sleep(0.01)
    [answer] = discord_server.callbacks[payload["id"]]
    assert "/papers search" in answer["data"]["content"]
    assert [c["name"] for c in discord_server.commands[(APPLICATION_ID, "")]] == ["papers"]


async def test_a_second_run_does_not_register_the_commands_again(
    settings: Settings, discord_server: FakeDiscord
) -> None:
    for _ in range(2):
        async with serving(discord_settings(settings, discord_server)), asyncio.timeout(10):
            await discord_server.identified.wait()
        discord_server.identified.clear()
    assert discord_server.command_syncs == 1


async def test_a_gateway_that_drops_paperboy_is_connected_to_again(
    settings: Settings, discord_server: FakeDiscord
) -> None:
    # a passing error (discord.py tries again itself), then one it gives up on (paperboy waits 5 s, logs in again)
    discord_server.gateway_closes = [4000, 4004]
    async with serving(discord_settings(settings, discord_server)), asyncio.timeout(20):
        await discord_server.identified.wait()
    assert discord_server.gateway_connections == 3


async def test_discord_out_of_reach_at_start_does_not_stop_paperboy(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unreachable = replace(settings.discord, token=Secret(TOKEN), api_base_url="http://127.0.0.1:9/api/v10")
    async with serving(without_sources(replace(settings, discord=unreachable))) as running:
        async with asyncio.timeout(10):
            while not any("running: database" in r.message for r in caplog.records):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        assert not running.done(), "paperboy keeps running without Discord"
    said = "cannot reach Discord at http://127.0.0.1:9 (connection refused) to log in; check discord.api_base_url"
    assert any(said in r.message and "trying again" in r.message for r in caplog.records)


def paperboy_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("paperboy") and r.levelno >= logging.WARNING]


async def wait_for_warning(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    async with asyncio.timeout(15):
        while not paperboy_warnings(caplog):  # noqa: ASYNC110 - logged by the gateway's task
            await asyncio.sleep(0.02)
    return paperboy_warnings(caplog)[0]


async def test_stopping_does_not_wait_out_the_wait_before_connecting_again(
    settings: Settings, discord_server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    discord_server.gateway_closes = [4004]  # not taken back by discord.py: paperboy waits, then connects again
    async with serving(discord_settings(settings, discord_server)) as running:
        await wait_for_warning(caplog)
        stopped_at = time.monotonic()
    assert running.done()
    assert time.monotonic() - stopped_at < 2


async def test_the_bot_logs_in_once_at_start(settings: Settings, discord_server: FakeDiscord) -> None:
    async with serving(discord_settings(settings, discord_server)), asyncio.timeout(10):
        await discord_server.identified.wait()
    assert len(discord_server.requests_to("/api/v10/users/@me")) == 1


async def test_a_log_in_cut_short_at_start_is_done_again_in_full(
    settings: Settings, discord_server: FakeDiscord
) -> None:
    # the token is accepted, then Discord fails to tell the application: the commands cannot be registered yet
    discord_server.fail_next("/api/v10/oauth2/applications/@me", Fault(status=403))
    async with serving(discord_settings(settings, discord_server)), asyncio.timeout(20):
        await discord_server.identified.wait()
    assert [c["name"] for c in discord_server.commands[(APPLICATION_ID, "")]] == ["papers"]


async def test_a_gateway_out_of_reach_is_said_in_one_line(
    settings: Settings, discord_server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    dead = f"ws://127.0.0.1:{free_port()}/gateway"
    unreachable = replace(discord_settings(settings, discord_server).discord, gateway_url=dead)
    async with serving(replace(discord_settings(settings, discord_server), discord=unreachable)):
        warning = await wait_for_warning(caplog)
    assert warning.getMessage().startswith("cannot reach the Discord gateway")
    assert re.search(r"; trying again in ([5-9]|10) s$", warning.getMessage())  # the first backoff, with jitter
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR], "no traceback"


async def test_a_gateway_that_drops_before_ready_is_said_in_words(
    settings: Settings, discord_server: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    discord_server.gateway_drops = 1
    async with serving(discord_settings(settings, discord_server)):
        warning = await wait_for_warning(caplog)
        async with asyncio.timeout(15):
            await discord_server.identified.wait()
    assert warning.getMessage().startswith("the Discord gateway closed the connection before it was ready")
    assert "NoneType" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR], "no traceback"
