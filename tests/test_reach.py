"""A service out of reach is said the same way whichever client failed: its address, and the reason in words."""

from __future__ import annotations

import socket

import aiohttp
import httpx
import pytest

from paperboy.reach import cannot_reach, connection_reason, no_answer, origin

CLOSED = "http://127.0.0.1:9/api/x"  # the discard port: nothing listens on it here


@pytest.mark.asyncio
async def test_a_refused_connection_through_httpx_is_said_in_words() -> None:
    with pytest.raises(httpx.ConnectError) as caught:  # "All connection attempts failed", the reason deep inside
        async with httpx.AsyncClient() as client:
            await client.get(CLOSED)
    assert connection_reason(caught.value) == "connection refused"


@pytest.mark.asyncio
async def test_a_refused_connection_through_aiohttp_is_said_in_words() -> None:
    with pytest.raises(aiohttp.ClientConnectorError) as caught:
        async with aiohttp.ClientSession() as session, session.get(CLOSED):
            pass
    assert connection_reason(caught.value) == "connection refused"


def test_an_unknown_host_is_said_in_words() -> None:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert connection_reason(error) == "unknown host name"


def test_a_reason_only_in_the_text_is_found_there() -> None:
    assert connection_reason(OSError("Multiple exceptions: [Errno 111] Connect call failed")) == "connection refused"


def test_the_address_is_the_origin_only() -> None:
    assert origin("https://user:secret@hooks.slack.com/services/T0/B0/token") == "https://hooks.slack.com"
    assert cannot_reach("Slack", "http://127.0.0.1:9/api/", ConnectionRefusedError(111, "refused")) == (
        "cannot reach Slack at http://127.0.0.1:9 (connection refused)"
    )


def test_no_answer_says_the_seconds_waited() -> None:
    assert no_answer("Hugging Face", 10.0) == "Hugging Face did not answer within 10 s"
    assert no_answer("Discord", 0.5) == "Discord did not answer within 0.5 s"
