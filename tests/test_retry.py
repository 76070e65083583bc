"""The one retry policy: who gets another try (by fault_of alone), how long between tries, and when it gives up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paperboy.config import DeliverySettings, HttpSettings
from paperboy.errors import ChannelUnavailable, DeliveryError, PayloadRejected, SourceError
from paperboy.retry import GaveUp, RetryPolicy, Throttled

pytestmark = pytest.mark.asyncio
QUICK = RetryPolicy(attempts=3, backoff=0.001, max_wait=1.0)


class Tries:
    """An attempt that fails with the given errors in turn, then answers "done"; it counts its calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


async def test_waits_double_with_jitter_and_stop_growing_at_max_wait() -> None:
    policy = RetryPolicy(attempts=6, backoff=1.0, max_wait=5.0)
    assert 1.0 <= policy.wait(1) <= 2.0
    assert 2.0 <= policy.wait(2) <= 3.0
    assert 4.0 <= policy.wait(3) <= 5.0
    assert policy.wait(5) == 5.0


async def test_a_wait_the_server_asked_for_is_taken_as_asked() -> None:
    policy = RetryPolicy(attempts=3, backoff=1.0, max_wait=5.0)
    assert policy.wait(1, asked=0.25) == 0.25
    assert policy.too_long(7.5) and not policy.too_long(5.0) and not policy.too_long(None)


async def test_settings_give_the_policies() -> None:
    http = HttpSettings(attempts=5, backoff=timedelta(seconds=2), max_wait=timedelta(minutes=5))
    delivery = DeliverySettings(attempts=4, backoff=timedelta(seconds=1), max_wait=timedelta(minutes=1))
    assert RetryPolicy.for_sources(http) == RetryPolicy(5, 2.0, 300.0)
    assert RetryPolicy.for_delivery(delivery) == RetryPolicy(4, 1.0, 60.0)


async def test_a_retryable_error_is_tried_again() -> None:
    attempt = Tries(SourceError("busy"))
    assert await QUICK.run(attempt) == "done"
    assert attempt.calls == 2


@pytest.mark.parametrize(
    "error",
    [ChannelUnavailable("gone"), PayloadRejected("malformed"), KeyError("a bug")],
    ids=["permanent", "payload rejected", "unexpected"],
)
async def test_an_error_that_is_not_retryable_is_raised_at_once(error: BaseException) -> None:
    attempt = Tries(error)
    with pytest.raises(type(error)):
        await QUICK.run(attempt)
    assert attempt.calls == 1


async def test_retryable_errors_on_every_try_give_up_after_the_attempts() -> None:
    attempt = Tries(*[SourceError("busy")] * 5)
    with pytest.raises(GaveUp) as gave_up:
        await QUICK.run(attempt)
    assert attempt.calls == 3
    assert (gave_up.value.tries, str(gave_up.value.last), gave_up.value.asked_wait) == (3, "busy", None)


async def test_a_wait_longer_than_max_wait_is_not_waited() -> None:
    attempt = Tries(Throttled("slow down", retry_after=3600))
    with pytest.raises(GaveUp) as gave_up:
        await QUICK.run(attempt)
    assert attempt.calls == 1
    assert gave_up.value.asked_wait == 3600


async def test_a_message_maybe_sent_is_repeated_only_by_a_caller_that_can_check() -> None:
    blind = Tries(DeliveryError("no answer", maybe_sent=True))
    with pytest.raises(DeliveryError):
        await QUICK.run(blind)
    checking = Tries(DeliveryError("no answer", maybe_sent=True))
    assert await QUICK.run(checking, repeat_maybe_sent=True) == "done"
    assert (blind.calls, checking.calls) == (1, 2)


async def test_before_retry_can_end_the_call_with_its_result() -> None:
    attempt = Tries(DeliveryError("no answer", maybe_sent=True))

    async def already_there() -> str | None:
        return "found"

    assert await QUICK.run(attempt, before_retry=already_there, repeat_maybe_sent=True) == "found"
    assert attempt.calls == 1


async def test_each_retry_is_announced_with_its_wait_and_next_try() -> None:
    heard: list[tuple[str, float, int]] = []
    attempt = Tries(Throttled("slow down", retry_after=0.01), SourceError("busy"))
    await QUICK.run(attempt, on_retry=lambda error, wait, n: heard.append((str(error), wait, n)))
    assert [(e, n) for e, _, n in heard] == [("slow down", 2), ("busy", 3)]
    assert heard[0][1] == 0.01
