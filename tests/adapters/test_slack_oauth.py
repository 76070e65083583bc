"""Multi-workspace Slack: workspaces install paperboy through OAuth, their tokens are kept in paperboy's
database, and each workspace's requests and digests use its own token."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio

from paperboy.adapters.slack_app import NOT_INSTALLED
from paperboy.config import DigestSettings, Secret, Settings
from paperboy.delivery import DigestRunner
from paperboy.models import ChannelRef, Platform
from paperboy.store import Store
from paperboy.store.installations import MAX_LIVE_STATES
from paperboy.subscriptions import SubscriptionService
from paperboy.wiring.sinks import build_sinks
from tests.fakes.clock import FakeClock
from tests.fakes.corpus import corpus_papers
from tests.fakes.running import free_port, running, without_sources
from tests.fakes.slack import CLIENT_ID, CLIENT_SECRET, FakeSlack, signed_headers

pytestmark = pytest.mark.asyncio
#: loggers whose lines a request could cause
HTTP_LOGGERS = ("paperboy", "aiohttp", "slack_bolt", "slack_sdk")
SECRET = "signing-secret-for-tests"
TEAM = "T0999"
COOKIE = "slack-app-oauth-state"


@pytest.fixture
def installs(settings: Settings, slack_server: FakeSlack) -> Settings:
    slack = replace(
        settings.slack,
        client_id=CLIENT_ID,
        client_secret=Secret(CLIENT_SECRET),
        signing_secret=Secret(SECRET),
        api_base_url=slack_server.api_url,
        http_host="127.0.0.1",
        http_port=free_port(),
    )
    return without_sources(replace(settings, slack=slack))


@pytest_asyncio.fixture
async def paperboy(installs: Settings) -> AsyncIterator[str]:
    async with running(installs) as url:
        yield url


async def start_install(http: httpx.AsyncClient, url: str) -> str:
    """Open the install page as a browser would; return the state Slack will send back."""
    page = await http.get(f"{url}/slack/install")
    assert page.status_code == 200
    return page.cookies[COOKIE]


async def come_back(
    http: httpx.AsyncClient, url: str, code: str, state: str, cookie: str | None = None
) -> httpx.Response:
    """The browser's return from Slack's "Allow" with the code and state (and the state cookie it holds)."""
    return await http.get(
        f"{url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers={"Cookie": f"{COOKIE}={cookie or state}"},
    )


async def install(http: httpx.AsyncClient, url: str, slack: FakeSlack, team: str = TEAM) -> None:
    slack.codes[f"code-{team}"] = team
    state = await start_install(http, url)
    response = await come_back(http, url, f"code-{team}", state)
    assert response.status_code == 200, response.text


def command_body(slack: FakeSlack, text: str, team: str) -> str:
    """A /papers command from `team`, answered to the response URL named `{team}-{text}`."""
    return urlencode(
        {
            "command": "/papers",
            "text": text,
            "team_id": team,
            "channel_id": "C0123",
            "user_id": "U1",
            "response_url": slack.response_url(f"{team}-{text}"),
        }
    )


async def slash(http: httpx.AsyncClient, url: str, slack: FakeSlack, text: str, team: str = TEAM) -> dict[str, Any]:
    name = f"{team}-{text}"
    body = command_body(slack, text, team)
    response = await http.post(f"{url}/slack/events", content=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 200
    async with asyncio.timeout(10):
        while not slack.responses[name]:  # noqa: ASYNC110 - the answer follows the ack
            await asyncio.sleep(0.01)
    return slack.responses[name][0]


async def test_the_install_page_links_to_slack_with_the_apps_scopes_and_a_state(paperboy: str) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{paperboy}/slack/install")
    state = page.cookies[COOKIE]
    [link] = [part.split('"')[0] for part in page.text.split('href="')[1:] if "oauth/v2/authorize" in part]
    asked = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["state"] == [state]
    assert "chat:write" in asked["scope"][0].split(",")


async def test_an_install_keeps_the_workspaces_token_in_paperboys_database(
    paperboy: str, installs: Settings, slack_server: FakeSlack
) -> None:
    async with httpx.AsyncClient() as http:
        await install(http, paperboy, slack_server)
    async with await Store.open(installs.database.path) as store:
        found = await store.installations.find(Platform.SLACK, TEAM)
    assert found is not None
    assert slack_server.tokens[found.record["bot_token"]] == TEAM


async def test_a_return_trip_with_a_state_paperboy_did_not_issue_installs_nothing(
    paperboy: str, installs: Settings, slack_server: FakeSlack
) -> None:
    slack_server.codes["code"] = TEAM
    async with httpx.AsyncClient() as http:
        response = await come_back(http, paperboy, "code", "forged")
    assert response.status_code >= 400
    async with await Store.open(installs.database.path) as store:
        assert await store.installations.list(Platform.SLACK) == []


async def test_a_state_cannot_be_used_twice(paperboy: str, slack_server: FakeSlack) -> None:
    slack_server.codes["first"] = TEAM
    slack_server.codes["second"] = "T0666"
    async with httpx.AsyncClient() as http:
        state = await start_install(http, paperboy)
        assert (await come_back(http, paperboy, "first", state)).status_code == 200
        assert (await come_back(http, paperboy, "second", state)).status_code >= 400
    assert "T0666" not in slack_server.tokens.values()


async def test_a_state_from_another_browser_is_refused(paperboy: str, slack_server: FakeSlack) -> None:
    slack_server.codes["code"] = TEAM
    async with httpx.AsyncClient() as http:
        state = await start_install(http, paperboy)
        response = await come_back(http, paperboy, "code", state, cookie="someone-elses-state")
    assert response.status_code >= 400
    assert TEAM not in slack_server.tokens.values()


async def test_the_install_page_says_to_come_back_later_when_too_many_installs_are_in_progress(
    paperboy: str, installs: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    async with await Store.open(installs.database.path) as store:
        for i in range(MAX_LIVE_STATES):
            assert await store.installations.issue_state(f"flood-{i}", now + timedelta(minutes=10), now)
    async with httpx.AsyncClient() as http:
        pages = [await http.get(f"{paperboy}/slack/install") for _ in range(3)]
    assert {page.status_code for page in pages} == {429}
    assert "try again in a few minutes" in pages[0].text
    assert COOKIE not in pages[0].cookies
    assert [r for r in caplog.records if r.exc_info] == []


async def test_each_workspace_is_answered_with_its_own_token(paperboy: str, slack_server: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        await install(http, paperboy, slack_server, TEAM)
        await install(http, paperboy, slack_server, "T0777")
        await slash(http, paperboy, slack_server, "subscribe 08:00", team=TEAM)
        await slash(http, paperboy, slack_server, "subscribe 09:00", team="T0777")
    # the announcement in the channel follows the answer to the caller: wait for it
    async with asyncio.timeout(10):
        while {m["team"] for m in slack_server.messages["C0123"]} != {TEAM, "T0777"}:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The log lines a user of `paperboy run` sees (INFO and up) from paperboy and the libraries it uses, but
    for the start-up line (written while the test may already be sending its requests)."""
    return [
        r
        for r in caplog.records
        if r.name.startswith(HTTP_LOGGERS) and r.name != "paperboy.app" and r.levelno >= logging.INFO
    ]


