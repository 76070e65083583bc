"""Secrets never reach the log, whoever logs them and however."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from paperboy.log import RedactSecrets, setup_logging

TOKEN = "xoxb-1234-secret-token"


@pytest.fixture
def logger(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    caplog.handler.addFilter(RedactSecrets([TOKEN, "hf_abc"]))
    caplog.set_level(logging.DEBUG)
    return logging.getLogger("some.library")


def test_secret_in_the_message_is_masked(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    logger.info(f"Authorization: Bearer {TOKEN}")
    assert caplog.text.strip().endswith("Authorization: Bearer ********")


def test_secret_in_the_arguments_is_masked(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    logger.warning("calling with %s and %d", TOKEN, 3)
    assert TOKEN not in caplog.text
    assert "calling with ******** and 3" in caplog.text


def test_secret_in_a_traceback_is_masked(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError(f"bad token {TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    assert "RuntimeError: bad token ********" in caplog.text
    assert TOKEN not in caplog.text


def test_every_secret_is_masked(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    logger.info("%s %s", TOKEN, "hf_abc")
    assert "******** ********" in caplog.text


def test_very_short_values_are_not_treated_as_secrets() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a b c", None, None)
    RedactSecrets(["a"]).filter(record)
    assert record.getMessage() == "a b c"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it: setup_logging replaces its handlers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_verbose_lowers_the_level_to_debug() -> None:
    setup_logging("WARNING", verbose=1)
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("httpx").level == logging.WARNING
    setup_logging("WARNING", verbose=2)
    assert logging.getLogger("httpx").level == logging.DEBUG
    setup_logging("INFO")
    assert logging.getLogger().level == logging.INFO


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://discord.com/api/webhooks/123/abcDEF_token", "https://discord.com/api/webhooks/123/********"),
        ("https://hooks.slack.com/services/T01/B02/XyZsecret", "https://hooks.slack.com/services/T01/B02/********"),
        (
            "https://discord.com/api/webhooks/123/tok?wait=true",
            "https://discord.com/api/webhooks/123/********?wait=true",
        ),
    ],
)
def test_webhook_tokens_are_masked(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture, url: str, shown: str
) -> None:
    logger.debug('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    assert shown in caplog.text


def test_feed_tokens_are_masked(logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    logger.info('GET %s "HTTP/1.1 200 OK"', "https://paperboy.example.org/feeds/Zq3-x_9AbC.atom")
    assert "https://paperboy.example.org/feeds/********.atom" in caplog.text and "Zq3-x_9AbC" not in caplog.text
