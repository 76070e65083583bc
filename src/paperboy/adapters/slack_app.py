"""The Slack app (slack-bolt `AsyncApp`): `/papers` answered through the core.

`ack()` goes out at once (Slack waits 3 s at most); the answer follows through the request's response_url, for
the caller only; a change to the channel's feed is also announced in the channel. Request signatures are
checked by bolt (wrong signature or a timestamp older than 5 minutes: 401). Which token answers is decided
without asking Slack (`slack_authorize`), and whatever fails is one line in the log and, where possible, words
to the user (`slack_failures`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
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

from paperboy.adapters.coalesce import UPDATE_SPACING, Coalescer
from paperboy.adapters.command_table import sort_order
from paperboy.adapters.services import Services
from paperboy.adapters.slack_authorize import NOT_INSTALLED, ConfiguredToken, InstalledToken
from paperboy.adapters.slack_blocks import MORE_RESULTS, POST_TO_CHANNEL, RATE_ACTIONS, rated, rated_papers, with_counts
from paperboy.adapters.slack_commands import Invocation, answer, search_page, shared_paper, similar_page
from paperboy.adapters.slack_errors import UNREACHABLE, error_code, is_outage, web_api_problem
from paperboy.adapters.slack_failures import Failures
from paperboy.adapters.slack_http import SeenRequests, guard
from paperboy.adapters.slack_respond import RESPOND_SECONDS, post_response
from paperboy.errors import ConfigError, Fault, PaperboyError
from paperboy.models import ChannelRef, Platform, Sort
from paperboy.ratings import Click
from paperboy.reach import cannot_reach, no_answer

log = logging.getLogger(__name__)

__all__ = ["NOT_INSTALLED", "build_slack_app", "change_policy", "check_tokens", "http_mode", "socket_mode"]

#: who may change a channel's feed, asked with the client of the workspace the request came from
ChangePolicy = Callable[[AsyncWebClient, str], Awaitable[bool]]
#: answers the request at hand through its response_url (the message's fields as keywords)
Respond = Callable[..., Awaitable[None]]
BOLT_LOG = logging.getLogger("slack_bolt")
#: what slack_bolt takes from the environment when an argument is left out (or empty). paperboy has read its
#: settings already and passes bolt what they say; bolt reading them again only warns ("As you gave 'client' as
#: well, 'token' will be unused", with $SLACK_BOT_TOKEN set as the README says) or, with $SLACK_CLIENT_ID and
#: $SLACK_CLIENT_SECRET, would set up an OAuth flow of its own
BOLT_ENVIRONMENT = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_VERIFICATION_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


def build_slack_app(
    services: Services,
    client: AsyncWebClient,
    signing_secret: str | None,
    *,
    token: str | None = None,
    policy: ChangePolicy | None = None,
    oauth: AsyncOAuthSettings | None = None,
    respond_within: float = RESPOND_SECONDS,
    update_spacing: float = UPDATE_SPACING,
) -> AsyncApp:
    """The app answering `/papers` and its buttons. `client` says how to reach Slack's Web API (base URL,
    timeout, retries) and carries no token: each request is answered with `token` (one workspace), or with
    `oauth` the token its workspace got when it installed paperboy through `/slack/install`. Neither is
    checked with Slack per request, so that whatever needs no Web API is answered while Slack's is down.
    Handlers use the `client` bolt hands them, which carries that token; answers go to the response_url
    within `respond_within` seconds; a digest message rated is updated at most once per `update_spacing` seconds."""
    if client.token:
        raise ValueError("the Slack app's client carries no token; pass it as `token`")
    if oauth is not None:
        app = _bolt_app(client, signing_secret, InstalledToken(oauth.authorize), oauth)
    elif token:
        app = _bolt_app(client, signing_secret, ConfiguredToken(token), None)
    else:
        raise ConfigError("slack.bot_token (or OAuth installs) is needed to answer /papers")
    failures = Failures(respond_within=respond_within)
    app.error(failures.bolt_handler())
    if oauth:
        # app_uninstalled / tokens_revoked: forget the workspace's token; its digests pause at their next run
        app.enable_token_revocation_listeners()

    async def reported(body: dict[str, Any], work: Callable[[Respond], Awaitable[None]]) -> None:
        """Do a listener's work, after its ack(), answering to the request's response_url; what it fails with
        is reported (`Failures`)."""
        respond = partial(_respond, str(body.get("response_url", "")), within=respond_within)
        try:
            await work(respond)
        except Exception as error:
            await failures.report(error, body, acknowledged=True)

    @app.command("/papers")
    async def papers(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await reported(command, partial(_papers, services, policy, client, command))

    @app.action(MORE_RESULTS)
    async def more_results(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await reported(body, partial(_more_results, services, action))

    @app.action(POST_TO_CHANNEL)
    async def post_to_channel(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await reported(body, partial(_post_to_channel, services, body, action, client))

    updates = Coalescer(update_spacing)

    @app.action(re.compile("|".join(map(re.escape, RATE_ACTIONS))))
    async def rate(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # at once: the vote and the message's new counts follow
        await reported(body, partial(_rate, services, updates, body, action, client))

    return app


def _bolt_app(
    client: AsyncWebClient,
    signing_secret: str | None,
    authorize: ConfiguredToken | InstalledToken,
    oauth: AsyncOAuthSettings | None,
) -> AsyncApp:
    """bolt's app, given what paperboy's settings say and nothing it would find for itself."""
    with _environment_without(BOLT_ENVIRONMENT):
        return AsyncApp(
            # bolt sets its loggers' levels from this one's (else from the root's, and -v showed its debug lines):
            # `paperboy.log` has it at WARNING unless -vv
            logger=BOLT_LOG,
            client=client,
            signing_secret=signing_secret,
            request_verification_enabled=signing_secret is not None,
            authorize=authorize,
            # to the error handler, which keeps bolt's 404 and logs at debug: no warning with a [Suggestion] each
            raise_error_for_unhandled_request=True,
            oauth_settings=oauth,
            installation_store_bot_only=True if oauth else None,
            user_facing_authorize_error_message=NOT_INSTALLED,
        )


async def _respond(url: str, *, within: float, **message: Any) -> None:
    await post_response(url, message, within=within)


async def _papers(
    services: Services, policy: ChangePolicy | None, client: AsyncWebClient, command: dict[str, Any], respond: Respond
) -> None:
    invocation = Invocation(
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
        text=str(command.get("text", "")),
    )
    asked = services if policy is None else replace(services, may_change=partial(policy, client))
    reply = await answer(asked, invocation)
    try:
        await respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
    finally:
        if reply.announce:  # the change is made: the channel hears of it whether or not the answer arrived
            await announce(client, invocation.channel_id, reply.announce)


async def _more_results(services: Services, action: dict[str, Any], respond: Respond) -> None:
    try:
        asked = json.loads(action.get("value", "{}"))
        if "like" in asked:  # the next page of /papers similar
            reply = await similar_page(services, str(asked["like"]), offset=int(asked["offset"]))
        else:
            order = sort_order(str(asked.get("sort", Sort.RELEVANCE.value)))
            reply = await search_page(services, str(asked["q"]), offset=int(asked["offset"]), sort=order)
    except (ValueError, KeyError, PaperboyError) as error:
        await respond(text=f"That page cannot be shown ({error}); search again.", response_type="ephemeral")
        return
    await respond(text=reply.text, blocks=reply.blocks, replace_original=True)


async def _post_to_channel(
    services: Services, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Respond
) -> None:
    channel = str((body.get("channel") or {}).get("id", ""))
    user = str((body.get("user") or {}).get("id", ""))
    try:
        reply = await shared_paper(services, str(action.get("value", "")), user)
        await client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks, unfurl_links=False)
    except PaperboyError as error:
        await respond(text=str(error), response_type="ephemeral", replace_original=False)
    except SlackApiError as error:
        problem = error_code(error)
        hint = " Invite it with /invite @paperboy." if problem == "not_in_channel" else ""
        await respond(
            text=f"paperboy cannot post here ({problem}).{hint}", response_type="ephemeral", replace_original=False
        )


async def _rate(
    services: Services,
    updates: Coalescer,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: Respond,
) -> None:
    """A 👍 or 👎 under a digest's paper: the vote counted (or changed, or withdrawn), then the message's counts
    updated; a click that cannot count gets its sentence, for the clicker alone."""
    try:
        ref, paper_id = rated(str(action.get("value", "")))
    except ValueError:
        await respond(text="This button is not one paperboy understands.", response_type="ephemeral")
        return
    channel = str((body.get("channel") or {}).get("id", ""))
    click = Click(
        ref=ref,
        paper_id=paper_id,
        member=str((body.get("user") or {}).get("id", "")),
        rating=RATE_ACTIONS[str(action.get("action_id"))],
        # channel ids are unique across Slack, so the click's channel with the button's workspace is the same
        # channel exactly when the ids agree
        clicked_in=ChannelRef(Platform.SLACK, channel, ref.workspace),
    )
    try:
        if services.ratings is None:
            raise PaperboyError("Rating papers is not available in this paperboy.")
        await services.ratings.click(click)
    except PaperboyError as error:
        await respond(text=str(error), response_type="ephemeral", replace_original=False)
        return
    message = body.get("message") or {}
    ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
    if ts and message.get("blocks"):
        updates.request((channel, ts), partial(_show_counts, services, client, ref, channel, ts, message))


async def _show_counts(
    services: Services, client: AsyncWebClient, ref: ChannelRef, channel: str, ts: str, message: dict[str, Any]
) -> None:
    """Update a digest message with the counts of its papers as they are now."""
    assert services.ratings is not None
    blocks: list[dict[str, Any]] = message["blocks"]
    counts = await services.ratings.counts(ref, rated_papers(blocks))
    await client.chat_update(
        channel=channel, ts=ts, text=str(message.get("text", "")), blocks=with_counts(blocks, counts)
    )


async def announce(client: AsyncWebClient, channel: str, text: str) -> None:
    """Tell the channel about a change to its feed; Slack refusing or out of reach is a line in the log."""
    try:
        await client.chat_postMessage(channel=channel, text=text)
    except (SlackApiError, *UNREACHABLE) as error:
        log.warning("cannot announce a change in %s: %s", channel, web_api_problem(error))


@contextmanager
def _environment_without(names: tuple[str, ...]) -> Iterator[None]:
    """`names` out of the environment while the block runs (synchronously: nothing else runs meanwhile)."""
    hidden = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


class SlackUnavailable(PaperboyError):
    """Slack's Web API is needed for a command (who may change a feed) and cannot be asked right now."""

    fault = Fault.RETRYABLE

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"paperboy cannot ask Slack who may change this channel's papers right now ({reason}); please try "
            "again in a few minutes"
        )


