"""`paperboy digest` end to end: a console channel's digest previewed, sent, and not sent twice."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperboy.clock import OFFSET_ENV
from tests.cli.conftest import Cli
from tests.fakes.corpus import CorpusPaper, by_day, hf_item
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.webhooks import FakeWebhooks

pytestmark = pytest.mark.asyncio
LAB = ["--platform", "console", "--channel", "lab"]


async def subscribed(cli: Cli, config_path: Path, *settings: str) -> None:
    result = await cli("subscribe", *LAB, "--days", "daily", *settings, "--config", str(config_path))
    assert result.code == 0, result.stderr


async def test_dry_run_prints_the_digest_and_records_nothing(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await subscribed(cli, config_path, "--max", "3")
    preview = await cli("digest", "--now", "--dry-run", "--config", str(config_path))
    assert preview.code == 0, preview.stderr
    assert preview.stdout.startswith("== console:lab: Papers for ")
    numbered = [line[:4] for line in preview.stdout.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert numbered == [" 1. ", " 2. ", " 3. "]
    assert "\nand " in preview.stdout and " more" in preview.stdout
    again = await cli("digest", "--now", "--dry-run", "--config", str(config_path))
    assert again.stdout == preview.stdout, "nothing was recorded"


async def test_dry_run_shows_what_the_same_command_would_send(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await subscribed(cli, config_path)  # made now: its first post time is still to come
    preview = await cli("digest", "--dry-run", "--config", str(config_path))
    sent = await cli("digest", "--config", str(config_path))
    assert preview.stdout == sent.stdout
    assert preview.stdout.startswith("no digest is due; the next is at ")
    assert preview.stdout.rstrip().endswith(
        "for console:lab (paperboy digest --now sends every channel's now; add --dry-run to see them first)"
    )


async def test_now_sends_the_digest_once(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    await subscribed(cli, config_path, "--max", "3", "--filter", "model")
    sent = await cli("digest", "--now", "--config", str(config_path))
    assert sent.code == 0, sent.stderr
    assert "== console:lab: Papers for " in sent.stdout
    assert "matched: " in sent.stdout
    assert sent.stdout.rstrip().splitlines()[-1].startswith("console:lab ")
    assert sent.stdout.rstrip().endswith("sent 3 papers")
    again = await cli("digest", "--now", "--config", str(config_path))
    assert again.stdout.rstrip().endswith("nothing new, nothing sent")


async def test_a_channel_can_be_named_by_its_id_alone(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    await subscribed(cli, config_path)
    sent = await cli("digest", "--now", "--channel", "lab", "--config", str(config_path))
    assert sent.code == 0, sent.stderr
    unknown = await cli("digest", "--now", "--channel", "nope", "--config", str(config_path))
    assert unknown.code == 2
    assert unknown.stderr == "paperboy: error: no subscribed channel has the id nope; see paperboy subscriptions\n"


async def test_a_channel_named_with_its_platform_but_not_subscribed_exits_2(cli: Cli, config_path: Path) -> None:
    nope = ["--platform", "console", "--channel", "nope", "--config", str(config_path)]
    for args in (["--now"], ["--now", "--dry-run"], []):
        result = await cli("digest", *args, *nope)
        assert (result.code, result.stdout) == (2, ""), args
        assert result.stderr == "paperboy: error: console:nope is not subscribed; see paperboy subscriptions\n"


async def test_without_due_digests_it_says_so(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    await subscribed(cli, config_path)  # made now: its first post time is still to come
    result = await cli("digest", "--config", str(config_path))
    assert result.code == 0
    assert result.stdout.startswith("no digest is due; the next is at ")


async def digest_sending_to_a_stalled_webhook(
    cli: Cli, config: list[str], webhooks: FakeWebhooks, url: str
) -> asyncio.subprocess.Process:
    """`paperboy digest --now` for a webhook channel of 3 papers, started and in the middle of its post (the
    receiver stalls)."""
    await cli("subscribe", "--platform", "webhook", "--channel", url, "--max", "3", *config)
    webhooks.stall = 30
    process = await cli.start("digest", "--now", *config)
    async with asyncio.timeout(30):
        while not webhooks.payloads(url):  # noqa: ASYNC110 - waits for the fake server to receive
            await asyncio.sleep(0.01)
    return process


async def test_a_digest_process_killed_mid_send_is_finished_by_the_next_run(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], webhooks: FakeWebhooks
) -> None:
    url = webhooks.slack_url("kill")
    config = ["--config", str(config_path)]
    process = await digest_sending_to_a_stalled_webhook(cli, config, webhooks, url)
    process.kill()  # SIGKILL: no cleanup, no last words
    await process.wait()
    webhooks.stall = 0
    rerun = await cli("digest", *config)
    assert rerun.code == 0, rerun.stderr
    assert rerun.stdout.rstrip().endswith("sent 3 papers (resent)")
    first, repeat = webhooks.payloads(url)
    assert repeat["blocks"][0]["text"]["text"] == first["blocks"][0]["text"]["text"] + " (resent)"
    assert repeat["blocks"][1:] == first["blocks"][1:]
    again = await cli("digest", *config)
    assert again.stdout.startswith("no digest is due")
    assert len(webhooks.payloads(url)) == 2


async def test_a_webhook_token_never_reaches_the_logs(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], webhooks: FakeWebhooks
) -> None:
    url = webhooks.discord_url("secretive")
    config = ["--config", str(config_path)]
    await cli("subscribe", "--platform", "webhook", "--channel", url, *config)
    result = await cli("-vv", "digest", "--now", *config)  # -vv: every HTTP request is logged
    assert result.code == 0, result.stderr
    assert "/api/webhooks/secretive/" in result.stderr
    assert "token-secretive" not in result.stdout + result.stderr


async def test_channels_of_a_platform_without_a_token_are_named(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    config = ["--config", str(config_path)]
    await subscribed(cli, config_path)
    await cli("subscribe", "--platform", "slack", "--workspace", "T0456", "--channel", "C0123", *config)
    await cli("subscribe", "--platform", "discord", "--workspace", "42", "--channel", "1234567890", *config)
    sent = await cli("digest", "--now", *config)
    assert sent.code == 1
    lines = sent.stdout.splitlines()
    assert any(line.startswith("console:lab ") and line.endswith("sent 10 papers") for line in lines)
    assert any(line.startswith("slack:T0456/C0123 ") and "not sent: no Slack bot token" in line for line in lines)
    assert any(line.startswith("discord:42/1234567890 ") and "not sent: no Discord bot token" in line for line in lines)


async def test_a_filter_that_no_longer_reads_stops_only_its_channel(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    config = ["--config", str(config_path)]
    await subscribed(cli, config_path)
    await cli("subscribe", "--platform", "console", "--channel", "broken", "--days", "daily", *config)
    with sqlite3.connect(config_path.parent / "paperboy.db") as conn:  # as an older paperboy could have stored it
        conn.execute("UPDATE subscriptions SET filter = 'since:140000d' WHERE channel = 'broken'")
    sent = await cli("digest", "--now", *config)
    assert sent.code == 1, sent.stderr
    assert "unexpected" not in sent.stderr
    assert "console:lab " in sent.stdout and "sent 10 papers" in sent.stdout
    assert "console:broken " in sent.stdout and "subscription paused" in sent.stdout
    listed = await cli("subscriptions", *config)
    [broken] = [line for line in listed.stdout.splitlines() if line.startswith("console:broken")]
    assert "PAUSED: its filter (since:140000d) cannot be read" in broken


async def test_a_digest_fetches_first_when_the_papers_are_not_fresh(
    cli: Cli, config_path: Path, hf_server: FakeHuggingFace
) -> None:
    today = datetime.now(UTC).date()
    hf_server.days[today.isoformat()] = [hf_item(p) for p in by_day()[date(2025, 1, 16)]]
    await subscribed(cli, config_path, "--max", "3")
    sent = await cli("digest", "--now", "--config", str(config_path))
    assert sent.code == 0, sent.stderr
    assert sent.stdout.rstrip().endswith("sent 3 papers")
    assert hf_server.requests_to("/api/daily_papers")


async def test_a_digest_right_after_a_fetch_does_not_fetch_again(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], hf_server: FakeHuggingFace
) -> None:
    await subscribed(cli, config_path)
    asked = len(hf_server.requests_to("/api/daily_papers"))
    sent = await cli("digest", "--now", "--config", str(config_path))
    assert sent.code == 0, sent.stderr
    assert len(hf_server.requests_to("/api/daily_papers")) == asked


def digests_recorded(config_path: Path) -> int:
    with sqlite3.connect(config_path.parent / "paperboy.db") as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM digests").fetchall()
    return int(count)


async def test_a_channel_named_without_now_gets_no_digest_before_it_is_due(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await subscribed(cli, config_path)  # made now: its first post time is still to come
    result = await cli("digest", "--channel", "lab", "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("console:lab: not due; the next is at ")
    assert result.stdout.rstrip().endswith("(add --now to send it now, or --dry-run --now to see it first)")
    assert digests_recorded(config_path) == 0
    preview = await cli("digest", "--channel", "lab", "--dry-run", "--config", str(config_path))
    assert preview.stdout == result.stdout


async def test_a_channel_named_without_now_gets_its_digest_once_it_is_due(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await subscribed(cli, config_path, "--max", "3")
    await cli(
        "subscribe", "--platform", "console", "--channel", "other", "--days", "daily", "--config", str(config_path)
    )
    later = {OFFSET_ENV: "25h"}  # past the next post time of both channels
    result = await cli("digest", "--channel", "lab", "--config", str(config_path), env=later)
    assert result.code == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("console:lab ")
    assert result.stdout.rstrip().endswith("sent 3 papers")
    assert "console:other" not in result.stdout, "only the channel named"


async def test_a_workspace_without_a_channel_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("digest", "--workspace", "T1", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == "paperboy: error: --workspace needs --channel too, like --workspace T0123 --channel C0123\n"


async def test_a_dry_run_exits_as_the_real_run_would(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    config = ["--config", str(config_path)]
    await subscribed(cli, config_path)
    await cli("subscribe", "--platform", "discord", "--workspace", "42", "--channel", "1234567890", *config)
    preview = await cli("digest", "--now", "--dry-run", *config)
    assert "would not be sent: no Discord bot token is configured" in preview.stdout
    sent = await cli("digest", "--now", *config)
    assert (preview.code, sent.code) == (1, 1)
    alone = await cli("digest", "--now", "--dry-run", "--channel", "lab", *config)
    assert alone.code == 0, "the channel it is about can be served"


async def test_a_dry_run_shows_a_weekly_channels_digest_of_the_week(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    await subscribed(cli, config_path, "--days", "weekly on fri", "--max", "3")
    # the clock on Friday 17 January 2025, the day after the papers' day
    back = datetime.now(UTC) - datetime(2025, 1, 17, 12, 0, tzinfo=UTC)
    env = {OFFSET_ENV: f"-{int(back.total_seconds())}s"}
    preview = await cli("digest", "--now", "--dry-run", "--config", str(config_path), env=env)
    assert preview.code == 0, preview.stderr
    assert preview.stdout.startswith("== console:lab: Papers for the week to Fri 17 Jan 2025: 3 new papers")
    best = sorted(fetched, key=lambda p: (p.upvotes, p.id), reverse=True)[:3]
    assert [
        line.split(". ", 1)[1] for line in preview.stdout.splitlines() if line[:3].strip().rstrip(".").isdigit()
    ] == [p.title for p in best]


async def test_sigterm_stops_a_digest_mid_send_in_one_line_and_leaves_no_process_behind(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], webhooks: FakeWebhooks
) -> None:
    url = webhooks.slack_url("term")
    config = ["--config", str(config_path)]
    process = await digest_sending_to_a_stalled_webhook(cli, config, webhooks, url)
    process.send_signal(signal.SIGTERM)  # docker stop, a timeout
    assert process.stderr is not None
    async with asyncio.timeout(10):
        said = (await process.stderr.read()).decode()
        code = await process.wait()
    webhooks.stall = 0
    assert code == 128 + signal.SIGTERM
    assert said.rstrip().endswith("paperboy: error: stopped by SIGTERM") and "Traceback" not in said
    status = await cli("status", "--json", *config)
    assert status.code == 0 and json.loads(status.stdout)["processes"] == []
