"""`paperboy taste` end to end: what a channel's votes taught paperboy, and forgetting them with --reset; the
taste settings of `paperboy subscribe`."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperboy.clock import SystemClock
from paperboy.learning import Learner
from paperboy.models import ChannelRef, Platform, Rating
from paperboy.store import Store
from tests.cli.conftest import Cli
from tests.fakes.corpus import corpus_papers

pytestmark = pytest.mark.asyncio
CHANNEL = ["--platform", "slack", "--workspace", "T0456", "--channel", "C0123"]
REF = ChannelRef(Platform.SLACK, "C0123", "T0456")


async def votes(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "paperboy.db") as store:
        papers = corpus_papers()
        await store.papers.upsert(papers)
        learner = Learner(store, SystemClock())
        await learner.rate(REF, papers[0], "U1", Rating.UP)
        await learner.rate(REF, papers[1], "U2", Rating.DOWN)


async def test_taste_shows_the_votes_and_reset_forgets_them(cli: Cli, config_path: Path, tmp_path: Path) -> None:
    config = ["--config", str(config_path)]
    assert (await cli("subscribe", *CHANNEL, *config)).code == 0
    await votes(tmp_path)
    shown = await cli("taste", *CHANNEL, *config)
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith("slack:T0456/C0123: Learned from 2 votes (1 👍, 1 👎) by 2 members")
    reset = await cli("taste", *CHANNEL, "--reset", *config)
    assert reset.code == 0 and reset.stdout == ("slack:T0456/C0123: forgot 2 votes; the digest is ordered by upvotes\n")
    assert (await cli("taste", *CHANNEL, *config)).stdout.startswith("slack:T0456/C0123: No votes yet")


async def test_subscribe_sets_taste_off_and_a_weight(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    off = await cli("subscribe", *CHANNEL, "--taste", "off", *config)
    assert off.code == 0 and "taste off" in off.stdout
    weighted = await cli("subscribe", *CHANNEL, "--taste", "on", "--taste-weight", "2.5", *config)
    assert "taste weight 2.5" in weighted.stdout


async def test_a_weight_out_of_range_exits_2(cli: Cli, config_path: Path) -> None:
    result = await cli("subscribe", *CHANNEL, "--taste-weight", "11", "--config", str(config_path))
    assert result.code == 2 and "taste weight must be between 0 and 10, not 11" in result.stderr


async def test_taste_of_a_channel_not_subscribed_exits_2(cli: Cli, config_path: Path) -> None:
    result = await cli("taste", *CHANNEL, "--config", str(config_path))
    assert result.code == 2
