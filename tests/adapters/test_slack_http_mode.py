"""`paperboy run` with a Slack signing secret: the app listens over HTTP, answers a signed /papers, and refuses
anything else before bolt reads it, with a log line a minute at most (the endpoint is on the internet)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote, urlencode

import httpx
import pytest
import pytest_asyncio

from paperboy.config import Secret, Settings
from tests.fakes.running import HangingServer, free_port, running, without_sources
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

SECRET = "signing-secret-for-tests"
#: loggers whose lines a refused request could cause
HTTP_LOGGERS = ("paperboy", "aiohttp", "slack_bolt", "slack_sdk")

pytestmark = pytest.mark.asyncio


@pytest.fixture
def http_settings(settings: Settings, slack_server: FakeSlack) -> Settings:
    slack = replace(
        settings.slack,
        bot_token=Secret(TOKEN),
        signing_secret=Secret(SECRET),
        api_base_url=slack_server.api_url,
        http_host="127.0.0.1",
        http_port=free_port(),
    )
    return without_sources(replace(settings, slack=slack))


@pytest_asyncio.fixture
async def paperboy(http_settings: Settings) -> AsyncIterator[str]:
    async with running(http_settings) as url:
        yield url


def slash_body(slack: FakeSlack, name: str, text: str = "help") -> str:
    return urlencode(
        {
            "command": "/papers",
            "text": text,
            "team_id": "T0456",
            "channel_id": "C0123",
            "user_id": "U1",
            "response_url": slack.response_url(name),
        }
    )


async def answered(slack: FakeSlack, name: str) -> list[dict[str, object]]:
    """What was posted to the response URL `name`, once something was (the answer follows the ack)."""
    async with asyncio.timeout(10):
        while not slack.responses[name]:  # noqa: ASYNC110 - the answer follows the ack
            await asyncio.sleep(0.01)
    return slack.responses[name]


def http_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The lines requests caused: INFO and up, but for the start-up line (written while a test may already be
    sending its requests)."""
    return [
        r
        for r in caplog.records
        if r.name.startswith(HTTP_LOGGERS) and r.name != "paperboy.app" and r.levelno >= logging.INFO
    ]


FORM = "command=%2Fpapers&text=help&team_id=T0456&channel_id=C0123&user_id=U1"
STRANGER = "another-signing-secret"

#: name → (body, headers, the answer expected): requests no one signed, or signed and broken
MALFORMED: dict[str, tuple[bytes, dict[str, str], int]] = {
    "no signature headers": (FORM.encode(), {"content-type": "application/x-www-form-urlencoded"}, 401),
    "a timestamp that is no number": (
        FORM.encode(),
        signed_headers(FORM, SECRET) | {"x-slack-request-timestamp": "now"},
        401,
    ),
    "a wrong signature": (FORM.encode(), signed_headers(FORM, STRANGER), 401),
    "a signature too old": (FORM.encode(), signed_headers(FORM, SECRET, age=400), 401),
    "a body that is not UTF-8": (b"text=\xff\xfe", signed_headers(b"text=\xff\xfe", STRANGER), 401),
    "an unknown charset": (
        FORM.encode(),
        signed_headers(FORM, STRANGER) | {"content-type": "application/x-www-form-urlencoded; charset=klingon"},
        401,
    ),
    "a form body said to be JSON": (
        FORM.encode(),
        signed_headers(FORM, STRANGER) | {"content-type": "application/json"},
        401,
    ),
    "a body over 1 MiB": (b"x" * (1 << 20 | 1), signed_headers(b"x" * (1 << 20 | 1), SECRET), 413),
    "signed, not UTF-8": (b"text=\xff\xfe", signed_headers(b"text=\xff\xfe", SECRET), 400),
    "signed, an unknown charset": (
        FORM.encode(),
        signed_headers(FORM, SECRET) | {"content-type": "application/x-www-form-urlencoded; charset=klingon"},
        400,
    ),
    "signed, a form body said to be JSON": (
        FORM.encode(),
        signed_headers(FORM, SECRET) | {"content-type": "application/json"},
        400,
    ),
}