async def test_a_workspace_without_an_install_is_told_to_install_in_the_answer(
    paperboy: str, slack_server: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack shows the answer to a slash command to whoever typed it: the words need no response_url."""
    caplog.set_level(logging.INFO)
    body = command_body(slack_server, "subscribe", "T0404")
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{paperboy}/slack/events", content=body, headers=signed_headers(body, SECRET))
    assert (response.status_code, response.text) == (200, NOT_INSTALLED)
    assert slack_server.messages == {}
    [line] = logged(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert line.getMessage() == (
        "/papers subscribe (T0404/C0123): paperboy is not installed in Slack workspace T0404; told the user to "
        "install it"
    )


async def test_a_button_pressed_in_a_workspace_without_an_install_is_answered_through_the_response_url(
    paperboy: str, slack_server: FakeSlack
) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0404"},
        "user": {"id": "U1"},
        "channel": {"id": "C0123"},
        "response_url": slack_server.response_url("pressed"),
        "actions": [{"type": "button", "action_id": "more_results", "block_id": "b", "value": "{}"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{paperboy}/slack/events", content=body, headers=signed_headers(body, SECRET))
    assert response.status_code == 200
    async with asyncio.timeout(10):
        while not slack_server.responses["pressed"]:  # noqa: ASYNC110 - posted before the answer, but elsewhere
            await asyncio.sleep(0.01)
    assert slack_server.responses["pressed"][0]["text"] == NOT_INSTALLED


async def test_a_bot_token_in_the_environment_is_no_warning_with_oauth_installs(
    installs: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-also-in-the-environment")
    caplog.set_level(logging.INFO)
    with_token = replace(installs, slack=replace(installs.slack, bot_token=Secret("xoxb-also-in-the-environment")))
    async with running(with_token):
        pass
    assert [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")] == []


async def test_an_uninstall_forgets_the_token(paperboy: str, installs: Settings, slack_server: FakeSlack) -> None:
    event = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event": {"type": "app_uninstalled"},
            "event_id": "Ev1",
            "event_time": 1_700_000_000,
        }
    )
    async with httpx.AsyncClient() as http:
        await install(http, paperboy, slack_server)
        headers = signed_headers(event, SECRET) | {"content-type": "application/json"}
        response = await http.post(f"{paperboy}/slack/events", content=event, headers=headers)
        assert response.status_code == 200
    async with await Store.open(installs.database.path) as store:
        async with asyncio.timeout(10):
            while await store.installations.find(Platform.SLACK, TEAM):  # noqa: ASYNC110 - removed after the ack
                await asyncio.sleep(0.02)


async def send_digests(settings: Settings, *refs: ChannelRef) -> dict[ChannelRef, str | None]:
    """Subscribe `refs` and send each its digest through the sinks `paperboy run` would build; return each
    subscription's pause reason afterwards."""
    clock = FakeClock(datetime(2025, 1, 16, 12, 0, tzinfo=UTC))
    async with await Store.open(settings.database.path) as store, httpx.AsyncClient() as client:
        await store.papers.upsert(corpus_papers())
        service = SubscriptionService(store, DigestSettings(), clock)
        for ref in refs:
            await service.subscribe(ref, by="test", max_papers=2)
        runner = DigestRunner(store, build_sinks(settings, client, store), clock)
        await runner.run_now(refs[0])
        return {s.ref: s.paused_reason for s in await service.list()}


async def test_digests_go_out_with_the_workspaces_installed_token(installs: Settings, slack_server: FakeSlack) -> None:
    async with running(installs) as url, httpx.AsyncClient() as http:
        await install(http, url, slack_server)
    paused = await send_digests(installs, ChannelRef(Platform.SLACK, "C0123", TEAM))
    [message] = slack_server.messages["C0123"]
    assert message["team"] == TEAM
    assert set(paused.values()) == {None}


async def test_a_workspace_without_an_install_pauses_its_channels_and_says_how_to_fix_it(
    installs: Settings, slack_server: FakeSlack
) -> None:
    gone, also_gone = ChannelRef(Platform.SLACK, "C0001", "T0404"), ChannelRef(Platform.SLACK, "C0002", "T0404")
    paused = await send_digests(installs, gone, also_gone)
    assert slack_server.messages == {}
    assert paused[gone] == paused[also_gone]
    assert paused[gone] is not None and "not installed in Slack workspace T0404" in paused[gone]
    assert "/slack/install" in paused[gone]