def change_policy(restricted: bool, allowed: tuple[str, ...]) -> ChangePolicy:
    """Who may change a channel's feed: anyone, or with `restricted`, admins, owners and the `allowed` ids."""

    async def may_change(client: AsyncWebClient, user_id: str) -> bool:
        if not restricted or user_id in allowed:
            return True
        try:
            user = (await client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as error:
            if not is_outage(error):
                log.warning("cannot look up %s (%s); refusing the change", user_id, error_code(error))
                return False
            raise SlackUnavailable(f"Slack failed ({error_code(error)})") from None
        except UNREACHABLE as error:
            raise SlackUnavailable(web_api_problem(error) or type(error).__name__) from None
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    return may_change


#: how long start-up waits for Slack to answer a token check before going on without it
CHECK_SECONDS = 5.0
#: Socket Mode still not connected after this long is said in the log (slack_sdk keeps trying meanwhile)
SLOW_CONNECT_SECONDS = 30.0
#: how long a stop waits for the Socket Mode connection to close
CLOSE_SECONDS = 2.0
#: how long a stop waits for requests bolt is answering over HTTP (it acknowledges within 3 s)
SHUTDOWN_SECONDS = 3.0
#: after a Socket Mode error is logged, further ones are left out of the log this long (-v shows them all)
QUIET_SECONDS = 300.0
#: slack_sdk's Socket Mode client logs here: under slack_sdk, so that its chatter shows only with -vv
SOCKET_MODE_LOG = logging.getLogger("slack_sdk.socket_mode.paperboy")


async def check_tokens(client: AsyncWebClient, app_token: str | None) -> None:
    """Ask Slack whether it takes paperboy's tokens before serving, so that a wrong one is a clear error at
    start rather than a retry loop in the log. Slack out of reach, or not answering within a few seconds, is
    not an error here: start-up goes on, and whatever uses Slack later tries again."""
    checks: list[tuple[str, str, str | None]] = [
        ("slack.bot_token", "the Bot User OAuth Token (xoxb-…) on the app's Install App page", None)
    ]
    if app_token:
        checks.append(("slack.app_token", "an app-level token with connections:write (Basic Information)", app_token))
    for key, where, token in checks:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                if token is None:
                    await client.auth_test()
                else:
                    await client.apps_connections_open(app_token=token)
        except SlackApiError as error:
            if is_outage(error):  # Slack failed, or something else answered: not a verdict on the token
                log.warning("Slack failed to check %s (%s); going on", key, error_code(error))
                return
            raise ConfigError(f"Slack refused {key} ({error_code(error)}); copy {where} into it") from None
        except TimeoutError:
            log.warning("%s to check %s; going on", no_answer("Slack", CHECK_SECONDS), key)
            return
        except (aiohttp.ClientError, OSError) as error:
            log.warning("%s to check %s; going on", cannot_reach("Slack", client.base_url, error), key)
            return


class QuietRetries(logging.Filter):
    """slack_sdk's Socket Mode client logs each failed attempt to connect with a traceback, every 10 s, for as
    long as Slack is away. This keeps the first as one warning line and leaves the next ones out of the log for
    a while; with -v everything is logged as slack_sdk says it, tracebacks included."""

    def __init__(self, quiet_for: float = QUIET_SECONDS) -> None:
        super().__init__()
        self._quiet_for = quiet_for
        self._last: float | None = None

    def reset(self) -> None:
        """Connected: the next error is news again."""
        self._last = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or logging.getLogger("paperboy").isEnabledFor(logging.DEBUG):
            return True
        now = time.monotonic()
        if self._last is not None and now - self._last < self._quiet_for:
            return False
        self._last = now
        record.msg = (
            f"Slack's Socket Mode: {record.getMessage()} (paperboy keeps trying; further Socket Mode errors are "
            f"left out of the log for {self._quiet_for / 60:.0f} minutes, -v shows them)"
        )
        record.args, record.exc_info, record.exc_text = None, None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class SocketModeState:
    """What the start-up line says of Socket Mode. The connection is made in the background, often before the
    line is written and sometimes long after: its `str()` is taken when the line is written, so the line never
    says "connecting" below a log line saying it connected."""

    def __init__(self) -> None:
        self.connected = False

    def __str__(self) -> str:
        return f"Slack in Socket Mode ({'connected' if self.connected else 'connecting'})"


async def stay_connected(handler: AsyncSocketModeHandler, quiet: QuietRetries, state: SocketModeState) -> None:
    """Connect over Socket Mode: slack_sdk tries until it has a connection, then keeps it (reconnecting by
    itself). Says when it is connected, and when it takes long."""
    connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
    try:
        done, _ = await asyncio.wait([connecting], timeout=SLOW_CONNECT_SECONDS)
        if not done:
            log.warning(
                "Slack's Socket Mode has not connected in %.0f s; still trying (/papers waits, digests go out)",
                SLOW_CONNECT_SECONDS,
            )
        await connecting
    finally:
        connecting.cancel()
    quiet.reset()
    state.connected = True  # before the line below, with no await between: the two always agree
    log.info("connected to Slack in Socket Mode")


@asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[SocketModeState]:
    """Serve `app` over Socket Mode while the block is open, connecting in the background: Slack not answering
    holds up nothing, and a stop does not wait for it. Yields what the start-up line says of it."""
    quiet = QuietRetries()
    SOCKET_MODE_LOG.addFilter(quiet)
    handler = AsyncSocketModeHandler(app, app_token, logger=SOCKET_MODE_LOG)
    state = SocketModeState()
    connection = asyncio.create_task(stay_connected(handler, quiet, state), name="slack-socket-mode")
    try:
        yield state
    finally:
        connection.cancel()
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await asyncio.wait([connection])
                await handler.close_async()  # type: ignore[no-untyped-call]
        except TimeoutError:
            log.debug("the Socket Mode connection did not close in time; left to the end of the process")
        SOCKET_MODE_LOG.removeFilter(quiet)


@asynccontextmanager
async def http_mode(
    app: AsyncApp, host: str, port: int, *, signing_secret: str, seen: SeenRequests, installs: bool
) -> AsyncIterator[str]:
    """Serve `app` over HTTP on `host:port` while the block is open; a port in use is a ConfigError. Every
    request's size, signature and freshness are checked before bolt reads it, and a signed request is acted on
    once (`seen` remembers the signatures)."""
    web_app = app.web_app(path="/slack/events")
    guard(web_app, "/slack/events", signing_secret, seen)
    # at a stop, bodies still arriving are cut off (slack_http) and bolt has this long to finish what it answers
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {host}:{port} for Slack ({error.strerror}); change slack.http_port"
            ) from None
        where = f"{host}:{port}"
        if installs:
            yield f"Slack over HTTP on {where}/slack/events, installs at {where}/slack/install"
        else:
            yield f"Slack over HTTP on {where}/slack/events"
    finally:
        await runner.cleanup()
