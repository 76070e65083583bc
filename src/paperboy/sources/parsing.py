"""Small, forgiving readers for fields of source payloads, shared by every source."""

from __future__ import annotations

from datetime import UTC, datetime


def clean_text(value: object) -> str:
    """Text with line breaks and runs of spaces collapsed to single spaces; non-text becomes ''."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def optional_text(value: object) -> str | None:
    text = clean_text(value)
    return text or None


def optional_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def optional_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp (`2025-01-16T18:59:59Z`, `…00.000Z`, a bare date) in UTC, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def text_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text for text in (clean_text(item) for item in value) if text)
