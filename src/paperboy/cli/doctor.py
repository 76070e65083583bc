"""`paperboy doctor`: check the config, the database and every configured endpoint, and say what is wrong."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx

from paperboy.config import Settings
from paperboy.errors import PaperboyError
from paperboy.http import Endpoint, get_parsed, make_client
from paperboy.runtime import build_sources
from paperboy.store import Store


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


async def _timed(name: str, probe: Callable[[], Awaitable[str]]) -> Check:
    started = time.perf_counter()
    try:
        detail = await probe()
    except PaperboyError as error:
        return Check(name, False, str(error))
    return Check(name, True, f"{detail} in {(time.perf_counter() - started) * 1000:.0f} ms")


def _platform_probes(settings: Settings, client: httpx.AsyncClient) -> dict[str, Callable[[], Awaitable[str]]]:
    """Reachability of the chat platforms that have credentials configured (no token is sent)."""
    probes: dict[str, Callable[[], Awaitable[str]]] = {}
    if settings.discord.token:
        url = settings.discord.api_base_url.rstrip("/") + "/gateway"
        endpoint = Endpoint("Discord", "discord.api_base_url")
        probes["discord"] = lambda: get_parsed(
            client, url, parse=_expect_json_key("url", endpoint), endpoint=endpoint, policy=settings.http
        )
    if settings.slack.bot_token or settings.slack.app_token:
        url = settings.slack.api_base_url.rstrip("/") + "/api.test"
        endpoint = Endpoint("Slack", "slack.api_base_url")
        probes["slack"] = lambda: get_parsed(
            client, url, parse=_expect_json_key("ok", endpoint), endpoint=endpoint, policy=settings.http
        )
    return probes


def _expect_json_key(key: str, endpoint: Endpoint) -> Callable[[httpx.Response], str]:
    def parse(response: httpx.Response) -> str:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict) or key not in body:
            raise PaperboyError(
                f"{endpoint.service} answered {response.status_code} without the expected JSON; "
                f"check {endpoint.config_key}"
            )
        return "answered"

    return parse
