"""What an error answer from Slack's Web API says, read safely: Slack answers its own JSON
(`{"ok": false, "error": "invalid_auth"}`), but a proxy or an outage answers HTML or plain text, and slack_sdk
then holds a string where the JSON would be."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`invalid_auth`, `channel_not_found`), or `http_503` when the answer was not Slack's
    JSON."""
    data = error.response.data
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return f"http_{error.response.status_code}"


def detail(error: SlackApiError, key: str) -> object:
    """A field of Slack's JSON answer, or None when the answer was not JSON."""
    data = error.response.data
    return data.get(key) if isinstance(data, dict) else None


def is_outage(error: SlackApiError) -> bool:
    """Slack failed (a 5xx) or something else answered in its place: waiting may fix it."""
    return error.response.status_code >= 500 or not isinstance(error.response.data, dict)


#: what slack_sdk lets through when Slack cannot be reached or does not answer in time (no answer to read)
UNREACHABLE = (TimeoutError, aiohttp.ClientError, OSError)


def web_api_problem(error: BaseException) -> str | None:
    """What went wrong asking Slack's Web API, in a few words for a log line; None when `error` is not about
    Slack's Web API."""
    if isinstance(error, SlackApiError):
        return error_code(error)
    if isinstance(error, TimeoutError):
        return "Slack did not answer in time"
    if isinstance(error, aiohttp.ClientError | OSError):
        return f"Slack cannot be reached ({type(error).__name__})"
    return None
