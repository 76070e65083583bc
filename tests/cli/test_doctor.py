"""`paperboy doctor`: a line per check, and exit 1 naming what failed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from paperboy.cli.doctor import DOCTOR_TIMEOUT
from tests.cli.conftest import Cli, config_text
from tests.fakes import discord as fake_discord
from tests.fakes import slack as fake_slack
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import FakeDiscord
from tests.fakes.hanging import HangingServer
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.asyncio


async def test_doctor_passes_when_everything_answers(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, arxiv_server: FakeArxiv
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, arxiv_server))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 0, result.stdout + result.stderr
    checks = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()}
    assert checks == {"config": "ok", "database": "ok", "huggingface": "ok", "arxiv": "ok"}
    assert "schema version" in result.stdout


async def test_doctor_names_the_unreachable_source(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace(hf_server.url, "http://127.0.0.1:9"))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 1
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1
    assert "huggingface" in failing[0] and "check sources.huggingface.base_url" in failing[0]
    assert result.stderr.splitlines()[-1] == "paperboy: error: 1 check failed (huggingface); see above"


async def test_doctor_reports_a_database_it_cannot_open(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    (tmp_path / "not-a-db").write_text("this is not SQLite " * 100)
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace('"paperboy.db"', '"not-a-db"'))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 1
    assert any(line.startswith("FAIL database") for line in result.stdout.splitlines())


def platforms_config(
    tmp_path: Path, hf: FakeHuggingFace, slack: FakeSlack, discord: FakeDiscord, *, down: str = ""
) -> Path:
    """A config with both chat platforms pointed at the fakes; `down` points that one at a closed port."""
    slack_url = "http://127.0.0.1:9/api/" if down == "slack" else slack.api_url
    discord_url = "http://127.0.0.1:9/api/v10" if down == "discord" else discord.api_url
    path = tmp_path / "config.toml"
    extra = f'[slack]\napi_base_url = "{slack_url}"\n[discord]\napi_base_url = "{discord_url}"\n'
    path.write_text(config_text(hf, extra=extra))
    return path


TOKENS = {"SLACK_BOT_TOKEN": fake_slack.TOKEN, "SLACK_APP_TOKEN": fake_slack.APP_TOKEN}
TOKENS |= {"PAPERBOY_DISCORD_TOKEN": fake_discord.TOKEN}


def outcomes(stdout: str) -> dict[str, str]:
    return {line.split()[1]: line.split()[0] for line in stdout.splitlines()}


def line_of(stdout: str, check: str) -> str:
    return next(line for line in stdout.splitlines() if line.split()[1] == check)


async def test_doctor_checks_both_chat_platforms_and_their_tokens(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack, discord_server: FakeDiscord
) -> None:
    config = platforms_config(tmp_path, hf_server, slack_server, discord_server)
    result = await cli("doctor", "--config", str(config), env=TOKENS)
    assert result.code == 0, result.stdout + result.stderr
    assert set(outcomes(result.stdout).values()) == {"ok"}
    assert set(outcomes(result.stdout)) == {"config", "database", "huggingface", "slack", "discord"}
    assert discord_server.requests_to("/api/v10/users/@me")[-1].headers["Authorization"] == f"Bot {fake_discord.TOKEN}"
    assert {r.path for r in slack_server.requests} == {"/api/auth.test", "/api/apps.connections.open"}


@pytest.mark.parametrize(
    ("variable", "check", "message"),
    [
        ("SLACK_BOT_TOKEN", "slack", "Slack refused slack.bot_token (invalid_auth); copy "),
        ("SLACK_APP_TOKEN", "slack", "Slack refused slack.app_token (invalid_auth); copy "),
        ("PAPERBOY_DISCORD_TOKEN", "discord", "Discord refused discord.token (401 Unauthorized); copy "),
    ],
)
async def test_doctor_names_a_refused_token_without_printing_it(
    cli: Cli,
    tmp_path: Path,
    hf_server: FakeHuggingFace,
    slack_server: FakeSlack,
    discord_server: FakeDiscord,
    variable: str,
    check: str,
    message: str,
) -> None:
    config = platforms_config(tmp_path, hf_server, slack_server, discord_server)
    wrong = "wrong-token-0123456789"
    result = await cli("doctor", "--config", str(config), env=TOKENS | {variable: wrong})
    assert result.code == 1
    assert [name for name, outcome in outcomes(result.stdout).items() if outcome == "FAIL"] == [check]
    assert line_of(result.stdout, check).split(None, 2)[2].startswith(message)
    assert result.stderr.splitlines()[-1] == f"paperboy: error: 1 check failed ({check}); see above"
    for token in (wrong, *TOKENS.values()):
        assert token not in result.stdout + result.stderr


@pytest.mark.parametrize(("down", "config_key"), [("slack", "slack.api_base_url"), ("discord", "discord.api_base_url")])
async def test_doctor_names_the_unreachable_platform(
    cli: Cli,
    tmp_path: Path,
    hf_server: FakeHuggingFace,
    slack_server: FakeSlack,
    discord_server: FakeDiscord,
    down: str,
    config_key: str,
) -> None:
    config = platforms_config(tmp_path, hf_server, slack_server, discord_server, down=down)
    result = await cli("doctor", "--config", str(config), env=TOKENS)
    assert result.code == 1
    assert [name for name, outcome in outcomes(result.stdout).items() if outcome == "FAIL"] == [down]
    detail = line_of(result.stdout, down).split(None, 2)[2]
    assert detail.startswith("cannot reach ") and f"check {config_key}" in detail


async def test_endpoints_that_never_answer_are_checked_at_once_within_the_timeout(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, hanging_server: HangingServer
) -> None:
    url = hanging_server.url
    extra = (
        f'[sources.arxiv]\nenabled = true\nbase_url = "{url}"\nrequest_interval = "0s"\n'
        f'[slack]\napi_base_url = "{url}/api/"\n[discord]\napi_base_url = "{url}/api/v10"\n'
    )
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, extra=extra).replace(hf_server.url, url).replace('"500ms"', '"1s"'))
    started = time.monotonic()
    result = await cli("doctor", "--config", str(config), env=TOKENS)
    took = time.monotonic() - started
    assert result.code == 1
    assert took < 2 * 1.0 + 1.5, f"took {took:.1f}s: the checks waited one after another"  # + process start-up
    assert hanging_server.connections == 4, "each endpoint was asked once"
    failing = {name: line_of(result.stdout, name).split(None, 2)[2] for name in ("huggingface", "arxiv", "slack")}
    failing["discord"] = line_of(result.stdout, "discord").split(None, 2)[2]
    services = {"huggingface": "Hugging Face", "arxiv": "arXiv", "slack": "Slack", "discord": "Discord"}
    for name, detail in failing.items():
        assert detail.startswith(f"{services[name]} did not answer within 1 s; "), detail
    names = [line.split()[1] for line in result.stdout.splitlines()]
    assert names == ["config", "database", "huggingface", "arxiv", "slack", "discord"], "in the fixed order"


async def test_the_doctor_waits_at_most_its_own_timeout_whatever_http_timeout_says(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, hanging_server: HangingServer
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace(hf_server.url, hanging_server.url).replace('"500ms"', '"60s"'))
    result = await cli("doctor", "--config", str(config))
    assert (
        line_of(result.stdout, "huggingface")
        .split(None, 2)[2]
        .startswith(f"Hugging Face did not answer within {DOCTOR_TIMEOUT.total_seconds():g} s, ")
    )


async def test_a_wait_cut_short_by_the_doctor_says_so_instead_of_advising_a_longer_http_timeout(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, hanging_server: HangingServer
) -> None:
    url = hanging_server.url
    config = tmp_path / "config.toml"
    extra = f'[slack]\napi_base_url = "{url}/api/"\n'
    config.write_text(config_text(hf_server, extra=extra).replace(hf_server.url, url).replace('"500ms"', '"60s"'))
    slack_tokens = {k: v for k, v in TOKENS.items() if k.startswith("SLACK_")}
    result = await cli("doctor", "--config", str(config), env=slack_tokens)
    limit = f"{DOCTOR_TIMEOUT.total_seconds():g} s"
    for check, service in (("huggingface", "Hugging Face"), ("slack", "Slack")):
        assert line_of(result.stdout, check).split(None, 2)[2] == (
            f"{service} did not answer within {limit}, the longest the doctor waits (paperboy run and fetch wait "
            "http.timeout, 60 s); try again later"
        )


async def test_a_wait_shorter_than_the_doctors_limit_advises_a_longer_http_timeout(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, hanging_server: HangingServer
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace(hf_server.url, hanging_server.url))
    result = await cli("doctor", "--config", str(config))
    assert line_of(result.stdout, "huggingface").split(None, 2)[2] == (
        "Hugging Face did not answer within 0.5 s; try again later, or raise http.timeout"
    )


async def test_doctor_warns_that_feed_addresses_lead_nowhere_without_health_port(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, extra='[feeds]\nbase_url = "https://paperboy.example.org"\n'))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 0, "a warning, not a failure: paperboy run --health-port serves the feeds too"
    assert outcomes(result.stdout)["feeds"] == "warn"
    assert line_of(result.stdout, "feeds").split(None, 2)[2] == (
        "feeds.base_url is set but health.port is not, and only the health port serves the Atom feeds, so feed "
        "addresses lead nowhere unless paperboy run is given --health-port; set health.port"
    )


async def test_doctor_says_nothing_of_feeds_when_health_port_serves_them(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace
) -> None:
    config = tmp_path / "config.toml"
    extra = '[feeds]\nbase_url = "https://paperboy.example.org"\n[health]\nport = 8080\n'
    config.write_text(config_text(hf_server, extra=extra))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 0, result.stdout + result.stderr
    assert set(outcomes(result.stdout)) == {"config", "database", "huggingface"}


async def test_an_unreachable_endpoint_is_named_with_its_address_and_the_reason_in_words(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack, discord_server: FakeDiscord
) -> None:
    config = platforms_config(tmp_path, hf_server, slack_server, discord_server, down="slack")
    config.write_text(config.read_text().replace(hf_server.url, "http://127.0.0.1:9"))
    result = await cli("doctor", "--config", str(config), env=TOKENS)
    assert line_of(result.stdout, "huggingface").split(None, 2)[2] == (
        "cannot reach Hugging Face at http://127.0.0.1:9 (connection refused); check sources.huggingface.base_url "
        "and the network"
    )
    assert line_of(result.stdout, "slack").split(None, 2)[2] == (
        "cannot reach Slack at http://127.0.0.1:9 (connection refused); check slack.api_base_url and the network"
    )
