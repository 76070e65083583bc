"""`paperboy feed` end to end: a channel's Atom feed address, printed for scripts, and replaced with --revoke."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paperboy.store import Store
from tests.cli.conftest import Cli, config_text
from tests.fakes.huggingface import FakeHuggingFace

pytestmark = pytest.mark.asyncio
CHANNEL = ["--platform", "slack", "--workspace", "T0456", "--channel", "C0123"]
BASE = "https://paperboy.example.org"
ADDRESS = re.compile(r"https://paperboy\.example\.org/feeds/(?P<token>[A-Za-z0-9_-]{43})\.atom\n")


@pytest.fixture
def feeds_config(tmp_path: Path, hf_server: FakeHuggingFace) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(config_text(hf_server, extra=f'[feeds]\nbase_url = "{BASE}"\n[health]\nport = 8089\n'))
    return path


async def test_feed_prints_the_same_address_until_revoked(cli: Cli, feeds_config: Path) -> None:
    config = ["--config", str(feeds_config)]
    assert (await cli("subscribe", *CHANNEL, *config)).code == 0
    first = await cli("feed", *CHANNEL, *config)
    assert first.code == 0 and first.stderr == "", first.stderr
    assert ADDRESS.fullmatch(first.stdout)
    assert (await cli("feed", *CHANNEL, *config)).stdout == first.stdout


async def test_revoke_prints_a_new_address_and_the_old_one_opens_nothing(
    cli: Cli, feeds_config: Path, tmp_path: Path
) -> None:
    config = ["--config", str(feeds_config)]
    await cli("subscribe", *CHANNEL, *config)
    old = ADDRESS.fullmatch((await cli("feed", *CHANNEL, *config)).stdout)
    revoked = await cli("feed", *CHANNEL, "--revoke", *config)
    new = ADDRESS.fullmatch(revoked.stdout)
    assert revoked.code == 0 and old and new and new["token"] != old["token"]
    assert revoked.stderr == "paperboy: slack:T0456/C0123 has a new feed address; the old one no longer works\n"
    async with await Store.open(tmp_path / "paperboy.db") as store:
        assert await store.feeds.find(old["token"]) is None
        assert await store.feeds.find(new["token"]) is not None


async def test_without_a_base_url_the_path_is_printed_and_the_settings_named(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", *CHANNEL, *config)
    result = await cli("feed", *CHANNEL, *config)
    assert result.code == 0
    assert re.fullmatch(r"/feeds/[A-Za-z0-9_-]{43}\.atom\n", result.stdout)
    assert "feeds.base_url is not set" in result.stderr and "health.port is not set" in result.stderr


async def test_a_channel_not_subscribed_exits_2(cli: Cli, feeds_config: Path) -> None:
    result = await cli("feed", *CHANNEL, "--config", str(feeds_config))
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("paperboy: error: slack:T0456/C0123 is not subscribed; subscribe it first")


async def test_an_unknown_webhook_fingerprint_is_named_as_given(cli: Cli, feeds_config: Path) -> None:
    result = await cli("feed", "--platform", "webhook", "--channel", "#deadbeef", "--config", str(feeds_config))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "paperboy: error: webhook channel #deadbeef is not subscribed (paperboy subscriptions lists them)\n"
    )
