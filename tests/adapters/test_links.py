"""Every renderer shows a digest paper's links alike: the same links in the same order, each in its markup."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from paperboy.adapters.console import digest_text
from paperboy.adapters.discord_embeds import discord_messages
from paperboy.adapters.slack_blocks import slack_messages
from paperboy.digest import Digest
from paperboy.models import ChannelRef, Platform
from tests.fakes.digests import items

DIGEST = Digest(ChannelRef(Platform.WEBHOOK, "u"), date(2025, 1, 16), items(1))
PAGE, ABSTRACT, PDF, CODE = (
    "https://huggingface.co/papers/2501.00001",
    "https://arxiv.org/abs/2501.00001",
    "https://arxiv.org/pdf/2501.00001",
    "https://github.com/x/y",
)


def test_slack_shows_every_link_of_a_digest_paper() -> None:
    section = slack_messages(DIGEST)[0]["blocks"][1]["text"]["text"]
    links = f"<{PAGE}|Hugging Face> · <{ABSTRACT}|arXiv> · <{PDF}|PDF> · <{CODE}|code>"
    assert section.endswith(f"{links} · similar: `/papers similar 2501.00001`")


def test_discord_shows_every_link_of_a_digest_paper() -> None:
    description = discord_messages(DIGEST)[0]["embeds"][0]["description"]
    assert f"[Hugging Face]({PAGE}) · [arXiv]({ABSTRACT}) · [PDF]({PDF}) · [code]({CODE})" in description


def test_the_console_shows_every_link_of_a_digest_paper() -> None:
    assert f"    {PAGE} · {ABSTRACT} · {PDF} · {CODE}" in digest_text(DIGEST).splitlines()


def test_discord_says_how_to_find_similar_papers() -> None:
    description = discord_messages(DIGEST)[0]["embeds"][0]["description"]
    assert f"[code]({CODE}) · similar: `/papers similar 2501.00001`" in description


def test_the_console_says_how_to_find_similar_papers() -> None:
    assert "    similar: paperboy similar 2501.00001" in digest_text(DIGEST).splitlines()


def test_the_console_says_how_to_find_what_a_digest_left_out_with_the_cli() -> None:
    digest = replace(DIGEST, id=12, left_out=3)
    assert digest_text(digest).splitlines()[-1] == "and 3 more: paperboy search more:12"


def test_chats_say_how_to_find_what_a_digest_left_out_with_the_slash_command() -> None:
    digest = replace(DIGEST, id=12, left_out=3)
    assert slack_messages(digest)[-1]["blocks"][-1]["elements"][0]["text"] == "and 3 more: /papers search more:12"
