"""The Slack bot's side of digests: Block Kit messages posted with `chat.postMessage`.

Every message carries Slack message metadata naming its digest and part. When a digest has to be sent again
because a process stopped mid-send, the channel's history is read first (`conversations.history` with
`include_all_metadata`), and parts Slack already holds are not posted twice: unlike webhooks, the bot can ask.
Each channel's workspace is spoken to with that workspace's bot token (`slack_tokens`). A failed post is tried
again by the one policy of `paperboy.retry` (`delivery.attempts`, `backoff`, `max_wait`), each new try after that
history check; a message Slack calls malformed (`invalid_blocks`, `msg_too_long` …) is paperboy's bug
(`PayloadRejected`), never tried again nor blamed on the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.block_kit import SlackMessage, plain_dicts
from paperboy.adapters.slack_blocks import slack_messages
from paperboy.adapters.slack_errors import detail, error_code, is_outage
from paperboy.adapters.slack_tokens import WorkspaceTokens
from paperboy.config import DeliverySettings
from paperboy.digest import Digest
from paperboy.errors import ChannelUnavailable, DeliveryError, PaperboyError, PayloadRejected, WorkspaceUnavailable
from paperboy.retry import GaveUp, RetryPolicy, Throttled

log = logging.getLogger(__name__)

EVENT_TYPE = "paperboy_digest"
#: how far back in a channel's history a resent digest's earlier parts are looked for
HISTORY_LIMIT = 100

#: Slack errors that will not get better by trying again, and what they mean for the channel's people
_GONE = {
    "channel_not_found": "the channel no longer exists (or paperboy cannot see it)",
    "is_archived": "the channel is archived",
    "not_in_channel": "paperboy is not in the channel; invite it with /invite @paperboy, then subscribe again",
    "account_inactive": "paperboy's Slack account is inactive; reinstall the app",
    "invalid_auth": "Slack does not accept paperboy's token; check slack.bot_token",
    "token_revoked": "paperboy's Slack token was revoked; reinstall the app",
    "not_authed": "no Slack token was sent; check slack.bot_token",
    "missing_scope": "the Slack app lacks a permission it needs (chat:write); reinstall it from the manifest",
}


#: Slack errors that call the message paperboy built malformed or too large: paperboy's bug, not the channel's
_REJECTED = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "invalid_array_arg",
        "invalid_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_json",
        "json_not_object",
        "invalid_form_data",
    }
)

#: refusals of paperboy itself rather than of one channel
_WORKSPACE_GONE = {"account_inactive", "invalid_auth", "token_revoked", "not_authed", "missing_scope"}


class SlackSink:
    def __init__(
        self,
        client: AsyncWebClient,
        tokens: WorkspaceTokens,
        *,
        continue_in_thread: bool = False,
        retry: DeliverySettings | None = None,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._in_thread = continue_in_thread
        self._policy = RetryPolicy.for_delivery(retry or DeliverySettings())

    async def send(self, digest: Digest) -> tuple[str, ...]:
        token = await self._token(digest)
        messages = slack_messages(digest, rating=True)  # the bot's digests can be rated: the app hears the clicks
        posted = await self._posted_parts(token, digest) if digest.resent and digest.id else {}
        ids: list[str] = []
        for part, message in enumerate(messages):
            if part in posted:
                ids.append(posted[part])
                continue
            thread = ids[0] if self._in_thread and ids else None
            ids.append(await self._post_with_retries(token, digest, part, message, thread))
        return tuple(ids)

    async def _post_with_retries(
        self, token: str, digest: Digest, part: int, message: SlackMessage, thread: str | None
    ) -> str:
        """Post one part, tried again as `paperboy.retry` decides (a 5xx, a timeout, a 429). Such a failure may
        hide a message Slack did post, so before each new try the channel's history is asked for this part."""

        async def already_posted() -> str | None:
            return (await self._posted_parts(token, digest)).get(part)

        def log_retry(error: BaseException, wait: float, next_try: int) -> None:
            log.warning(
                "Slack failed %s's digest (%s); trying again in %.1fs (try %d)", digest.ref, error, wait, next_try
            )

        try:
            return await self._policy.run(
                lambda: self._post(token, digest, part, message, thread),
                on_retry=log_retry,
                before_retry=already_posted if digest.id else None,
                repeat_maybe_sent=True,
            )
        except GaveUp as end:
            if isinstance(end.last, DeliveryError):
                raise end.last from None
            if end.asked_wait is not None:
                raise DeliveryError(
                    f"Slack asks paperboy to wait {end.asked_wait:.0f}s before posting to {digest.ref}; "
                    "the next run tries again"
                ) from None
            raise DeliveryError(f"Slack kept rate limiting {digest.ref}; the next run tries again") from None

    async def _token(self, digest: Digest) -> str:
        try:
            return await self._tokens.token_for(digest.ref.workspace)
        except SlackApiError as error:
            if is_outage(error):
                raise DeliveryError(f"Slack failed ({error.response.status_code})") from None
            raise _refusal(error_code(error), digest) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"Slack did not answer ({type(error).__name__})") from None

    async def _post(self, token: str, digest: Digest, part: int, message: SlackMessage, thread: str | None) -> str:
        try:
            response = await self._client.chat_postMessage(
                token=token,
                channel=digest.ref.channel,
                thread_ts=thread,
                text=message["text"],
                blocks=plain_dicts(message["blocks"]),
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"digest": digest.id or 0, "part": part}},
            )
        except SlackApiError as error:
            raise _post_refusal(error, digest) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            # the message may have arrived; the history check before the next try will tell
            raise DeliveryError(f"Slack did not answer ({type(error).__name__})", maybe_sent=True) from None
        return str(response["ts"])

    async def _posted_parts(self, token: str, digest: Digest) -> dict[int, str]:
        """Parts of this digest already in the channel, by part number: their message ts."""
        channel = digest.ref.channel
        try:
            response = await self._client.conversations_history(
                token=token, channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT
            )
        except (TimeoutError, SlackApiError, aiohttp.ClientError) as error:
            log.warning("cannot read %s's history to avoid a repeat (%s); sending again", channel, error)
            return {}
        found: dict[int, str] = {}
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("digest") == digest.id:
                found[int(payload.get("part", 0))] = str(message["ts"])
        return found


