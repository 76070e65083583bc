"""Answers sent through a Slack request's `response_url`, within a bounded time.

bolt's own `respond()` waits 30 s for Slack and lets every network error through as an exception with a
traceback; an answer that cannot be delivered here is one `ResponseUrlFailed`, with a sentence saying why,
after `RESPOND_SECONDS` at most. The URL itself is never put in a message: it carries a token.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from paperboy.errors import Fault, PaperboyError

#: how long an answer to a response_url may take (Slack answers these in well under a second)
RESPOND_SECONDS = 5.0
#: how much of Slack's answer to a refused post is quoted (`expired_url`, `used_url`, …)
_QUOTED = 60


class ResponseUrlFailed(PaperboyError):
    """An answer could not be delivered through the request's response_url; there is no one left to tell."""

    fault = Fault.RETRYABLE


async def post_response(url: str, message: dict[str, Any], *, within: float = RESPOND_SECONDS) -> None:
    """Post `message` (text, blocks, response_type, replace_original …; None values left out) to `url`.
    Raises ResponseUrlFailed when Slack cannot be reached, does not answer within `within` seconds, or refuses
    it (a used or expired URL)."""
    client = AsyncWebhookClient(url=url, timeout=max(1, math.ceil(within)))
    try:
        async with asyncio.timeout(within):
            response = await client.send_dict({key: value for key, value in message.items() if value is not None})
    except TimeoutError:
        raise ResponseUrlFailed(f"Slack's response_url did not answer within {within:g} s") from None
    except (aiohttp.ClientError, OSError) as error:
        raise ResponseUrlFailed(f"Slack's response_url cannot be reached ({type(error).__name__})") from None
    if not 200 <= response.status_code < 300:
        said = " ".join(str(response.body or "").split())[:_QUOTED]
        raise ResponseUrlFailed(f"Slack's response_url answered {response.status_code} {said}".rstrip())
