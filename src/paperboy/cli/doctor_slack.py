"""`paperboy doctor`'s Slack check: the configured tokens asked of Slack (`auth.test`, `apps.connections.open`),
each refusal or absence said in words. Kept apart so that slack_sdk is loaded only when Slack is configured."""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from paperboy.config import Settings
from paperboy.errors import PaperboyError

Probe = Callable[[], Awaitable[str]]


#: where to copy each Slack token from, for the message when Slack refuses it
_SLACK_TOKEN_SOURCES = {
    "slack.bot_token": "the Bot User OAuth Token (xoxb-…) on the app's Install App page",
    "slack.app_token": "an app-level token with connections:write (Basic Information → App-Level Tokens)",
}


def slack_probe(settings: Settings) -> Probe:
    slack = settings.slack
    # no retries: the doctor reports what is wrong now; a token is passed per call, never kept in the client
    web = AsyncWebClient(
        base_url=slack.api_base_url,
        timeout=max(1, math.ceil(settings.http.timeout.total_seconds())),
        retry_handlers=[],
    )

    async def probe() -> str:
        if not (slack.bot_token or slack.app_token):  # OAuth installs: the tokens are in the database
            await _slack_call(slack.api_base_url, "api.test", web.api_test())
            return "answered"
        said: list[str] = []
        if slack.bot_token:
            answer = await _slack_call(
                slack.api_base_url, "slack.bot_token", web.auth_test(token=slack.bot_token.reveal())
            )
            said.append(f"slack.bot_token accepted (workspace {answer.get('team_id', '?')})")
        if slack.app_token:
            await _slack_call(
                slack.api_base_url, "slack.app_token", web.apps_connections_open(app_token=slack.app_token.reveal())
            )
            said.append("slack.app_token accepted")
        return ", ".join(said)

    return probe


async def _slack_call(base_url: str, key: str, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
    """One Slack Web API call, its refusal or absence said in words."""
    try:
        return await call
    except SlackApiError as error:
        data = error.response.data
        code = data.get("error") if isinstance(data, dict) else None
        if not code:  # not Slack's JSON at all: the URL points somewhere else
            raise PaperboyError(
                f"Slack answered {error.response.status_code} without the expected JSON; check slack.api_base_url"
            ) from None
        if key in _SLACK_TOKEN_SOURCES:
            raise PaperboyError(f"Slack refused {key} ({code}); copy {_SLACK_TOKEN_SOURCES[key]} into it") from None
        raise PaperboyError(f"Slack answered {key} with {code}; check slack.api_base_url") from None
    except TimeoutError:
        raise PaperboyError("Slack did not answer in time; try again later, or raise http.timeout") from None
    except aiohttp.ClientError as error:
        raise PaperboyError(
            f"cannot reach Slack at {_origin(base_url)} ({_connection_problem(error)}); check slack.api_base_url "
            "and the network"
        ) from None


def _connection_problem(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError) and error.os_error.errno:
        return os.strerror(error.os_error.errno).lower()
    return type(error).__name__


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
