"""`paperboy doctor`: check the config, the database, every configured endpoint and that Discord and Slack accept
the tokens paperboy has for them, and say what is wrong (never the tokens themselves)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx

from paperboy.config import Settings
from paperboy.errors import PaperboyError
from paperboy.http import Endpoint, NoAnswer, get_parsed, make_client
from paperboy.reach import no_answer
from paperboy.runtime import build_sources
from paperboy.store import Store

Probe = Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    #: something that works but not as the config means it: shown as `warn`, and the doctor still exits 0
    warn: bool = False

    @property
    def outcome(self) -> str:
        return "FAIL" if not self.ok else "warn" if self.warn else "ok"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Check the config, the database, and that every configured endpoint answers."


#: the longest the doctor waits for any one answer (less, if http.timeout is less): it says what is wrong now
DOCTOR_TIMEOUT = timedelta(seconds=10)


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    checks = [Check("config", True, str(settings.config_path or "built-in defaults (no config file found)"))]
    checks += _config_warnings(settings)
    # one try each, and a short wait: the doctor reports what is wrong now, it does not wait for it to get better
    http = replace(settings.http, attempts=1, timeout=min(settings.http.timeout, DOCTOR_TIMEOUT))
    probe_settings = replace(settings, http=http)
    async with make_client(probe_settings.http) as client:
        probes: dict[str, Probe] = {name: s.probe for name, s in build_sources(probe_settings, client).items()}
        probes |= _platform_probes(probe_settings, client)
        # all at once, so that the doctor takes as long as the slowest check, not as long as all of them
        checks += await asyncio.gather(
            _check_database(settings), *(_timed(n, p, settings.http.timeout) for n, p in probes.items())
        )
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{check.outcome:<5}{check.name:<{width + 2}}{check.detail}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise PaperboyError(
            f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed ({', '.join(failed)}); see above"
        )
    return 0


def _config_warnings(settings: Settings) -> list[Check]:
    """Settings that load but do not do what they are there for."""
    if settings.feeds.base_url and not settings.health.port:
        # the image runs `paperboy run --health-port 8080`, so this is a warning, not a failure
        return [
            Check(
                "feeds",
                True,
                "feeds.base_url is set but health.port is not, and only the health port serves the Atom feeds, so "
                "feed addresses lead nowhere unless paperboy run is given --health-port; set health.port",
                warn=True,
            )
        ]
    return []


async def _check_database(settings: Settings) -> Check:
    try:
        async with await Store.open(settings.database.target) as store:
            version = await store.schema_version()
            papers = await store.papers.count()
            where = store.location
    except PaperboyError as error:
        return Check("database", False, str(error))
    return Check("database", True, f"{where} (schema version {version}, {papers} papers)")


async def _timed(name: str, probe: Probe, http_timeout: timedelta) -> Check:
    started = time.perf_counter()
    try:
        detail = await probe()
    except NoAnswer as error:
        return Check(name, False, _no_answer(error, http_timeout))
    except PaperboyError as error:
        return Check(name, False, str(error))
    return Check(name, True, f"{detail} in {(time.perf_counter() - started) * 1000:.0f} ms")


def _no_answer(error: NoAnswer, http_timeout: timedelta) -> str:
    """No answer in time, and what to do: a longer `http.timeout` helps only while it is shorter than the
    doctor's own limit; past that, the limit is what was hit, and the message says so."""
    if http_timeout < DOCTOR_TIMEOUT:
        return str(error)
    return (
        f"{no_answer(error.service, error.seconds)}, the longest the doctor waits (paperboy run and fetch wait "
        f"http.timeout, {http_timeout.total_seconds():g} s); try again later"
    )


def _platform_probes(settings: Settings, client: httpx.AsyncClient) -> dict[str, Probe]:
    """The chat platforms that have credentials configured: each one's tokens, asked of the platform, so that a
    refused token shows here rather than when `paperboy run` starts. Each probe is made by its own function:
    lambdas made in one scope would all see that scope's last URL."""
    probes: dict[str, Probe] = {}
    slack = settings.slack
    if slack.bot_token or slack.app_token or slack.installs:
        from paperboy.cli.doctor_slack import slack_probe  # slack_sdk only when Slack is configured

        probes["slack"] = slack_probe(settings)
    if settings.discord.token:
        probes["discord"] = _discord_probe(settings, client)
    return probes


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
