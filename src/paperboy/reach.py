"""A service paperboy could not reach, said the same way wherever it happens (fetching, `paperboy doctor`, the
Slack and Discord start-up): "cannot reach Slack at https://slack.com (connection refused)", "Hugging Face did
not answer within 10 s". The reason is found in words whichever HTTP library failed (httpx, aiohttp), however
deep it buried the operating system's error."""

from __future__ import annotations

import errno
import os
import re
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

#: how many errors deep a reason is looked for (httpx wraps the socket's error three times)
_DEPTH = 12
_ERRNO = re.compile(r"\[Errno (-?\d+)\]")


def origin(url: str) -> str:
    """`https://slack.com/api/` → `https://slack.com`: where a service is, without a path that may hold a
    secret (a webhook's)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}" if parts.netloc else url


def cannot_reach(service: str, url: str, error: BaseException) -> str:
    """`cannot reach Slack at https://slack.com (connection refused)`."""
    return f"cannot reach {service} at {origin(url)} ({connection_reason(error)})"


def no_answer(service: str, seconds: float) -> str:
    """`Hugging Face did not answer within 10 s`."""
    return f"{service} did not answer within {seconds:g} s"


def connection_reason(error: BaseException) -> str:
    """Why a connection failed, in a few lower-case words: "connection refused", "unknown host name", …"""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLError):
            said = getattr(cause, "verify_message", None) or cause.reason or str(cause)
            return f"TLS failed: {said}"
        if isinstance(cause, socket.gaierror):
            return _lookup_failure(cause.errno)
        if isinstance(cause, OSError) and cause.errno is not None and cause.errno in errno.errorcode:
            return os.strerror(cause.errno).lower()
    text = str(error)
    number = _ERRNO.search(text)
    if number and int(number[1]) in errno.errorcode:
        return os.strerror(int(number[1])).lower()
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return text or type(error).__name__


def _lookup_failure(code: int | None) -> str:
    if code == socket.EAI_AGAIN:
        return "the host name could not be looked up just now"
    return "unknown host name"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it wraps: its cause and context, aiohttp's `os_error`, an exception group's members."""
    waiting: list[BaseException] = [error]
    seen: set[int] = set()
    while waiting and len(seen) < _DEPTH:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = getattr(current, "os_error", None)
        if isinstance(inner, BaseException):
            waiting.append(inner)
        if isinstance(current, BaseExceptionGroup):
            waiting.extend(current.exceptions)
        waiting.extend(e for e in (current.__cause__, current.__context__) if e is not None)
