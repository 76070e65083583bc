"""Slack, put together: the Web API client for the settings, and the `/papers` app served over Socket Mode or
HTTP while `paperboy run` runs. slack_sdk and slack_bolt are imported only when Slack is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from paperboy.config import Settings
from paperboy.errors import ConfigError
from paperboy.runtime import Runtime
from paperboy.wiring.services import chat_services

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient


def slack_client(settings: Settings, *, with_token: bool = True) -> AsyncWebClient:
    """slack_sdk's client for the API base URL (and the bot token, when there is one configured and
    `with_token`); a 429 is waited out as Slack asks."""
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(
        token=(settings.slack.bot_token.reveal() or None) if with_token else None,
        base_url=settings.slack.api_base_url,
        timeout=max(1, int(settings.delivery.webhook_timeout.total_seconds())),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=settings.delivery.attempts)],
    )


@asynccontextmanager
async def serve_slack(runtime: Runtime) -> AsyncIterator[object]:
    """Run the Slack app while the block is open, if Slack is configured: Socket Mode with an app token (no
    public URL needed), else HTTP mode on `slack.http_host:http_port` with the signing secret, for one bot
    token or for every workspace that installs paperboy through OAuth. A bot token alone sends digests and
    answers nothing. Yields what the start-up line says of it (its `str()`, taken when the line is written)."""
    slack = runtime.settings.slack
    if not (slack.app_token or slack.signing_secret or slack.bot_token):
        yield "Slack off"
        return
    from paperboy.adapters import slack_app

    if not (slack.app_token or slack.signing_secret):
        await slack_app.check_tokens(slack_client(runtime.settings), None)
        yield "Slack digests only (no app token or signing secret, so no /papers)"
        return
    if not (slack.bot_token or slack.installs):
        raise ConfigError(
            "slack.bot_token (or $SLACK_BOT_TOKEN) is needed to answer /papers; set it (or slack.client_id and "
            "client_secret for OAuth installs), or remove the Slack app token and signing secret"
        )
    if not slack.installs:
        await slack_app.check_tokens(slack_client(runtime.settings), slack.app_token.reveal() or None)
    # the app's client carries no token: each request's comes from the one configured, or from its install
    client = slack_client(runtime.settings, with_token=False)
    token = None if slack.installs else slack.bot_token.reveal()
    services = chat_services(runtime.store, runtime.settings, runtime.clock, runtime.digests)
    policy = slack_app.change_policy(slack.restrict_changes, slack.allowed_users)
    if slack.app_token:
        # Socket Mode checks nothing by signature: the connection itself is authenticated
        app = slack_app.build_slack_app(
            services, client, signing_secret=slack.signing_secret.reveal() or None, token=token, policy=policy
        )
        async with slack_app.socket_mode(app, slack.app_token.reveal()) as where:
            yield where
        return
    from paperboy.adapters.slack_oauth import oauth_settings

    oauth = oauth_settings(slack, runtime.store.installations, runtime.clock) if slack.installs else None
    app = slack_app.build_slack_app(
        services, client, signing_secret=slack.signing_secret.reveal(), token=token, policy=policy, oauth=oauth
    )
    async with slack_app.http_mode(
        app,
        slack.http_host,
        slack.http_port,
        signing_secret=slack.signing_secret.reveal(),
        seen=runtime.store.replays,
        installs=oauth is not None,
    ) as where:
        yield where
