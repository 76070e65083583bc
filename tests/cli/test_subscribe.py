"""`paperboy subscribe`, `subscriptions` and `unsubscribe` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, config_text
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.slack import TOKEN, FakeSlack

pytestmark = pytest.mark.asyncio
CHANNEL = ["--platform", "slack", "--workspace", "T0456", "--channel", "C0123"]
WEBHOOK = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"


async def test_subscribe_list_and_unsubscribe(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    made = await cli("subscribe", *CHANNEL, "--filter", "diffusion | flow", "--time", "8:30", *config)
    assert made.code == 0, made.stderr
    assert made.stdout == (
        "subscribed slack:T0456/C0123: 08:30 UTC, mon-fri; filter: diffusion OR flow; up to 10 papers\n"
    )
    listed = json.loads((await cli("subscriptions", "--json", *config)).stdout)
    assert [(s["channel"], s["filter"], s["time"]) for s in listed] == [("C0123", "diffusion OR flow", "08:30")]
    gone = await cli("unsubscribe", *CHANNEL, *config)
    assert gone.stdout == "unsubscribed slack:T0456/C0123\n"
    empty = await cli("subscriptions", *config)
    assert empty.stdout == "no channel is subscribed; add one with paperboy subscribe\n"


async def test_subscribing_again_updates_the_given_settings(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", *CHANNEL, "--filter", "diffusion", *config)
    changed = await cli(
        "subscribe", *CHANNEL, "--days", "daily", "--max", "3", "--min-upvotes", "5", "--post-empty", *config
    )
    assert changed.stdout == (
        "subscribed slack:T0456/C0123: 09:00 UTC, daily; filter: diffusion; up to 3 papers; "
        "at least 5 upvotes; posts on empty days\n"
    )


async def test_one_upvote_and_one_paper_are_said_in_the_singular(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", *CHANNEL, "--max", "1", "--min-upvotes", "1", "--config", str(config_path))
    assert made.code == 0, made.stderr
    assert made.stdout.endswith("; up to 1 paper; at least 1 upvote\n")


@pytest.fixture
def tokyo_config(tmp_path: Path, hf_server: FakeHuggingFace) -> Path:
    path = tmp_path / "tokyo.toml"
    path.write_text(config_text(hf_server, extra='[digest]\ntime = "07:15"\ntimezone = "Asia/Tokyo"\ndays = "daily"\n'))
    return path


async def test_the_configs_digest_defaults_apply(cli: Cli, tokyo_config: Path) -> None:
    made = await cli("subscribe", "--platform", "console", "--channel", "lab", "--config", str(tokyo_config))
    assert made.stdout.startswith("subscribed console:lab: 07:15 Asia/Tokyo, daily;")


async def test_a_bad_filter_exits_2_with_the_languages_message(cli: Cli, config_path: Path) -> None:
    result = await cli("subscribe", *CHANNEL, "--filter", "titel:x", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == 'paperboy: error: unknown field "titel" at column 1 — did you mean "title"?\n'


async def test_a_bad_time_zone_exits_2(cli: Cli, config_path: Path) -> None:
    result = await cli("subscribe", *CHANNEL, "--timezone", "Mars/Olympus", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr.startswith("paperboy: error: time zone: ")


async def test_unsubscribing_an_unknown_channel_exits_2(cli: Cli, config_path: Path) -> None:
    result = await cli("unsubscribe", *CHANNEL, "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == (
        "paperboy: error: slack:T0456/C0123 is not subscribed (paperboy subscriptions lists them)\n"
    )


async def test_unsubscribing_an_unknown_webhook_fingerprint_names_the_fingerprint(cli: Cli, config_path: Path) -> None:
    result = await cli("unsubscribe", "--platform", "webhook", "--channel", "#deadbeef", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == (
        "paperboy: error: webhook channel #deadbeef is not subscribed (paperboy subscriptions lists them)\n"
    )


async def test_a_webhook_url_is_not_printed(cli: Cli, config_path: Path) -> None:
    url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    made = await cli("subscribe", "--platform", "webhook", "--channel", url, "--config", str(config_path))
    listed = await cli("subscriptions", "--config", str(config_path))
    assert made.code == 0
    assert "SECRET" not in made.stdout + listed.stdout
    assert "webhook:https://hooks.slack.com/…#" in listed.stdout


async def test_two_webhooks_on_one_host_are_told_apart(cli: Cli, config_path: Path) -> None:
    urls = [f"https://hooks.slack.com/services/T000/B00{n}/SECRET{n}SECRET" for n in (1, 2)]
    for url in urls:
        made = await cli("subscribe", "--platform", "webhook", "--channel", url, "--config", str(config_path))
        assert made.code == 0, made.stderr
    listed = await cli("subscriptions", "--config", str(config_path))
    as_json = await cli("subscriptions", "--json", "--config", str(config_path))
    shown = [line.split(": ", 1)[0] for line in listed.stdout.splitlines()]
    assert len(set(shown)) == 2
    assert len({entry["channel"] for entry in json.loads(as_json.stdout)}) == 2
    assert "SECRET" not in listed.stdout + as_json.stdout


async def test_a_filter_can_be_cleared(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", *CHANNEL, "--filter", "diffusion", *config)
    cleared = await cli("subscribe", *CHANNEL, "--no-filter", *config)
    assert cleared.code == 0, cleared.stderr
    assert "no filter (every paper)" in cleared.stdout
    both = await cli("subscribe", *CHANNEL, "--filter", "x", "--no-filter", *config)
    assert both.code == 2


@pytest.fixture
def slack_config(tmp_path: Path, hf_server: FakeHuggingFace, slack_server: FakeSlack) -> Path:
    path = tmp_path / "slack.toml"
    path.write_text(config_text(hf_server, extra=f'[slack]\napi_base_url = "{slack_server.api_url}"\n'))
    return path


async def test_a_slack_channel_without_workspace_takes_the_bot_tokens(cli: Cli, slack_config: Path) -> None:
    config = ["--config", str(slack_config)]
    made = await cli("subscribe", "--platform", "slack", "--channel", "C0123", *config, env={"SLACK_BOT_TOKEN": TOKEN})
    assert made.code == 0, made.stderr
    assert made.stdout.startswith("subscribed slack:T0456/C0123:")
    gone = await cli("unsubscribe", "--platform", "slack", "--channel", "C0123", *config)
    assert gone.stdout == "unsubscribed slack:T0456/C0123\n"


async def test_a_slack_channel_without_workspace_or_token_asks_for_it(cli: Cli, slack_config: Path) -> None:
    made = await cli("subscribe", "--platform", "slack", "--channel", "C0123", "--config", str(slack_config))
    assert made.code == 2
    assert made.stderr.startswith("paperboy: error: pass --workspace with the channel's Slack team id (T…)")


async def test_a_refused_bot_token_is_named_not_shown(cli: Cli, slack_config: Path) -> None:
    made = await cli(
        "subscribe",
        "--platform",
        "slack",
        "--channel",
        "C1",
        "--config",
        str(slack_config),
        env={"SLACK_BOT_TOKEN": "xoxb-wrong"},
    )
    assert made.code == 2
    assert made.stderr.startswith("paperboy: error: Slack refused slack.bot_token (invalid_auth)")
    assert "xoxb-wrong" not in made.stderr


async def test_a_webhook_is_unsubscribed_by_the_fingerprint_it_is_shown_with(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
    await cli("subscribe", "--platform", "webhook", "--channel", url, *config)
    [listed] = json.loads((await cli("subscriptions", "--json", *config)).stdout)
    gone = await cli("unsubscribe", "--platform", "webhook", "--channel", listed["channel"], *config)
    assert gone.code == 0, gone.stderr
    assert "SECRET" not in gone.stdout
    assert json.loads((await cli("subscriptions", "--json", *config)).stdout) == []


async def test_a_filter_with_a_lower_case_or_is_kept_as_written_with_a_hint(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", *CHANNEL, "--filter", 'diffusion or "flow matching"', "--config", str(config_path))
    assert made.code == 0, made.stderr
    assert made.stdout == (
        'subscribed slack:T0456/C0123: 09:00 UTC, mon-fri; filter: diffusion or "flow matching"; up to 10 papers\n'
    )
    assert made.stderr.startswith('paperboy: hint: did you mean OR? "or" at column 11 is searched as a word')


async def test_a_filter_with_a_lower_case_not_is_hinted_with_the_word_that_follows(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", *CHANNEL, "--filter", "llm not survey", "--config", str(config_path))
    assert made.code == 0, made.stderr
    assert "write NOT (or -survey) to leave out what follows" in made.stderr


async def test_a_category_filter_is_kept_in_arxivs_spelling(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", *CHANNEL, "--filter", "cat:CS.cl", "--config", str(config_path))
    assert "filter: cat:cs.CL;" in made.stdout
    assert made.stderr == ""


async def test_a_weekly_digest_is_subscribed_and_listed(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    made = await cli("subscribe", *CHANNEL, "--days", "weekly on monday", "--timezone", "Europe/Berlin", *config)
    assert made.code == 0, made.stderr
    assert (
        made.stdout == "subscribed slack:T0456/C0123: 09:00 Europe/Berlin, weekly on mon; no filter (every paper); "
        "up to 10 papers\n"
    )
    listed = await cli("subscriptions", *config)
    assert "09:00 Europe/Berlin, weekly on mon;" in listed.stdout
    [shown] = json.loads((await cli("subscriptions", "--json", *config)).stdout)
    assert shown["days"] == "weekly on mon"


async def test_weekly_is_also_written_with_a_colon(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", *CHANNEL, "--days", "weekly:fri", "--config", str(config_path))
    assert made.code == 0, made.stderr
    assert ", weekly on fri;" in made.stdout


async def test_a_weekly_channel_goes_back_to_daily_with_its_days(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", *CHANNEL, "--days", "weekly on fri", *config)
    changed = await cli("subscribe", *CHANNEL, "--days", "mon-fri", *config)
    assert ", mon-fri;" in changed.stdout


async def test_a_weekly_schedule_of_two_days_exits_2(cli: Cli, config_path: Path) -> None:
    result = await cli("subscribe", *CHANNEL, "--days", "weekly on mon,thu", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr.startswith('paperboy: error: days: "weekly on mon,thu" is not a set of days; ')
    assert '"weekly on mon" for a weekly digest' in result.stderr


async def test_a_webhook_is_resubscribed_by_the_fingerprint_it_is_shown_with(cli: Cli, config_path: Path) -> None:
    config = ["--config", str(config_path)]
    await cli("subscribe", "--platform", "webhook", "--channel", WEBHOOK, *config)
    [listed] = json.loads((await cli("subscriptions", "--json", *config)).stdout)
    fingerprint = "#" + listed["channel"].rsplit("#", 1)[1]
    changed = await cli("subscribe", "--platform", "webhook", "--channel", fingerprint, "--max", "3", *config)
    assert changed.code == 0, changed.stderr
    masked = await cli("subscribe", "--platform", "webhook", "--channel", listed["channel"], "--time", "7:00", *config)
    assert masked.code == 0, masked.stderr
    [after] = json.loads((await cli("subscriptions", "--json", *config)).stdout)
    assert (after["channel"], after["max_papers"], after["time"]) == (listed["channel"], 3, "07:00")


async def test_subscribing_an_unknown_webhook_fingerprint_asks_for_the_url(cli: Cli, config_path: Path) -> None:
    made = await cli("subscribe", "--platform", "webhook", "--channel", "#deadbeef", "--config", str(config_path))
    assert made.code == 2
    assert made.stderr == (
        "paperboy: error: no webhook subscription has the fingerprint #deadbeef; give the webhook's URL to "
        "subscribe it\n"
    )
