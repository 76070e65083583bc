"""`paperboy doctor`: check the config, the database, every configured endpoint and that Discord and Slack accept
the tokens paperboy has for them, and say what is wrong (never the tokens themselves)."""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from paperboy.config import Settings
from paperboy.errors import PaperboyError
from paperboy.http import Endpoint, get_parsed, make_client
from paperboy.runtime import build_sources
from paperboy.store import Store

Probe = Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    return sub.add_parser(
        "doctor",
        help="check config, database and endpoints",
        description="Check the config, the database, and that every configured endpoint answers.",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    checks = [Check("config", True, str(settings.config_path or "built-in defaults (no config file found)"))]
    checks.append(await _check_database(settings))
    # one try each: the doctor reports what is wrong now, it does not wait for it to get better
    probe_settings = replace(settings, http=replace(settings.http, attempts=1))
    async with make_client(probe_settings.http) as client:
        for name, source in build_sources(probe_settings, client).items():
            checks.append(await _timed(name, source.probe))
        for name, probe in _platform_probes(probe_settings, client).items():
            checks.append(await _timed(name, probe))
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{'ok' if check.ok else 'FAIL':<5}{check.name:<{width + 2}}{check.detail}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise PaperboyError(
            f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed ({', '.join(failed)}); see above"
        )
    return 0


async def _check_database(settings: Settings) -> Check:
    path = settings.database.path
    try:
        async with await Store.open(path) as store:
            version = await store.schema_version()
            papers = await store.papers.count()
    except PaperboyError as error:
        return Check("database", False, str(error))
    return Check("database", True, f"{path} (schema version {version}, {papers} papers)")


async def _timed(name: str, probe: Probe) -> Check:
    started = time.perf_counter()
    try:
        detail = await probe()
    except PaperboyError as error:
        return Check(name, False, str(error))
    return Check(name, True, f"{detail} in {(time.perf_counter() - started) * 1000:.0f} ms")


def _platform_probes(settings: Settings, client: httpx.AsyncClient) -> dict[str, Probe]:
    """The chat platforms that have credentials configured: each one's tokens, asked of the platform, so that a
    refused token shows here rather than when `paperboy run` starts. Each probe is made by its own function:
    lambdas made in one scope would all see that scope's last URL."""
    probes: dict[str, Probe] = {}
    slack = settings.slack
    if slack.bot_token or slack.app_token or slack.installs:
        probes["slack"] = _slack_probe(settings)
    if settings.discord.token:
        probes["discord"] = _discord_probe(settings, client)
    return probes


#: where to copy each Slack token from, for the message when Slack refuses it
_SLACK_TOKEN_SOURCES = {
    "slack.bot_token": "the Bot User OAuth Token (xoxb-…) on the app's Install App page",
    "slack.app_token": "an app-level token with connections:write (Basic Information → App-Level Tokens)",
}


def _slack_probe(settings: Settings) -> Probe:
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


def _discord_probe(settings: Settings, client: httpx.AsyncClient) -> Probe:
    discord = settings.discord
    endpoint = Endpoint("Discord", "discord.api_base_url")

    def parse(response: httpx.Response) -> str:
        if response.status_code == 401:
            raise PaperboyError(
                "Discord refused discord.token (401 Unauthorized); copy the bot token again from the Developer "
                "Portal (Bot → Reset Token)"
            )
        body = _json_object(response)
        if response.status_code != 200 or "id" not in body:
            raise PaperboyError(
                f"Discord answered {response.status_code} without the expected JSON; check discord.api_base_url"
            )
        return f"discord.token accepted (bot {body.get('username', '?')}, id {body['id']})"

    async def probe() -> str:
        return await get_parsed(
            client,
            discord.api_base_url.rstrip("/") + "/users/@me",
            parse=parse,
            endpoint=endpoint,
            policy=settings.http,
            headers={"Authorization": f"Bot {discord.token.reveal()}"},
        )

    return probe


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
