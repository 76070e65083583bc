"""The Slack app (slack-bolt `AsyncApp`): `/papers` answered through the core.

`ack()` goes out at once (Slack waits 3 s at most); the answer follows through `respond()`, for the caller
only; a change to the channel's feed is also announced in the channel. Request signatures are checked by
bolt (wrong signature or a timestamp older than 5 minutes: 401).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.slack_commands import Invocation, Services, answer

log = logging.getLogger(__name__)


def build_slack_app(services: Services, client: AsyncWebClient, signing_secret: str) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=signing_secret, raise_error_for_unhandled_request=False)

    @app.command("/papers")
    async def papers(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        invocation = Invocation(
            team_id=str(command.get("team_id", "")),
            channel_id=str(command.get("channel_id", "")),
            user_id=str(command.get("user_id", "")),
            text=str(command.get("text", "")),
        )
        try:
            reply = await answer(services, invocation)
        except Exception:
            log.exception("/papers %s failed", invocation.text)
            await respond(
                text="Something went wrong on paperboy's side; it is in paperboy's log. Please try again later.",
                response_type="ephemeral",
            )
            return
        await respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
        if reply.announce:
            try:
                await client.chat_postMessage(channel=invocation.channel_id, text=reply.announce)
            except SlackApiError as error:
                log.warning("cannot announce in %s: %s", invocation.channel_id, error.response.get("error"))

    return app
