"""`paperboy doctor`'s Slack check: the configured tokens asked of Slack (`auth.test`, `apps.connections.open`),
each refusal or absence said in words. Kept apart so that slack_sdk is loaded only when Slack is configured."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from paperboy.config import Settings
from paperboy.errors import PaperboyError
from paperboy.http import NoAnswer
from paperboy.reach import cannot_reach, no_answer

Probe = Callable[[], Awaitable[str]]


#: where to copy each Slack token from, for the message when Slack refuses it
_SLACK_TOKEN_SOURCES = {
    "slack.bot_token": "the Bot User OAuth Token (xoxb-…) on the app's Install App page",
    "slack.app_token": "an app-level token with connections:write (Basic Information → App-Level Tokens)",
}


def slack_probe(settings: Settings) -> Probe:
    """Each configured Slack token asked of Slack, each call given `http.timeout` (the doctor's, short) to
    answer."""
    slack = settings.slack
    seconds = settings.http.timeout.total_seconds()
    # no retries: the doctor reports what is wrong now; a token is passed per call, never kept in the client.
    # slack_sdk counts whole seconds: the wait that counts is the one around each call
    web = AsyncWebClient(base_url=slack.api_base_url, timeout=math.ceil(seconds) + 1, retry_handlers=[])

    async def call(key: str, request: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        return await _slack_call(slack.api_base_url, key, request, seconds)

    async def probe() -> str:
        if not (slack.bot_token or slack.app_token):  # OAuth installs: the tokens are in the database
            await call("api.test", web.api_test())
            return "answered"
        said: list[str] = []
        if slack.bot_token:
            answer = await call("slack.bot_token", web.auth_test(token=slack.bot_token.reveal()))
            said.append(f"slack.bot_token accepted (workspace {answer.get('team_id', '?')})")
        if slack.app_token:
            await call("slack.app_token", web.apps_connections_open(app_token=slack.app_token.reveal()))
            said.append("slack.app_token accepted")
        return ", ".join(said)

    return probe


async def _slack_call(
    base_url: str, key: str, call: Awaitable[AsyncSlackResponse], seconds: float
) -> AsyncSlackResponse:
    """One Slack Web API call, its refusal or absence said in words."""
    try:
        async with asyncio.timeout(seconds):
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
        raise NoAnswer(
            f"{no_answer('Slack', seconds)}; try again later, or raise http.timeout", service="Slack", seconds=seconds
        ) from None
    except aiohttp.ClientError as error:
        raise PaperboyError(
            f"{cannot_reach('Slack', base_url, error)}; check slack.api_base_url and the network"
        ) from None
