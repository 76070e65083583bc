"""`paperboy run` with a Slack signing secret: the app listens over HTTP, answers a signed /papers, and refuses
anything else before bolt reads it, with a log line a minute at most (the endpoint is on the internet)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio

from paperboy.config import Secret, Settings
from tests.fakes.running import free_port, running, without_sources
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
    return [r for r in caplog.records if r.name.startswith(HTTP_LOGGERS) and r.levelno >= logging.INFO]


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