def _post_refusal(error: SlackApiError, digest: Digest) -> PaperboyError:
    """What an error answer to chat.postMessage means: a wait, Slack's own failure, paperboy's bad message, or
    a refusal of the channel or workspace."""
    status = error.response.status_code
    code = error_code(error)
    if status == 429:
        return Throttled(f"Slack is rate limiting {digest.ref}", retry_after=_retry_after(error.response.headers))
    if is_outage(error):
        # Slack may have posted it all the same; the history check before the next try will tell
        return DeliveryError(f"Slack failed ({status})", maybe_sent=True)
    if code in _REJECTED:
        details = detail(error, "errors") or detail(error, "response_metadata") or ""
        log.error("Slack rejected the message paperboy built for %s: %s %s", digest.ref, code, str(details)[:500])
        return PayloadRejected(
            f"Slack rejected the message paperboy built for {digest.ref} ({code}); this is a bug in paperboy, "
            "not a problem with the channel, and the details are in paperboy's log"
        )
    return _refusal(code, digest)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(str(text)), 0.0)
            except ValueError:
                return None
    return None


def _refusal(code: str, digest: Digest) -> DeliveryError:
    if code in _WORKSPACE_GONE:
        return WorkspaceUnavailable(f"Slack refused paperboy in this workspace: {_GONE[code]}")
    if code in _GONE:
        return ChannelUnavailable(f"Slack refused the digest for {digest.ref}: {_GONE[code]}")
    return DeliveryError(f"Slack refused the digest for {digest.ref} ({code}); the next run tries again")
