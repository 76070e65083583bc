"""Digests through incoming webhooks: Discord embeds and Slack blocks within limits, over real HTTP to a fake."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from paperboy.adapters.webhook import WebhookSink, webhook_kind
from paperboy.config import DeliverySettings
from paperboy.errors import ChannelUnavailable, DeliveryError
from tests.fakes.digests import digest
from tests.fakes.server import Fault
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
FAST = DeliverySettings(
    webhook_requests_per_second=1000,
    webhook_timeout=timedelta(seconds=0.5),
    attempts=3,
    backoff=timedelta(milliseconds=10),
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
    message_ids = await sink.send(digest(url, left_out=4))
    [payload] = webhooks.payloads(url)
    assert (
        payload["content"]
        == "Papers for Thu 16 Jan 2025: 3 new papers\nand 4 more: /papers search diffusion since:2025-01-16"
    )
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
    assert time.monotonic() - started >= 0.5
    assert len(webhooks.payloads(url)) == 1


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
