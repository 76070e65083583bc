"""The front of Slack's HTTP mode, which is on the internet: a request is checked before anything reads it.

Before bolt sees a request to the events path, its body is read (at most `MAX_BODY_BYTES`, else 413; within
`READ_SECONDS`, else 408), its v0 signature is checked over those raw bytes with the signing secret, and its
timestamp must be a whole number within `WINDOW_SECONDS` of the clock (else 401). Only then is the body decoded
as bolt will decode it (a signed body that cannot be: 400), and its signature recorded as seen: the same signed
request sent again is not acted on (401). Each refusal is counted; the log says so at most once a minute, in
one line, so that a flood of junk is one line rather than a traceback each. A signed request no listener of
paperboy's handles (bolt's 404: a button of another app version, an empty body) is counted the same way. The
install page's "too many installs in progress" is answered here too (429). At a stop, bodies still arriving
are not waited for (503).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from slack_bolt.adapter.aiohttp import to_bolt_request

from paperboy.errors import Fault, PaperboyError

log = logging.getLogger(__name__)

#: the largest body taken (Slack's payloads are a few kilobytes; this is generous)
MAX_BODY_BYTES = 1 << 20
#: how long a body may take to arrive; a client trickling it in is cut off
READ_SECONDS = 10.0
#: a timestamp further than this from the clock, either way, is refused (Slack's own advice: 5 minutes)
WINDOW_SECONDS = 300
#: refusals after one that was logged are summed up in one line this much later
SUMMARY_SECONDS = 60.0
#: how long a busy install page asks the browser to wait
INSTALL_RETRY_SECONDS = 60

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
#: a whole number, but not one a timestamp can be (negative, or thousands of years away)
_NUMBER = re.compile(r"[+-]?[0-9]+")
#: aiohttp's own logger for requests it cannot parse (bad chunking, bad headers): an error with a traceback each
AIOHTTP_SERVER_LOG = logging.getLogger("aiohttp.server")


class SeenRequests(Protocol):
    """Where signatures already acted on are kept (paperboy's database, shared by its processes)."""

    async def first_time(self, signature: str, now: datetime) -> bool:
        """Record `signature` as seen at `now`; whether it had not been seen before."""
        ...


class InstallsBusy(PaperboyError):
    """Too many installs are in progress at once (the install page is public, and each open of it is kept)."""

    fault = Fault.RETRYABLE

    def __init__(self) -> None:
        super().__init__("Too many installs of paperboy are in progress; please try again in a few minutes.")


class Refused(PaperboyError):
    """A request to the events path that is not acted on: `status` is the answer, the message its reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Refusals:
    """Counts refused requests. The first is logged at once, as one line; the ones that follow within
    `every` seconds are summed up in one line when that time is up: at most a line a minute, whatever comes."""

    def __init__(self, every: float = SUMMARY_SECONDS) -> None:
        self._every = every
        self._pending: Counter[str] = Counter()
        self._logged_at: float | None = None
        self._summary: asyncio.TimerHandle | None = None

    def add(self, reason: str, remote: str | None) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._pending[reason] += 1
        if self._summary is not None:
            return
        if self._logged_at is None or now - self._logged_at >= self._every:
            self._pending.clear()
            self._logged_at = now
            log.warning(
                "refused a request to Slack's HTTP endpoint from %s: %s; further refusals are summed up in "
                "one line a minute at most",
                remote or "an unknown address",
                reason,
            )
            return
        self._summary = loop.call_at(self._logged_at + self._every, self.flush)

    def flush(self) -> None:
        """Log the refusals not yet logged, if any, in one line."""
        if self._summary is not None:
            self._summary.cancel()
            self._summary = None
        if not self._pending:
            return
        count = sum(self._pending.values())
        reasons = "; ".join(f"{reason}: {times}" for reason, times in self._pending.most_common())
        requests = "request" if count == 1 else "requests"
        log.warning("refused %d more %s to Slack's HTTP endpoint (%s)", count, requests, reasons)
        self._pending.clear()
        self._logged_at = asyncio.get_running_loop().time()


class QuietMalformedHttp(logging.Filter):
    """aiohttp logs each request it cannot even parse (broken chunking, bad header bytes) as an error with a
    traceback, before any handler runs; anyone can send those. Here they are counted as refusals instead (the
    logger is aiohttp's, so this holds for any aiohttp server in the process while Slack's is up)."""

    def __init__(self, refusals: Refusals) -> None:
        super().__init__()
        self._refusals = refusals

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        try:
            self._refusals.add("malformed HTTP", None)
        except RuntimeError:  # no running loop: leave the record as it is
            return True
        return False


class RequestGuard:
    """The checks in front of bolt's handler for `path`, with `signing_secret` and the `seen` signatures."""

    def __init__(
        self,
        path: str,
        signing_secret: str,
        seen: SeenRequests,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._path = path
        self._secret = signing_secret.encode()
        self._seen = seen
        self._clock = clock
        self.refusals = Refusals()
        #: the deadlines of the bodies being read, brought forward to now at a stop
        self._reading: set[asyncio.Timeout] = set()
        self._stopping = False

    def stop_reading(self) -> None:
        """A stop: bodies still arriving (a slow or stuck client) are cut off now rather than waited for."""
        self._stopping = True
        now = asyncio.get_running_loop().time()
        for deadline in self._reading:
            deadline.reschedule(now)

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if request.method != "POST" or request.path != self._path:
                return await handler(request)
            answered = await self.check(request)
            if answered is not None:
                return answered
            response = await handler(request)
            if response.status == 404:  # signed, but nothing of paperboy's handles it (bolt logs it at debug)
                self.refusals.add("a signed request paperboy does not handle (404)", request.remote)
            return response
        except Refused as refused:
            self.refusals.add(f"{refused} ({refused.status})", request.remote)
            return web.Response(status=refused.status, text=f"{refused}\n")
        except InstallsBusy as busy:
            self.refusals.add("too many installs in progress (429)", request.remote)
            return web.Response(status=429, text=f"{busy}\n", headers={"Retry-After": str(INSTALL_RETRY_SECONDS)})

    async def check(self, request: web.Request) -> web.Response | None:
        """Raise `Refused` unless `request` is signed, fresh, readable by bolt and new (then None: bolt answers
        it). A Slack retry of a request already acted on is answered here, without acting on it again."""
        body = await self._read(request)
        now = self._clock()
        signature = self._verify(request, body, now)
        try:
            # what bolt's handler will do next, on the body now cached in the request: whatever it cannot read
            # (an unknown charset, bytes that are not UTF-8, a form body said to be JSON) is a bad request
            await to_bolt_request(request)
        except Exception:
            raise Refused(400, "the request body could not be read") from None
        try:
            first = await self._seen.first_time(signature, datetime.fromtimestamp(now, UTC))
        except PaperboyError as error:
            raise Refused(503, f"replays cannot be checked: {error}") from None
        if first:
            return None
        if "X-Slack-Retry-Num" in request.headers:
            # Slack delivers an event again (same body, X-Slack-Retry-Num) when its first delivery was not
            # answered within 3 s or got an error. A retry whose signature was already seen is one paperboy
            # acted on already: it is answered 200 with X-Slack-No-Retry (Slack stops retrying) and not acted
            # on twice. A 401 would count as a failed delivery, and Slack turns off an app's events when most
            # deliveries fail. The header is not signed, so anyone replaying a request can add it: they get the
            # same empty 200 and nothing more. (A retry stamped anew has a new signature and goes to bolt.)
            log.debug("Slack retried a request already acted on (retry %s)", request.headers["X-Slack-Retry-Num"])
            return web.Response(status=200, headers={"X-Slack-No-Retry": "1"})
        raise Refused(401, "a request already seen (a replay)")

    async def _read(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise Refused(413, "a body over 1 MiB")
        if self._stopping:
            raise Refused(503, "paperboy is stopping")
        try:
            async with asyncio.timeout(READ_SECONDS) as deadline:
                self._reading.add(deadline)
                try:
                    # read() keeps the bytes in the request: bolt's handler gets these very bytes afterwards
                    body = await request.read()
                finally:
                    self._reading.discard(deadline)
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "a body over 1 MiB") from None
        except TimeoutError:
            if self._stopping:
                raise Refused(503, "paperboy is stopping") from None
            raise Refused(408, f"a body not sent within {READ_SECONDS:.0f} s") from None
        except OSError:  # the client hung up half-way; the answer goes nowhere, but it is counted
            raise Refused(400, "a body cut short") from None
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, "a body over 1 MiB")
        return body

    def _verify(self, request: web.Request, body: bytes, now: float) -> str:
        """The request's signature, once it is known to be Slack's for this body and recent."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if timestamp is None or signature is None:
            raise Refused(401, "no signature")
        if not _TIMESTAMP.fullmatch(timestamp):
            if _NUMBER.fullmatch(timestamp):
                raise Refused(401, "a timestamp out of range")
            raise Refused(401, "a timestamp that is not a whole number")
        if abs(now - int(timestamp)) > WINDOW_SECONDS:
            raise Refused(401, "a timestamp more than 5 minutes from the clock")
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode("utf-8", "replace")):
            raise Refused(401, "a wrong signature")
        return signature


def guard(web_app: web.Application, path: str, signing_secret: str, seen: SeenRequests) -> RequestGuard:
    """Put the checks in front of `web_app` (bolt's aiohttp app, before it starts) for POSTs to `path`; also
    count, rather than log with a traceback each, the requests aiohttp cannot parse while it runs, and cut off
    the bodies still arriving when it shuts down."""
    checks = RequestGuard(path, signing_secret, seen)
    quiet = QuietMalformedHttp(checks.refusals)

    async def start(_: web.Application) -> None:
        AIOHTTP_SERVER_LOG.addFilter(quiet)

    async def shutting_down(_: web.Application) -> None:
        checks.stop_reading()

    async def stop(_: web.Application) -> None:
        AIOHTTP_SERVER_LOG.removeFilter(quiet)
        checks.refusals.flush()

    @web.middleware
    async def checked(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await checks(request, handler)

    web_app.middlewares.append(checked)
    web_app.on_startup.append(start)
    # aiohttp's runner calls on_shutdown before it waits for the requests in progress
    web_app.on_shutdown.append(shutting_down)
    web_app.on_cleanup.append(stop)
    return checks
