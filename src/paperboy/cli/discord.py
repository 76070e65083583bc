"""`paperboy discord sync|invite`: register the `/papers` commands with Discord, or print the bot's invite URL."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from paperboy.clock import SystemClock
from paperboy.config import Settings
from paperboy.delivery import DigestRunner
from paperboy.errors import ConfigError
from paperboy.store import Store
from paperboy.wiring.services import chat_services

if TYPE_CHECKING:
    import discord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Set up the Discord bot: register its /papers commands, or print its invite URL."
    actions = parser.add_subparsers(dest="discord_action", metavar="ACTION", required=True)
    sync = actions.add_parser(
        "sync",
        help="register the /papers commands with Discord now",
        description="Register the /papers commands with Discord now, changed or not (paperboy run registers "
        "them itself when they change).",
    )
    sync.add_argument(
        "--guild", type=int, metavar="ID", help="register in this server only: visible at once, good for testing"
    )
    actions.add_parser(
        "invite",
        help="print the URL that adds the bot to a server",
        description="Print the URL that adds the bot to a server, with the bot and applications.commands scopes "
        "and only the permissions paperboy uses.",
    )


async def execute(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.discord.token:
        raise ConfigError("discord.token (or $PAPERBOY_DISCORD_TOKEN) is not set; copy the bot token into it first")
    from paperboy.adapters.discord_app import build_bot, log_in, sync_commands  # discord.py: only here

    async with await Store.open(settings.database.target) as store:
        clock = SystemClock()
        services = chat_services(store, settings, clock, DigestRunner(store, {}, clock))
        client, tree = build_bot(services, settings.discord)
        try:
            await log_in(client, settings.discord.token.reveal())
            if args.discord_action == "invite":
                return await invite(client, settings)
            count = await sync_commands(tree, store.markers, args.guild, force=True)
        finally:
            await client.close()
    where = f"in server {args.guild}" if args.guild else "globally (servers may take up to an hour to show changes)"
    print(f"registered {count} command(s) {where}")
    return 0


async def invite(client: discord.Client, settings: Settings) -> int:
    """Print the URL that adds the bot to a server, with the bot and applications.commands scopes and only the
    permissions paperboy uses."""
    from paperboy.adapters.discord_app import invite_url

    assert client.application_id is not None, "logging in tells the application id"
    print(invite_url(client.application_id, threads=settings.discord.long_digests_in_thread))
    return 0
