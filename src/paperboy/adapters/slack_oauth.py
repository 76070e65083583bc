"""Slack's OAuth install flow (multi-workspace, HTTP mode) with its stores in paperboy's own database.

bolt runs the flow (`/slack/install` → Slack → `/slack/oauth_redirect`); these classes give it an async
installation store (bot tokens only: paperboy acts as its bot, never as a user) and a one-time state store.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from paperboy import models
from paperboy.adapters.services import Installations
from paperboy.adapters.slack_http import InstallsBusy
from paperboy.clock import Clock
from paperboy.config import SlackSettings
from paperboy.models import Platform

log = logging.getLogger(__name__)

#: the bot scopes paperboy asks for; deploy/slack-manifest.yml lists the same
SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "channels:history", "groups:history")
#: how long someone has between starting an install and coming back from Slack
STATE_LIFETIME = timedelta(minutes=10)


class _InPaperboysDatabase:
    """What bolt's stores need from paperboy: its installations table, a clock, and a logger."""

    def __init__(self, installations: Installations, clock: Clock) -> None:
        self._installations = installations
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log


class BotInstallations(_InPaperboysDatabase, AsyncInstallationStore):
    """bolt's installation store, bot tokens only, one per workspace (a new install replaces the old)."""

    async def async_save(self, installation: Installation) -> None:
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        record: dict[str, Any] = bot.to_dict_for_copying()
        # as numbers, so that Bot(**record) gives the bot back
        record["installed_at"] = bot.installed_at
        record["bot_token_expires_at"] = bot.bot_token_expires_at
        workspace = "" if bot.is_enterprise_install else bot.team_id or ""
        await self._installations.save(
            models.Installation(Platform.SLACK, workspace, record, self._clock.now(), bot.enterprise_id or "")
        )
        log.info("paperboy was installed in Slack workspace %s", bot.team_name or workspace)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        workspace = "" if is_enterprise_install else team_id or ""
        found = await self._installations.find(Platform.SLACK, workspace, enterprise_id or "")
        return Bot(**found.record) if found else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if await self._installations.delete(Platform.SLACK, team_id or "", enterprise_id or ""):
            log.info("paperboy was removed from Slack workspace %s", team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        # paperboy keeps no user tokens: only the workspace's own removal concerns it
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)


class OAuthStates(_InPaperboysDatabase, AsyncOAuthStateStore):
    """One-time states for the install flow, so that a return trip from Slack is the one paperboy started."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = self._clock.now()
        if not await self._installations.issue_state(state, now + STATE_LIFETIME, now):
            raise InstallsBusy()  # the install page answers 429 (slack_http)
        return state

    async def async_consume(self, state: str) -> bool:
        return await self._installations.consume_state(state, self._clock.now())


def oauth_settings(slack: SlackSettings, installations: Installations, clock: Clock) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=slack.client_id,
        client_secret=slack.client_secret.reveal(),
        scopes=list(SCOPES),
        redirect_uri=slack.redirect_url or None,
        installation_store=BotInstallations(installations, clock),
        installation_store_bot_only=True,
        state_store=OAuthStates(installations, clock),
        state_expiration_seconds=int(STATE_LIFETIME.total_seconds()),
    )
