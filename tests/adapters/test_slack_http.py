"""The refusal log of Slack's HTTP front: the first refusal at once, the ones after it summed up in one line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from paperboy.adapters.slack_http import Refusals

pytestmark = pytest.mark.asyncio
LOGGER = "paperboy.adapters.slack_http"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


async def test_the_first_refusal_is_logged_at_once_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    Refusals(every=60).add("a wrong signature (401)", "203.0.113.9")
    [line] = lines(caplog)
    assert "from 203.0.113.9: a wrong signature (401);" in line


async def test_refusals_after_a_logged_one_are_summed_up_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    refusals = Refusals(every=0.05)
    for i in range(100):
        refusals.add("a wrong signature (401)" if i % 2 else "no signature (401)", "203.0.113.9")
    assert len(lines(caplog)) == 1
    async with asyncio.timeout(5):
        while len(lines(caplog)) < 2:  # noqa: ASYNC110 - the summary is due `every` after the first line
            await asyncio.sleep(0.01)
    assert lines(caplog)[1] == (
        "refused 99 more requests to Slack's HTTP endpoint (a wrong signature (401): 50; no signature (401): 49)"
    )


async def test_refusals_not_yet_logged_are_logged_when_flushed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    refusals = Refusals(every=60)
    refusals.add("no signature (401)", None)
    refusals.add("no signature (401)", None)
    refusals.flush()
    assert lines(caplog)[-1] == "refused 1 more request to Slack's HTTP endpoint (no signature (401): 1)"
    refusals.flush()
    assert len(lines(caplog)) == 2
