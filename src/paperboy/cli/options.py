"""Argument types shared by sub-commands, with messages in the house style."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta


def day(text: str) -> date:
    """`YYYY-MM-DD`, `today` or `yesterday` (UTC)."""
    today = datetime.now(UTC).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text.lower() in named:
        return named[text.lower()]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a date; write it as YYYY-MM-DD, like 2025-01-16') from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'"{text}" is not a positive whole number')
    return value
