"""`paperboy run` with a Slack signing secret: the app listens over HTTP and answers a signed /papers."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from urllib.parse import urlencode

import httpx
import pytest

from paperboy.app import serve
from paperboy.config import Secret, Settings
from tests.fakes.slack import TOKEN, FakeSlack, signed_headers

SECRET = "signing-secret-for-tests"

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_answers_a_slash_command_over_http(settings: Settings, slack_server: FakeSlack) -> None:
    port = free_port()
    slack = replace(
        settings.slack,
        bot_token=Secret(TOKEN),
        signing_secret=Secret(SECRET),
        api_base_url=slack_server.api_url,
        http_host="127.0.0.1",
        http_port=port,
    )
    only_slack = replace(
        settings,
        slack=slack,
        sources=replace(
            settings.sources,
            huggingface=replace(settings.sources.huggingface, enabled=False),
            arxiv=replace(settings.sources.arxiv, enabled=False),
        ),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(serve(only_slack, stop))
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
    async with httpx.AsyncClient() as client:
        async with asyncio.timeout(10):
            while True:
                try:
                    response = await client.post(
                        f"http://127.0.0.1:{port}/slack/events",
                        content=body,
                        headers=signed_headers(body, SECRET),
                    )
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
        assert response.status_code == 200
        async with asyncio.timeout(10):
            while not slack_server.responses["http"]:  # noqa: ASYNC110 - the answer follows the ack
                await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert "/papers search" in slack_server.responses["http"][0]["text"] + str(slack_server.responses["http"][0])
