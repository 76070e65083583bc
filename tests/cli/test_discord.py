"""`paperboy discord invite` and `paperboy discord sync` end to end, against the fake Discord."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli, config_text
from tests.fakes.discord import APPLICATION_ID, TOKEN, FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace

pytestmark = pytest.mark.asyncio


@pytest.fixture
def discord_config(tmp_path: Path, hf_server: FakeHuggingFace, discord_server: FakeDiscord) -> Path:
    path = tmp_path / "discord.toml"
    path.write_text(config_text(hf_server, extra=f'[discord]\napi_base_url = "{discord_server.api_url}"\n'))
    return path


async def test_invite_prints_the_oauth_url(cli: Cli, discord_config: Path) -> None:
    result = await cli("discord", "invite", "--config", str(discord_config), env={"PAPERBOY_DISCORD_TOKEN": TOKEN})
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("https://discord.com/oauth2/authorize?client_id=" + APPLICATION_ID)
    assert "scope=bot+applications.commands" in result.stdout


async def test_sync_registers_the_commands_in_a_guild(
    cli: Cli, discord_config: Path, discord_server: FakeDiscord
) -> None:
    config = ["--config", str(discord_config)]
    result = await cli("discord", "sync", "--guild", "42", *config, env={"PAPERBOY_DISCORD_TOKEN": TOKEN})
    assert result.code == 0, result.stderr
    assert result.stdout == "registered 1 command(s) in server 42\n"
    assert (APPLICATION_ID, "42") in discord_server.commands


async def test_without_a_token_it_says_what_to_set(cli: Cli, discord_config: Path) -> None:
    result = await cli("discord", "sync", "--config", str(discord_config))
    assert result.code == 2
    assert result.stderr == (
        "paperboy: error: discord.token (or $PAPERBOY_DISCORD_TOKEN) is not set; copy the bot token into it first\n"
    )


async def test_a_refused_token_is_named_not_shown(cli: Cli, discord_config: Path) -> None:
    result = await cli("discord", "invite", "--config", str(discord_config), env={"PAPERBOY_DISCORD_TOKEN": "nope"})
    assert result.code == 2
    assert result.stderr.startswith("paperboy: error: Discord does not accept discord.token")
    assert "nope" not in result.stderr


async def test_discord_out_of_reach_is_named_with_its_address_and_the_reason(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace
) -> None:
    path = tmp_path / "down.toml"
    path.write_text(config_text(hf_server, extra='[discord]\napi_base_url = "http://127.0.0.1:9/api/v10"\n'))
    result = await cli("discord", "sync", "--config", str(path), env={"PAPERBOY_DISCORD_TOKEN": TOKEN})
    assert result.code == 1
    assert result.stderr == (
        "paperboy: error: cannot reach Discord at http://127.0.0.1:9 (connection refused) to log in; "
        "check discord.api_base_url and the network\n"
    )
