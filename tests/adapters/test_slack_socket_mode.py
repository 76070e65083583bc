"""`paperboy run` with a Slack app token: the app connects over Socket Mode and answers /papers sent down it."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

import pytest

from paperboy.adapters.slack_app import QuietRetries
from paperboy.app import serve
from paperboy.config import Secret, Settings
from paperboy.errors import ConfigError
from tests.fakes.running import HangingServer, free_port, serving, without_sources
from tests.fakes.slack import APP_TOKEN, TOKEN, FakeSlack

pytestmark = pytest.mark.asyncio


def socket_mode_settings(settings: Settings, slack_server: FakeSlack) -> Settings:
    slack = replace(
        settings.slack, bot_token=Secret(TOKEN), app_token=Secret(APP_TOKEN), api_base_url=slack_server.api_url
    )
    return without_sources(replace(settings, slack=slack))


def slash_command(slack_server: FakeSlack, text: str, answer_to: str) -> dict[str, str]:
    return {
        "command": "/papers",
        "text": text,
        "team_id": slack_server.team_id,
        "channel_id": "C0123",
        "user_id": "U1",
        "response_url": slack_server.response_url(answer_to),
    }


async def test_run_answers_a_slash_command_sent_over_socket_mode(settings: Settings, slack_server: FakeSlack) -> None:
    async with serving(socket_mode_settings(settings, slack_server)):
        ack = await slack_server.send_envelope("slash_commands", slash_command(slack_server, "help", "socket"))
        async with asyncio.timeout(10):
            while not slack_server.responses["socket"]:  # noqa: ASYNC110 - the answer follows the ack
                await asyncio.sleep(0.01)
    assert ack["envelope_id"].startswith("envelope-")
    [answer] = slack_server.responses["socket"]
    assert answer["response_type"] == "ephemeral"
    assert "/papers search" in answer["text"]


async def test_socket_mode_subscribe_announces_in_the_channel(settings: Settings, slack_server: FakeSlack) -> None:
    async with serving(socket_mode_settings(settings, slack_server)):
        await slack_server.send_envelope("slash_commands", slash_command(slack_server, "subscribe 08:30", "sub"))
        async with asyncio.timeout(10):
            while not slack_server.messages["C0123"]:  # noqa: ASYNC110 - the note follows the answer
                await asyncio.sleep(0.01)
    [note] = slack_server.messages["C0123"]
    assert "<@U1> subscribed this channel" in note["text"]


@pytest.mark.parametrize(("key", "wrong"), [("app_token", "xapp-wrong"), ("bot_token", "xoxb-wrong")])
async def test_a_wrong_token_is_a_clear_error_at_start(
    settings: Settings, slack_server: FakeSlack, key: str, wrong: str
) -> None:
    broken = socket_mode_settings(settings, slack_server)
    broken = replace(broken, slack=replace(broken.slack, **{key: Secret(wrong)}))
    with pytest.raises(ConfigError) as raised:
        await asyncio.wait_for(serve(broken, asyncio.Event()), 10)
    assert str(raised.value).startswith(f"Slack refused slack.{key} (invalid_auth)")
    assert wrong not in str(raised.value)


async def wait_for_log(caplog: pytest.LogCaptureFixture, text: str) -> logging.LogRecord:
    async with asyncio.timeout(15):
        while not [r for r in caplog.records if text in r.getMessage()]:  # noqa: ASYNC110 - logged by other tasks
            await asyncio.sleep(0.02)
    return next(r for r in caplog.records if text in r.getMessage())


async def test_a_socket_that_refuses_the_connection_does_not_hold_up_the_start(
    settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_server.socket_url = f"ws://127.0.0.1:{free_port()}/socket"
    async with serving(socket_mode_settings(settings, slack_server)) as running:
        summary = await wait_for_log(caplog, "running: database")
        stopped_at = time.monotonic()
    assert running.done()
    assert time.monotonic() - stopped_at < 5
    assert "Slack in Socket Mode (connecting)" in summary.getMessage()


async def test_a_socket_that_hangs_does_not_hold_up_the_start(
    settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with HangingServer() as hanging:
        slack_server.socket_url = f"ws://127.0.0.1:{hanging.port}/socket"
        async with serving(socket_mode_settings(settings, slack_server)) as running:
            await wait_for_log(caplog, "running: database")
            await hanging.connected.wait()
            stopped_at = time.monotonic()
    assert running.done()
    assert time.monotonic() - stopped_at < 5


async def test_a_socket_that_fails_is_said_in_one_line_without_traceback(
    settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_server.socket_down = True
    async with serving(socket_mode_settings(settings, slack_server)):
        said = await wait_for_log(caplog, "Slack's Socket Mode: Failed to connect")
    assert said.levelno == logging.WARNING
    assert "paperboy keeps trying" in said.getMessage()
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING], "no traceback"


async def test_socket_mode_errors_after_the_first_are_left_out_for_a_while(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("slack_sdk.socket_mode.test")
    quiet = QuietRetries()
    logger.addFilter(quiet)
    try:
        for attempt in range(3):
            logger.error("Failed to connect (attempt %d); Retrying...", attempt)
        quiet.reset()  # connected: the next error is news
        logger.error("Failed to connect (attempt 3); Retrying...")
    finally:
        logger.removeFilter(quiet)
    said = [r.getMessage() for r in caplog.records]
    assert [m.split(";")[0] for m in said] == [
        "Slack's Socket Mode: Failed to connect (attempt 0)",
        "Slack's Socket Mode: Failed to connect (attempt 3)",
    ]


async def test_socket_mode_says_when_it_is_connected(
    settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(socket_mode_settings(settings, slack_server)):
        await wait_for_log(caplog, "connected to Slack in Socket Mode")


async def test_the_start_up_line_says_the_connection_as_it_is_when_written(
    settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection is made in the background, often before the start-up line is written: the line never
    says "connecting" below the line saying it connected (caplog.text holds the lines as they were written)."""
    caplog.set_level(logging.INFO)
    async with serving(socket_mode_settings(settings, slack_server)):
        await wait_for_log(caplog, "connected to Slack in Socket Mode")
        await wait_for_log(caplog, "running: database")
    lines = caplog.text.splitlines()
    connected = next(i for i, line in enumerate(lines) if "connected to Slack in Socket Mode" in line)
    summary = next(i for i, line in enumerate(lines) if "running: database" in line)
    state = "connected" if connected < summary else "connecting"
    assert f"Slack in Socket Mode ({state})" in lines[summary]
