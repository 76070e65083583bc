"""Which bot token answers a Slack request, decided without asking Slack (bolt's `authorize=`).

bolt's own single-workspace authorization calls `auth.test` on the first request and fails every request
(HTTP 500, a traceback) while Slack's Web API is out of reach, even `/papers help`, which needs no Web API at
all. The configured token needs no such check: start-up has checked it already (`slack_app.check_tokens`). With
OAuth installs the token is the workspace's, from paperboy's database; a workspace with none is `NotInstalled`,
which the app's error handler tells the user in words.
"""

from __future__ import annotations

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext

from paperboy.errors import Fault, PaperboyError

NOT_INSTALLED = (
    "paperboy is not installed in this workspace (or was removed from it); a workspace admin can install it "
    "again from paperboy's install page."
)


class NotInstalled(PaperboyError):
    """A request from a Slack workspace that has no install of paperboy (never installed, or removed)."""

    fault = Fault.PERMANENT

    def __init__(self, workspace: str) -> None:
        super().__init__(f"paperboy is not installed in Slack workspace {workspace}")
        self.workspace = workspace


class ConfiguredToken(AsyncAuthorize):
    """One workspace: every (signed) request is answered with `slack.bot_token`."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=self._token)


class InstalledToken(AsyncAuthorize):
    """OAuth installs: the workspace's own token, found by `installed` (bolt's installation-store authorize).

    A workspace with no install raises NotInstalled rather than answer None: bolt would log an error and
    post its message to the response_url before answering the request with an empty body, whereas the error
    handler answers a slash command with the words themselves (Slack shows them at once). A request naming no
    workspace at all is none of paperboy's: it gets no token, matches no listener, and is answered 404."""

    def __init__(self, installed: AsyncAuthorize) -> None:
        self._installed = installed

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        if team_id is None and enterprise_id is None:
            return AuthorizeResult(enterprise_id=None, team_id=None)
        found = await self._installed(
            context=context,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            actor_enterprise_id=actor_enterprise_id,
            actor_team_id=actor_team_id,
            actor_user_id=actor_user_id,
        )
        if found is None:
            raise NotInstalled(team_id or enterprise_id or "")
        return found
