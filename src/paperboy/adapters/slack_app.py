"""The Slack app (slack-bolt `AsyncApp`): `/papers` answered through the core.

`ack()` goes out at once (Slack waits 3 s at most); the answer follows through `respond()`, for the caller
only; a change to the channel's feed is also announced in the channel. Request signatures are checked by
bolt (wrong signature or a timestamp older than 5 minutes: 401).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.services import Services
from paperboy.adapters.slack_blocks import MORE_RESULTS, POST_TO_CHANNEL
from paperboy.adapters.slack_commands import Invocation, answer, search_page, shared_paper
from paperboy.adapters.slack_oauth import oauth_settings
from paperboy.errors import ConfigError, PaperboyError
from paperboy.runtime import Runtime, slack_client
from paperboy.service import PaperService
from paperboy.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


NOT_INSTALLED = (
    "paperboy is not installed in this workspace (or was removed from it); a workspace admin can install it "
    "again from paperboy's install page."
)

#: who may change a channel's feed, asked with the client of the workspace the request came from
ChangePolicy = Callable[[AsyncWebClient, str], Awaitable[bool]]


def build_slack_app(
    services: Services,
    client: AsyncWebClient,
    signing_secret: str | None,
    *,
    policy: ChangePolicy | None = None,
    oauth: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """The app answering `/papers` and its buttons. With `oauth`, workspaces install it through
    `/slack/install` and each request is answered with its own workspace's token; without, `client`'s token
    serves the one workspace. Handlers use the `client` bolt hands them, which carries that token."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        raise_error_for_unhandled_request=False,
        oauth_settings=oauth,
        installation_store_bot_only=True if oauth else None,
        user_facing_authorize_error_message=NOT_INSTALLED,
    )
    if oauth:
        # app_uninstalled / tokens_revoked: forget the workspace's token; its digests pause at their next run
        app.enable_token_revocation_listeners()

    @app.command("/papers")
    async def papers(ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient) -> None:
        await ack()
        invocation = Invocation(
            team_id=str(command.get("team_id", "")),
            channel_id=str(command.get("channel_id", "")),
            user_id=str(command.get("user_id", "")),
            text=str(command.get("text", "")),
        )
        asked = services if policy is None else replace(services, may_change=partial(policy, client))
        try:
            reply = await answer(asked, invocation)
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

    @app.action(MORE_RESULTS)
    async def more_results(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        try:
            asked = json.loads(action.get("value", "{}"))
            reply = await search_page(services, str(asked["q"]), offset=int(asked["offset"]))
        except (ValueError, KeyError, PaperboyError) as error:
            await respond(text=f"That page cannot be shown ({error}); search again.", response_type="ephemeral")
            return
        await respond(text=reply.text, blocks=reply.blocks, replace_original=True)

    @app.action(POST_TO_CHANNEL)
    async def post_to_channel(
        ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any, client: AsyncWebClient
    ) -> None:
        await ack()
        channel = str((body.get("channel") or {}).get("id", ""))
        user = str((body.get("user") or {}).get("id", ""))
        try:
            reply = await shared_paper(services, str(action.get("value", "")), user)
            await client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks, unfurl_links=False)
        except PaperboyError as error:
            await respond(text=str(error), response_type="ephemeral", replace_original=False)
        except SlackApiError as error:
            problem = error.response.get("error")
            hint = " Invite it with /invite @paperboy." if problem == "not_in_channel" else ""
            await respond(
                text=f"paperboy cannot post here ({problem}).{hint}", response_type="ephemeral", replace_original=False
            )

    return app


def change_policy(restricted: bool, allowed: tuple[str, ...]) -> ChangePolicy:
    """Who may change a channel's feed: anyone, or with `restricted`, admins, owners and the `allowed` ids."""

    async def may_change(client: AsyncWebClient, user_id: str) -> bool:
        if not restricted or user_id in allowed:
            return True
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as error:
            log.warning("cannot look up %s (%s); refusing the change", user_id, error.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    return may_change


async def check_tokens(client: AsyncWebClient, app_token: str | None) -> None:
    """Ask Slack whether it takes paperboy's tokens before serving, so that a wrong one is a clear error at
    start rather than a retry loop in the log. Slack being unreachable is not an error here: it is retried."""
    checks: list[tuple[str, str, str | None]] = [
        ("slack.bot_token", "the Bot User OAuth Token (xoxb-…) on the app's Install App page", None)
    ]
    if app_token:
        checks.append(("slack.app_token", "an app-level token with connections:write (Basic Information)", app_token))
    for key, where, token in checks:
        try:
            if token is None:
                await client.auth_test()
            else:
                await client.apps_connections_open(app_token=token)
        except SlackApiError as error:
            code = error.response.get("error", "unknown_error")
            raise ConfigError(f"Slack refused {key} ({code}); copy {where} into it") from None
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("cannot reach Slack to check %s (%s); going on", key, type(error).__name__)
            return


@asynccontextmanager
async def serve_slack(runtime: Runtime) -> AsyncIterator[str]:
    """Run the Slack app while the block is open, if Slack is configured: Socket Mode with an app token (no
    public URL needed), else HTTP mode on `slack.http_host:http_port` with the signing secret, for one bot
    token or for every workspace that installs paperboy through OAuth. Says which."""
    slack = runtime.settings.slack
    if not (slack.app_token or slack.signing_secret):
        yield "Slack off"
        return
    if not (slack.bot_token or slack.installs):
        raise ConfigError(
            "slack.bot_token (or $SLACK_BOT_TOKEN) is needed to answer /papers; set it (or slack.client_id and "
            "client_secret for OAuth installs), or remove the Slack app token and signing secret"
        )
    client = slack_client(runtime.settings)
    if not slack.installs:
        await check_tokens(client, slack.app_token.reveal() or None)
    services = Services(
        papers=PaperService(runtime.store, today=lambda: runtime.clock.now().date()),
        subscriptions=SubscriptionService(runtime.store, runtime.settings.digest, runtime.clock),
        digests=runtime.digests,
    )
    policy = change_policy(slack.restrict_changes, slack.allowed_users)
    if slack.app_token:
        # Socket Mode checks nothing by signature: the connection itself is authenticated
        app = build_slack_app(services, client, signing_secret=slack.signing_secret.reveal() or None, policy=policy)
        handler = AsyncSocketModeHandler(app, slack.app_token.reveal())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            yield "Slack in Socket Mode"
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
        return
    oauth = oauth_settings(slack, runtime.store.installations, runtime.clock) if slack.installs else None
    app = build_slack_app(services, client, signing_secret=slack.signing_secret.reveal(), policy=policy, oauth=oauth)
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, slack.http_host, slack.http_port)
        try:
            await site.start()
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {slack.http_host}:{slack.http_port} for Slack ({error.strerror}); "
                "change slack.http_port"
            ) from None
        where = f"{slack.http_host}:{slack.http_port}"
        if oauth:
            yield f"Slack over HTTP on {where}/slack/events, installs at {where}/slack/install"
        else:
            yield f"Slack over HTTP on {where}/slack/events"
    finally:
        await runner.cleanup()
