"""Which bot token speaks for a Slack workspace: the one configured token (single-workspace mode), or the
token the workspace got when it installed paperboy through OAuth (multi-workspace mode)."""

from __future__ import annotations

from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.services import Installations
from paperboy.errors import ChannelUnavailable, WorkspaceUnavailable
from paperboy.models import Platform


class WorkspaceTokens(Protocol):
    async def token_for(self, workspace: str) -> str:
        """The bot token for `workspace` (a team id; empty: whichever workspace the bot is in). Raises
        ChannelUnavailable when no token of paperboy's may speak there; Slack's own errors pass through."""
        ...


class ConfiguredToken:
    """`slack.bot_token`: one workspace, the one `auth.test` says the token belongs to."""

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._team: str | None = None

    async def team(self) -> str:
        """The token's workspace, asked of Slack once."""
        if self._team is None:
            response = await self._client.auth_test(token=self._token)
            self._team = str(response["team_id"])
        return self._team

    async def token_for(self, workspace: str) -> str:
        if workspace and workspace != await self.team():
            raise ChannelUnavailable(
                f"the channel is in Slack workspace {workspace}, but slack.bot_token belongs to workspace "
                f"{self._team}; use that workspace's token, or install paperboy with OAuth to serve both"
            )
        return self._token


class InstalledTokens:
    """Tokens from OAuth installs, kept in paperboy's database."""

    def __init__(self, installations: Installations) -> None:
        self._installations = installations

    async def token_for(self, workspace: str) -> str:
        found = await self._installations.find(Platform.SLACK, workspace)
        if found is None or not found.record.get("bot_token"):
            raise WorkspaceUnavailable(
                f"paperboy is not installed in Slack workspace {workspace or '(none named)'}; install it "
                "again from paperboy's /slack/install page, then subscribe the channel again"
            )
        return str(found.record["bot_token"])
