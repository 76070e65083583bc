"""What the Slack app does with a failure: one handler for everything a listener or bolt's middleware lets
through (bolt's `@app.error`), in place of bolt's defaults, which log a traceback each and answer HTTP 500.

Each failure is one log line saying what it concerns (`/papers subscribe (T0456/C0123)`) and why; -v adds the
traceback. Only paperboy's own bugs are logged as errors with their traceback. The user is told in words when
there is a way to: a slash command not yet acknowledged is answered with them (Slack shows the answer to a
slash command at once), otherwise they go to the request's response_url. A request no listener of paperboy's
handles is no failure: it keeps bolt's 404 (the HTTP front counts those) and a debug line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from paperboy.adapters.slack_authorize import NOT_INSTALLED, NotInstalled
from paperboy.adapters.slack_errors import web_api_problem
from paperboy.adapters.slack_respond import RESPOND_SECONDS, ResponseUrlFailed, post_response
from paperboy.errors import Fault, PaperboyError, fault_of

log = logging.getLogger(__name__)

UNREACHABLE_WORDS = "paperboy cannot reach Slack right now; please try again in a few minutes."
BUG_WORDS = "Something went wrong on paperboy's side; it is in paperboy's log. Please try again later."
#: how much of a command's text a log line quotes
_QUOTED = 60

ErrorHandler = Callable[[Exception, AsyncBoltRequest, BoltResponse | None], Awaitable[BoltResponse | None]]


class Failures:
    """Reports failures: a line in the log and words to the user, answers to a response_url waiting
    `respond_within` seconds at most. `bolt_handler()` is for `AsyncApp.error`; listeners hand what they fail
    with to `report` themselves, after their `ack()`. (Raising it instead would reach the same handler, but
    bolt then forgets an ack that came less than 10 ms before the failure, and answers 404 with a warning
    that the listener "didn't call ack()".)"""

    def __init__(self, *, respond_within: float = RESPOND_SECONDS) -> None:
        self._respond_within = respond_within

    def bolt_handler(self) -> ErrorHandler:
        """The function to give `AsyncApp.error`. bolt passes its arguments by name; `response` is None once
        the request was acknowledged."""

        async def on_error(
            error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
        ) -> BoltResponse | None:
            body: Mapping[str, Any] = request.body or {}
            if isinstance(error, BoltUnhandledRequestError):
                log.debug("no handler for %s", concerning(body))
                return None
            return await self.report(error, body, acknowledged=response is None)

        return on_error

    async def report(self, error: Exception, body: Mapping[str, Any], *, acknowledged: bool) -> BoltResponse | None:
        """Log `error`, which the request `body` failed with, and tell its user what can be told. Before the
        request is acknowledged, returns the answer to give it: a slash command's is shown to its user."""
        about = concerning(body)
        _log(error, about)
        words = _words(error)
        if words is None:
            return None
        if not acknowledged and body.get("command"):
            return BoltResponse(status=200, body=words)
        url = body.get("response_url")
        if isinstance(url, str) and url:
            try:
                await post_response(url, {"text": words, "response_type": "ephemeral"}, within=self._respond_within)
            except ResponseUrlFailed as failed:
                log.debug("cannot tell the user of %s either: %s", about, failed)
        if not acknowledged and isinstance(error, NotInstalled):
            return BoltResponse(status=200, body="")  # said; nothing for Slack to try again
        return None


def concerning(body: Mapping[str, Any]) -> str:
    """What a request is, for a log line: `/papers help (T0456/C0123)`, `the more_results button (T0456/C0123)`."""
    team = body.get("team_id") or _id(body.get("team")) or body.get("enterprise_id") or "no workspace"
    channel = body.get("channel_id") or _id(body.get("channel"))
    where = f"({team}/{channel})" if channel else f"({team})"
    if body.get("command"):
        text = " ".join(str(body.get("text", "")).split())
        quoted = text if len(text) <= _QUOTED else f"{text[:_QUOTED]}…"
        return " ".join(part for part in (str(body["command"]), quoted, where) if part)
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], Mapping):
        return f"the {actions[0].get('action_id', 'unnamed')} button {where}"
    event = body.get("event")
    if isinstance(event, Mapping):
        return f"the {event.get('type', 'unnamed')} event {where}"
    return f"a {body.get('type') or 'Slack'} request {where}"


def _id(part: object) -> object:
    return part.get("id") if isinstance(part, Mapping) else None


def _log(error: Exception, about: str) -> None:
    traced = error if logging.getLogger("paperboy").isEnabledFor(logging.DEBUG) else None
    if isinstance(error, NotInstalled):
        log.warning("%s: %s; told the user to install it", about, error, exc_info=traced)
        return
    problem = web_api_problem(error)
    if problem is not None:
        log.warning("%s: %s", about, problem, exc_info=traced)
    elif fault_of(error) is Fault.BUG:
        log.error("%s failed", about, exc_info=error)
    else:
        log.warning("%s: %s", about, error, exc_info=traced)


def _words(error: Exception) -> str | None:
    """What to tell the user, or None when there is no one to tell (their answer is what failed)."""
    if isinstance(error, ResponseUrlFailed):
        return None
    if isinstance(error, NotInstalled):
        return NOT_INSTALLED
    if web_api_problem(error) is not None:
        return UNREACHABLE_WORDS
    if isinstance(error, PaperboyError) and error.fault is not Fault.BUG:
        return str(error)
    return BUG_WORDS
