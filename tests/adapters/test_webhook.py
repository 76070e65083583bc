"""Digests through incoming webhooks: Discord embeds and Slack blocks within limits, over real HTTP to a fake."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from paperboy.adapters.webhook import WebhookSink
from paperboy.config import DeliverySettings
from paperboy.errors import ChannelUnavailable, DeliveryError, PayloadRejected
from paperboy.models import webhook_kind
from tests.fakes.digests import digest
from tests.fakes.server import Fault
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
FAST = DeliverySettings(
    webhook_requests_per_second=1000,
    webhook_timeout=timedelta(seconds=0.5),
    attempts=3,
    backoff=timedelta(milliseconds=10),
    max_wait=timedelta(seconds=2),
)


async def test_the_url_says_which_platform() -> None:
    assert webhook_kind("https://discord.com/api/webhooks/1/abc") == "discord"
    assert webhook_kind("https://hooks.slack.com/services/T/B/x") == "slack"
    with pytest.raises(ValueError, match="not a Discord"):
        webhook_kind("https://example.com/hook")


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    async with httpx.AsyncClient() as client:
        yield WebhookSink(client, FAST)


async def test_a_discord_digest_is_a_title_and_an_embed_per_paper(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url()
    message_ids = await sink.send(digest(url, left_out=4, id=17))
    [payload] = webhooks.payloads(url)
    assert payload["content"] == "Papers for Thu 16 Jan 2025: 3 new papers\nand 4 more: /papers search more:17"
    assert [e["title"] for e in payload["embeds"]] == [
        "Paper <1> & friends",
        "Paper <2> & friends",
        "Paper <3> & friends",
    ]
    assert payload["embeds"][0]["url"] == "https://huggingface.co/papers/2501.00001"
    assert "[code](https://github.com/x/y)" in payload["embeds"][0]["description"]
    assert payload["allowed_mentions"] == {"parse": []}
    assert message_ids == ("1001",)


async def test_a_slack_digest_is_a_header_and_a_section_per_paper(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.slack_url()
    assert await sink.send(digest(url)) == ("slack-webhook-1",)
    [payload] = webhooks.payloads(url)
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Papers for Thu 16 Jan 2025: 3 new papers"},
    }
    assert blocks[1]["text"]["text"].startswith(
        "*<https://huggingface.co/papers/2501.00001|Paper &lt;1&gt; &amp; friends>*"
    )
    assert payload["text"] == "Papers for Thu 16 Jan 2025: 3 new papers"


async def test_a_deleted_webhook_is_a_channel_gone_without_its_token(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url("9")
    webhooks.gone.add(url.removeprefix(webhooks.url))
    with pytest.raises(ChannelUnavailable) as error:
        await sink.send(digest(url))
    assert "no longer exists (404)" in str(error.value)
    assert "token-9" not in str(error.value)


async def test_429_is_waited_out_as_asked(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(429, headers={"Retry-After": "0.5"}))
    started = time.monotonic()
    await sink.send(digest(url))
    assert 0.5 <= time.monotonic() - started < 1.5
    assert len(webhooks.payloads(url)) == 1


async def test_a_429_asking_longer_than_max_wait_is_not_waited(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(429, headers={"Retry-After": "30"}))
    async with asyncio.timeout(5):
        with pytest.raises(DeliveryError, match=r"asks paperboy to wait 30s \(rate limited\); the next run tries"):
            await sink.send(digest(url))
    assert len(webhooks.requests_to(url.removeprefix(webhooks.url))) == 1


async def test_a_message_too_large_is_tried_once_and_is_paperboys_fault(
    webhooks: FakeWebhooks, sink: WebhookSink
) -> None:
    url = webhooks.discord_url()
    webhooks.max_bytes = 100
    with pytest.raises(PayloadRejected, match=r"called the message too large \(413: .*a bug in paperboy"):
        await sink.send(digest(url))
    assert len(webhooks.requests_to(url.removeprefix(webhooks.url))) == 1


async def test_a_malformed_message_is_paperboys_fault_not_a_channel_gone(
    webhooks: FakeWebhooks, sink: WebhookSink
) -> None:
    url = webhooks.discord_url()
    webhooks.max_embeds = 1
    with pytest.raises(DeliveryError) as error:
        await sink.send(digest(url))
    assert isinstance(error.value, PayloadRejected)
    assert "(400: Invalid Form Body (code 50035))" in str(error.value)
    assert len(webhooks.requests_to(url.removeprefix(webhooks.url))) == 1


async def test_a_rejected_message_is_logged_as_an_error(
    webhooks: FakeWebhooks, sink: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    url = webhooks.slack_url()
    webhooks.max_bytes = 100
    with caplog.at_level(logging.ERROR, logger="paperboy.adapters.webhook"), pytest.raises(PayloadRejected):
        await sink.send(digest(url))
    [record] = caplog.records
    assert "request_too_large" in record.getMessage()
    assert "token1" not in record.getMessage()


async def test_a_503_then_a_200_is_sent_after_one_backoff(webhooks: FakeWebhooks) -> None:
    url = webhooks.discord_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(503))
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        await WebhookSink(client, replace(FAST, backoff=timedelta(seconds=0.3))).send(digest(url))
    assert 0.3 <= time.monotonic() - started < 1.5  # one backoff (plus at most one of jitter), not two
    assert len(webhooks.requests_to(url.removeprefix(webhooks.url))) == 2
    assert len(webhooks.payloads(url)) == 1


async def test_each_retry_is_logged_with_its_wait(
    webhooks: FakeWebhooks, sink: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    url = webhooks.discord_url()
    sent = digest(url)
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(503), Fault(502))
    with caplog.at_level(logging.WARNING, logger="paperboy.adapters.webhook"):
        await sink.send(sent)
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        f"the webhook at {sent.ref.shown_channel} answered 503",
        f"the webhook at {sent.ref.shown_channel} answered 502",
    ]
    assert "token-1" not in caplog.text


async def test_tries_are_bounded_by_attempts(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), *[Fault(503)] * 10)
    with pytest.raises(DeliveryError):
        await sink.send(digest(url))
    assert len(webhooks.requests_to(url.removeprefix(webhooks.url))) == FAST.attempts


async def test_server_errors_are_retried(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.slack_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(500), Fault(502))
    await sink.send(digest(url))
    assert len(webhooks.payloads(url)) == 1


async def test_server_errors_on_every_try_leave_it_for_the_next_run(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.slack_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(500), Fault(500), Fault(500))
    with pytest.raises(DeliveryError, match="answered 500 on all 3 tries") as error:
        await sink.send(digest(url))
    assert not error.value.maybe_sent


async def test_a_lost_answer_counts_as_maybe_sent(webhooks: FakeWebhooks, sink: WebhookSink) -> None:
    url = webhooks.discord_url()
    webhooks.fail_next(url.removeprefix(webhooks.url), Fault(delay=2))
    with pytest.raises(DeliveryError, match="did not answer") as error:
        await sink.send(digest(url))
    assert error.value.maybe_sent
