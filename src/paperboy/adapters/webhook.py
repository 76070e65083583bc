"""Incoming webhooks: digests posted to a Discord or Slack channel with no bot installed.

The subscription's channel is the webhook URL; its path says which platform it is (`/api/webhooks/…` is
Discord, `/services/…` is Slack). A digest becomes Discord embeds (`discord_embeds.py`) or Slack Block Kit
(`slack_blocks.py`), split into as many messages as the platform's limits demand. Every request, to every
webhook, passes one pace (`delivery.webhook_requests_per_second`), shared with the other paperboy processes
on the same database (`paperboy.pace`). Failures are tried again by the one
policy of `paperboy.retry` (`delivery.attempts`, `backoff`, `max_wait`): a 429 waited out as the platform asks,
a 5xx, no connection. A 400, 413 or 422 is a message paperboy built wrong (`PayloadRejected`: a bug, logged,
never blamed on the channel); 401, 403, 404 and 410 mean the webhook is gone (`ChannelUnavailable`).

Webhooks cannot make a retry idempotent: Discord's webhook endpoint takes no nonce, and a Slack webhook
answers only "ok". So a request whose answer was lost counts as maybe sent, and the ledger marks the
digest's next attempt "(resent)".

The URL holds the webhook's secret token: it is never logged or shown, only its host.
"""

from __future__ import annotations

import json
import logging
from itertools import count

import httpx

from paperboy.adapters.block_kit import SlackMessage
from paperboy.adapters.discord_embeds import DiscordMessage, discord_messages
from paperboy.adapters.slack_blocks import slack_messages
from paperboy.config import DeliverySettings
from paperboy.digest import Digest
from paperboy.errors import ChannelUnavailable, DeliveryError, PaperboyError, PayloadRejected
from paperboy.models import webhook_kind
from paperboy.pace import Pace
from paperboy.retry import GaveUp, RetryPolicy, Throttled

log = logging.getLogger(__name__)


#: refusals that will not get better by trying again: the webhook was deleted, or never was one
_GONE = {401: "refused the token", 403: "is forbidden", 404: "no longer exists", 410: "was removed"}
#: answers that call the message paperboy built malformed (Discord's 50035 Invalid Form Body) or too large
_REJECTED = {400: "called the message malformed", 413: "called the message too large",
             422: "could not process the message"}  # fmt: skip
#: how much of a platform's answer goes into an error
_ANSWER_CHARS = 300

#: one message's JSON, for either platform
Payload = DiscordMessage | SlackMessage


class WebhookSink:
    def __init__(self, client: httpx.AsyncClient, settings: DeliverySettings, pace: Pace | None = None) -> None:
        self._client = client
        self._settings = settings
        # requests evenly spaced, never a burst above the rate; this process's share when others send too
        self._pace = pace or Pace(settings.webhook_requests_per_second, what="webhook requests")
        self._ids = count(1)
        self._policy = RetryPolicy.for_delivery(settings)

    async def send(self, digest: Digest) -> tuple[str, ...]:
        url = digest.ref.channel
        where = digest.ref.shown_channel
        try:
            kind = webhook_kind(url)
        except ValueError as error:
            raise ChannelUnavailable(f"{where} is {error}; subscribe the channel again with its webhook URL") from None
        payloads = discord_messages(digest) if kind == "discord" else slack_messages(digest)
        sent: list[str] = []
        for payload in payloads:
            sent.append(await self._post(url, where, kind, payload, some_sent=bool(sent)))
        return tuple(sent)

    async def _post(self, url: str, where: str, kind: str, payload: Payload, *, some_sent: bool) -> str:
        """Post one message, tried again as `paperboy.retry` decides: a 429 (waiting as asked), a 5xx, no
        connection. An answer lost after the request went out is not tried again here: a webhook cannot
        tell whether the message arrived, so the next run resends it marked "(resent)"."""

        def log_retry(error: BaseException, wait: float, next_try: int) -> None:
            log.warning("the webhook at %s %s; trying again in %.1fs (try %d)", where, error, wait, next_try)

        try:
            return await self._policy.run(lambda: self._post_once(url, where, kind, payload), on_retry=log_retry)
        except GaveUp as end:
            last = end.last
            maybe_sent = some_sent or (isinstance(last, DeliveryError) and last.maybe_sent)
            if end.asked_wait is not None:
                raise DeliveryError(
                    f"the webhook at {where} asks paperboy to wait {end.asked_wait:.0f}s (rate limited); "
                    "the next run tries again",
                    maybe_sent=maybe_sent,
                ) from None
            raise DeliveryError(
                f"the webhook at {where} {last} on all {end.tries} tries; the next run tries again",
                maybe_sent=maybe_sent,
            ) from None

    async def _post_once(self, url: str, where: str, kind: str, payload: Payload) -> str:
        params = {"wait": "true"} if kind == "discord" else None
        timeout = self._settings.webhook_timeout.total_seconds()
        async with self._pace:
            try:
                response = await self._client.post(url, json=payload, params=params, timeout=timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                # nothing was sent: safe to try again
                raise DeliveryError(f"cannot be reached ({type(error).__name__})") from None
            except httpx.TransportError as error:
                # the request may have arrived; only its answer is lost
                raise DeliveryError(
                    f"the webhook at {where} did not answer ({type(error).__name__})", maybe_sent=True
                ) from None
        if response.is_success:
            return _message_id(response, kind, next(self._ids))
        raise _refusal(response, where, kind, payload)


def _refusal(response: httpx.Response, where: str, kind: str, payload: Payload) -> PaperboyError:
    """The error a webhook's non-2xx answer means: a wait, a channel gone, paperboy's own bad payload, or a
    failure another try may not meet."""
    status = response.status_code
    if status == 429:
        return Throttled("is rate limited", retry_after=_retry_after(response))
    if status in _GONE:
        return ChannelUnavailable(
            f"the webhook at {where} {_GONE[status]} ({status}); subscribe the channel again with a new webhook URL"
        )
    if status in _REJECTED:
        answer = _answer(response)
        # the platform's own words help whoever fixes paperboy; the channel's people can do nothing about it
        log.error(
            "the %s webhook at %s %s (%d): %s; the message had %d bytes of JSON",
            kind,
            where,
            _REJECTED[status],
            status,
            answer,
            len(json.dumps(payload)),
        )
        return PayloadRejected(
            f"the webhook at {where} {_REJECTED[status]} ({status}: {answer}); this is a bug in paperboy, "
            "not a problem with the channel, and the details are in paperboy's log"
        )
    return DeliveryError(f"answered {status}")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the platform asked us to wait: `Retry-After`, else Discord's JSON `retry_after`."""
    value: object = response.headers.get("Retry-After")
    if value is None:
        try:
            value = response.json().get("retry_after")
        except (ValueError, AttributeError):
            return None
    try:
        return max(float(str(value)), 0.0)
    except ValueError:
        return None


def _answer(response: httpx.Response) -> str:
    """The platform's reason, short: Discord's JSON `message` and `code`, or Slack's text ("invalid_blocks")."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        text = f"{body['message']} (code {body.get('code')})"
    else:
        text = response.text.strip() or response.reason_phrase
    return text[:_ANSWER_CHARS]


def _message_id(response: httpx.Response, kind: str, n: int) -> str:
    if kind == "discord":
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            pass
    return f"{kind}-webhook-{n}"
