"""The taste evaluation's floor (tests/taste_simulation.py; bench/taste.py prints its figures): after 10 days of
votes, a digest ordered with taste holds at least twice as many papers of the channel's interest as one in
upvote order."""

from __future__ import annotations

import pytest

from tests.taste_simulation import simulate

pytestmark = pytest.mark.asyncio


async def test_after_ten_days_taste_doubles_precision_at_5() -> None:
    outcome = await simulate(channel_count=30, fillers=15, seed=7)
    assert outcome.judged("taste") >= 2 * outcome.judged("upvotes")
    assert outcome.judged("taste") >= 0.12  # 0.134 when written: a floor, not the figure


async def test_the_first_digest_without_votes_is_the_upvote_order() -> None:
    outcome = await simulate(channel_count=10, fillers=15, seed=7)
    assert outcome.days[0].taste == outcome.days[0].upvotes
