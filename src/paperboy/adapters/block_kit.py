"""The Slack Block Kit that paperboy sends, described as TypedDicts so that mypy checks every block it builds.

Only the blocks paperboy uses are here: header, section (mrkdwn text, a button beside it), context (mrkdwn
lines), actions (buttons). A TypedDict is a plain dict at run time, so what goes to Slack is exactly the dict
literal written in `slack_blocks.py`, and nothing is imported to describe it.

slack_sdk's own `slack_sdk.models.blocks` classes were the other way, and were left: their `to_dict()` sorts
the keys and adds `"emoji": true` to plain text, so the JSON sent would change, and the Slack SDK would be
imported wherever a digest is rendered, for a webhook too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict, cast


class PlainText(TypedDict):
    type: Literal["plain_text"]
    text: str


class Mrkdwn(TypedDict):
    type: Literal["mrkdwn"]
    text: str


class Button(TypedDict):
    type: Literal["button"]
    text: PlainText
    action_id: str
    value: str


class HeaderBlock(TypedDict):
    type: Literal["header"]
    text: PlainText


class SectionBlock(TypedDict):
    type: Literal["section"]
    text: Mrkdwn
    accessory: NotRequired[Button]


class ContextBlock(TypedDict):
    type: Literal["context"]
    elements: list[Mrkdwn]


class ActionsBlock(TypedDict):
    type: Literal["actions"]
    elements: list[Button]


Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock


class SlackMessage(TypedDict):
    """One message: `text` is the notification's words (and what a client without blocks shows)."""

    text: str
    blocks: list[Block]


def plain_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """`blocks` as the `dict` slack_sdk's signatures ask for. They are dicts already; only the type changes
    (mypy holds a TypedDict apart from `dict[str, Any]`)."""
    return cast(list[dict[str, Any]], list(blocks))
