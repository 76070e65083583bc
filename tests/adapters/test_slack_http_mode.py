"""`paperboy run` with a Slack signing secret: the app listens over HTTP and answers a signed /papers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import urlencode

import httpx
import pytest

from paperboy.config import Secret, Settings
from tests.fakes.running import free_port, running, without_sources
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

SECRET = "signing-secret-for-tests"

pytestmark = pytest.mark.asyncio


async def test_run_answers_a_slash_command_over_http(settings: Settings, slack_server: FakeSlack) -> None:
    slack = replace(
        settings.slack,
        bot_token=Secret(TOKEN),
        signing_secret=Secret(SECRET),
        api_base_url=slack_server.api_url,
        http_host="127.0.0.1",
        http_port=free_port(),
    )
    body = urlencode(
        {
            "command": "/papers",
            "text": "help",
            "team_id": "T0456",
            "channel_id": "C0123",
            "user_id": "U1",
            "response_url": slack_server.response_url("http"),
        }
    )
    async with running(without_sources(replace(settings, slack=slack))) as url, httpx.AsyncClient() as client:
        response = await client.post(f"{url}/slack/events", content=body, headers=signed_headers(body, SECRET))
        assert response.status_code == 200
        async with asyncio.timeout(10):
            while not slack_server.responses["http"]:  # noqa: ASYNC110 - the answer follows the ack
                await asyncio.sleep(0.01)
    assert "/papers search" in str(slack_server.responses["http"][0])