async def test_run_answers_a_slash_command_over_http(paperboy: str, slack_server: FakeSlack) -> None:
    body = slash_body(slack_server, "http")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{paperboy}/slack/events", content=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 200
    assert "/papers search" in str((await answered(slack_server, "http"))[0])


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_a_malformed_request_is_refused_without_a_traceback(
    paperboy: str, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers, status = MALFORMED[case]
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
    assert response.status_code == status
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_burst_of_malformed_requests_is_one_log_line(paperboy: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    cases = [MALFORMED[name] for name in sorted(MALFORMED) if name != "a body over 1 MiB"]
    async with httpx.AsyncClient() as client:
        for i in range(80):
            body, headers, status = cases[i % len(cases)]
            response = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
            assert response.status_code == status
    [line] = http_lines(caplog)
    assert "refused a request to Slack's HTTP endpoint" in line.getMessage()
    assert line.exc_info is None


async def test_a_request_aiohttp_cannot_parse_is_counted_not_logged_with_a_traceback(
    paperboy: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = int(paperboy.rsplit(":", 1)[1])
    for _ in range(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /slack/events HTTP/1.1\r\nHost: paperboy\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n"
        )
        assert (await reader.readline()).startswith(b"HTTP/1.0 400")
        writer.close()
        await writer.wait_closed()
    assert [r for r in caplog.records if r.exc_info] == []
    assert len(http_lines(caplog)) <= 1


async def test_a_signed_request_is_acted_on_once_and_its_replay_refused(paperboy: str, slack_server: FakeSlack) -> None:
    body = slash_body(slack_server, "once")
    headers = signed_headers(body, SECRET)
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
        again = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 401)
    assert len(await answered(slack_server, "once")) == 1


async def test_slacks_retry_of_a_request_acted_on_is_acknowledged_and_not_acted_on_again(
    paperboy: str, slack_server: FakeSlack
) -> None:
    body = slash_body(slack_server, "retried")
    headers = signed_headers(body, SECRET)
    retry = headers | {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    async with httpx.AsyncClient() as client:
        await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
        response = await client.post(f"{paperboy}/slack/events", content=body, headers=retry)
    assert response.status_code == 200
    assert response.headers["x-slack-no-retry"] == "1"  # answered by the guard, not by bolt
    assert response.content == b""


async def test_a_body_cut_short_is_counted_without_a_traceback(paperboy: str, caplog: pytest.LogCaptureFixture) -> None:
    port = int(paperboy.rsplit(":", 1)[1])
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: paperboy\r\nContent-Length: 100\r\n\r\ncommand=%2F")
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):
        while not any("a body cut short" in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert [r for r in caplog.records if r.exc_info] == []


# --- Slack's Web API or a response_url out of reach: answered where possible, one line in the log each -----------


def lines_about(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in http_lines(caplog) if text in r.getMessage()]


async def wait_for_line(caplog: pytest.LogCaptureFixture, text: str) -> logging.LogRecord:
    async with asyncio.timeout(10):
        while not lines_about(caplog, text):  # noqa: ASYNC110 - logged by bolt's listener task
            await asyncio.sleep(0.01)
    [line] = lines_about(caplog, text)
    return line


def web_api_at(settings: Settings, url: str) -> Settings:
    """`settings` with Slack's Web API at `url`, and a client that gives up on it after 1 s."""
    delivery = replace(settings.delivery, webhook_timeout=timedelta(seconds=1))
    return replace(settings, slack=replace(settings.slack, api_base_url=url), delivery=delivery)


@pytest.mark.parametrize("how", ["unreachable", "hanging"])
async def test_commands_that_need_no_web_api_are_answered_while_slacks_is_away(
    http_settings: Settings, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    caplog.set_level(logging.INFO)
    async with HangingServer() as hanging:
        port = free_port() if how == "unreachable" else hanging.port
        async with running(web_api_at(http_settings, f"http://127.0.0.1:{port}/api/")) as url:
            async with httpx.AsyncClient(timeout=3) as client:  # Slack waits 3 s for the ack
                for text in ("help", "search diffusion", "subscribe 08:30", "filter show"):
                    body = slash_body(slack_server, text, text)
                    response = await client.post(
                        f"{url}/slack/events", content=body, headers=signed_headers(body, SECRET)
                    )
                    assert response.status_code == 200, text
                    assert (await answered(slack_server, text))[0]["response_type"] == "ephemeral"
            announce = await wait_for_line(caplog, "cannot announce a change in C0123")
    problem = "Slack cannot be reached (ClientConnectorError)" if how == "unreachable" else "Slack did not answer"
    assert problem in announce.getMessage()
    assert "/papers search" in str(slack_server.responses["help"])
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.name.startswith("slack_bolt")] == []


async def test_a_response_url_out_of_reach_is_one_line_without_a_traceback(
    paperboy: str, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = slash_body(slack_server, "help").replace(
        quote(slack_server.url, safe=""), quote(f"http://127.0.0.1:{free_port()}", safe="")
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{paperboy}/slack/events", content=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 200
    line = await wait_for_line(caplog, "/papers help (T0456/C0123)")
    assert line.getMessage() == (
        "/papers help (T0456/C0123): Slack's response_url cannot be reached (ClientConnectorError)"
    )
    assert (line.levelno, line.exc_info) == (logging.WARNING, None)
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_bot_token_in_the_environment_is_no_warning(
    http_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The README has $SLACK_BOT_TOKEN set; slack_bolt reads it too, and warned that it went unused."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    caplog.set_level(logging.INFO)
    async with running(http_settings):
        pass
    assert [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")] == []


# --- signed requests nothing of paperboy's handles: counted with the refusals, not a warning each -------------

SIGNED_BUT_UNHANDLED: dict[str, tuple[str, str]] = {
    "a button paperboy does not have": (
        urlencode(
            {
                "payload": json.dumps(
                    {
                        "type": "block_actions",
                        "team": {"id": "T0456"},
                        "user": {"id": "U1"},
                        "channel": {"id": "C0123"},
                        "actions": [{"type": "button", "action_id": "from_another_app", "value": "x"}],
                    }
                )
            }
        ),
        "application/x-www-form-urlencoded",
    ),
    "plain text": ("hello", "text/plain"),
    "an empty body": ("", "text/plain"),
}


@pytest.mark.parametrize("case", sorted(SIGNED_BUT_UNHANDLED))
async def test_a_signed_request_nothing_handles_is_answered_404_without_bolts_warning(
    paperboy: str, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.INFO)
    body, kind = SIGNED_BUT_UNHANDLED[case]
    async with httpx.AsyncClient() as client:
        for age in range(0, 200, 10):  # a timestamp each: a signature each, so that none is a replay
            headers = signed_headers(body, SECRET, age=age) | {"content-type": kind}
            response = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
            assert response.status_code == 404
    [line] = http_lines(caplog)
    assert "a signed request paperboy does not handle (404)" in line.getMessage()
    assert [r for r in caplog.records if r.name.startswith("slack_bolt")] == []


# --- what a refusal says -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [name for name, (_, _, status) in MALFORMED.items() if status == 400])
async def test_a_signed_body_that_cannot_be_read_is_said_so_plainly(paperboy: str, case: str) -> None:
    body, headers, _ = MALFORMED[case]
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{paperboy}/slack/events", content=body, headers=headers)
    assert (response.status_code, response.text) == (400, "the request body could not be read\n")


@pytest.mark.parametrize("stamp", ["99999999999999999999999", "-1", "+1700000000"])
async def test_a_timestamp_no_clock_can_show_is_out_of_range(paperboy: str, stamp: str) -> None:
    headers = signed_headers(FORM, SECRET) | {"x-slack-request-timestamp": stamp}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{paperboy}/slack/events", content=FORM, headers=headers)
    assert (response.status_code, response.text) == (401, "a timestamp out of range\n")


async def test_a_stop_does_not_wait_for_bodies_still_arriving(http_settings: Settings) -> None:
    port = http_settings.slack.http_port
    writers: list[asyncio.StreamWriter] = []
    async with running(http_settings):
        for _ in range(5):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /slack/events HTTP/1.1\r\nHost: paperboy\r\nContent-Length: 100\r\n\r\ncom")
            await writer.drain()
            writers.append(writer)
        stopping_at = time.monotonic()
    assert time.monotonic() - stopping_at < 3
    for writer in writers:
        writer.close()
