"""Logging set-up: one line per event on stderr, with every configured secret masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


#: incoming-webhook URLs carry their secret in the path: Discord …/api/webhooks/ID/TOKEN, Slack …/services/T/B/TOKEN
_WEBHOOK_TOKEN = re.compile(r"(/api/webhooks/[^/\s]+/|/services/[^/\s]+/[^/\s]+/)[^/\s?#\"']+")


#: an Atom feed's address carries its secret token: /feeds/TOKEN.atom (feeds.py)
_FEED_TOKEN = re.compile(r"(/feeds/)[A-Za-z0-9_-]+(\.atom)")


def redact_webhook_urls(text: str) -> str:
    """The text with the secret part of every incoming-webhook URL and Atom feed address starred out."""
    return _FEED_TOKEN.sub(r"\1********\2", _WEBHOOK_TOKEN.sub(r"\1********", text))


class RedactSecrets(logging.Filter):
    """Replaces any secret's text in a record with stars, whatever logged it (ours or a library's): the
    configured secrets, and the tokens in incoming-webhook URLs (subscriptions add those at any time)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # longest first, so a secret that contains another is masked whole
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_webhook_urls(message)
        for secret in self._secrets:
            redacted = redacted.replace(secret, "********")
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_webhook_urls(record.exc_text)
            for secret in self._secrets:
                record.exc_text = record.exc_text.replace(secret, "********")
        return True


def setup_logging(level: str, secrets: Iterable[str] = (), verbose: int = 0) -> None:
    """Configure the root logger. `verbose` (-v count) lowers the level: 1 → DEBUG for paperboy,
    2 → DEBUG for the HTTP libraries too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else level.upper())
    # request-by-request lines from the HTTP stack are noise unless asked for
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    # APScheduler narrates adding and starting jobs; paperboy logs what the jobs did
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # discord.py and slack-bolt narrate logins and connections; paperboy's start-up line says what is served
    for chatty in ("discord", "slack_bolt", "slack_sdk"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    # aiosqlite logs every call with its arguments: whole batches of papers, never useful
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
