"""`paperboy fetch` end to end: a subprocess against the fake Daily Papers server and a real database file."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import COMMAND_TIMEOUT, Cli, config_text, read_until
from tests.fakes.corpus import by_day, hf_item
from tests.fakes.hanging import HangingServer
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.server import Fault

DAY = date(2025, 1, 16)
pytestmark = pytest.mark.asyncio


def stored_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(row[0] for row in conn.execute("SELECT id FROM papers"))


async def test_fetch_ingests_every_paper_of_the_day(cli: Cli, config_path: Path, hf_server: FakeHuggingFace) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    result = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert result.stdout == f"huggingface {DAY}: {len(ids)} papers: {len(ids)} new, 0 updated, 0 unchanged, 0 skipped\n"
    assert stored_ids(cli.cwd / "paperboy.db") == ids


async def test_second_fetch_adds_no_row(cli: Cli, config_path: Path, hf_server: FakeHuggingFace) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    again = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    assert again.code == 0
    assert f"0 new, 0 updated, {len(ids)} unchanged" in again.stdout
    assert stored_ids(cli.cwd / "paperboy.db") == ids


async def test_refetch_reports_upvote_changes_as_updates(
    cli: Cli, config_path: Path, hf_server: FakeHuggingFace
) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    hf_server.serve_corpus_day(DAY, upvotes=999)
    again = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    assert f"0 new, {len(ids)} updated, 0 unchanged" in again.stdout


def serve_on(hf_server: FakeHuggingFace, day: date, corpus_day: date) -> list[str]:
    """Serve the corpus papers of `corpus_day` as the Daily Papers of `day`; their distinct ids."""
    papers = by_day()[corpus_day]
    hf_server.days[day.isoformat()] = [hf_item(p) for p in papers]
    return sorted({p.id for p in papers})


async def test_fetch_since_prints_a_line_a_day_newest_first_and_a_total(
    cli: Cli, config_path: Path, hf_server: FakeHuggingFace
) -> None:
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    older = serve_on(hf_server, yesterday, date(2025, 1, 15))
    newer = serve_on(hf_server, today, DAY)
    result = await cli("fetch", "--since", yesterday.isoformat(), "--config", str(config_path))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"huggingface {today}: {len(newer)} papers")
    assert lines[1].startswith(f"huggingface {yesterday}: {len(older)} papers")
    assert lines[-1].startswith("total: ")
    assert "\x1b[" not in result.stdout + result.stderr  # piped: plain text, no progress bar


async def test_a_day_that_keeps_failing_is_reported_and_the_days_around_it_are_fetched(
    cli: Cli, config_path: Path, hf_server: FakeHuggingFace
) -> None:
    today = datetime.now(UTC).date()
    failing, oldest = today - timedelta(days=1), today - timedelta(days=2)
    newer = serve_on(hf_server, today, DAY)
    older = serve_on(hf_server, oldest, date(2025, 1, 15))
    hf_server.failing_days[failing.isoformat()] = 500
    result = await cli("fetch", "--since", oldest.isoformat(), "--config", str(config_path))
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"huggingface {today}: {len(newer)} papers")
    assert lines[1].startswith(f"huggingface {failing}: failed: Hugging Face answered 500")
    assert lines[2].startswith(f"huggingface {oldest}: {len(older)} papers")
    assert result.stderr.splitlines()[-1] == (
        f"paperboy: error: 1 of 3 days could not be fetched: huggingface {failing}"
    )
    assert stored_ids(cli.cwd / "paperboy.db") == sorted(set(newer) | set(older))


async def test_empty_day_is_reported_as_no_papers(cli: Cli, config_path: Path) -> None:
    result = await cli("fetch", "--date", "2025-02-01", "--config", str(config_path))
    assert result.code == 0
    assert result.stdout == "huggingface 2025-02-01: no papers for 2025-02-01\n"


async def test_unreachable_source_fails_in_one_line(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace(hf_server.url, "http://127.0.0.1:9"))
    result = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config))
    assert result.code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("paperboy: error:")]
    assert errors == [result.stderr.splitlines()[-1]]
    assert errors[0].startswith("paperboy: error: the day could not be fetched: cannot reach Hugging Face")
    assert "Traceback" not in result.stderr


async def test_failed_fetch_keeps_what_was_stored(cli: Cli, config_path: Path, hf_server: FakeHuggingFace) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    hf_server.fail_next(PATH, Fault(500), Fault(500))
    failed = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
    assert failed.code == 1
    assert "Hugging Face answered 500" in failed.stderr
    assert stored_ids(cli.cwd / "paperboy.db") == ids


async def test_since_in_the_future_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("fetch", "--since", "2999-01-01", "--config", str(config_path))
    assert result.code == 2
    assert "--since 2999-01-01 is in the future" in result.stderr


async def test_malformed_date_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("fetch", "--date", "16/01/2025", "--config", str(config_path))
    assert result.code == 2
    assert "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


async def test_source_option_fetches_a_disabled_source(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace("page_size = 20", "page_size = 20\nenabled = false"))
    refused = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config))
    assert refused.code == 2
    assert "no source is enabled" in refused.stderr
    forced = await cli("fetch", "--date", DAY.isoformat(), "--source", "huggingface", "--config", str(config))
    assert forced.code == 0
    assert f"{len(ids)} new" in forced.stdout


def both_sources_at(tmp_path: Path, hf_server: FakeHuggingFace, url: str, attempts: int = 2) -> Path:
    arxiv = f'[sources.arxiv]\nenabled = true\nbase_url = "{url}"\nrequest_interval = "0s"\n'
    text = config_text(hf_server, extra=arxiv).replace(hf_server.url, url)
    config = tmp_path / "config.toml"
    config.write_text(text.replace("attempts = 2\n", f"attempts = {attempts}\n"))
    return config


async def test_an_unreachable_source_says_why_once_and_its_other_days_in_a_few_words(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace
) -> None:
    config = both_sources_at(tmp_path, hf_server, "http://127.0.0.1:9")
    since = (datetime.now(UTC) - timedelta(days=2)).date()
    result = await cli("fetch", "--since", since.isoformat(), "--config", str(config))
    assert result.code == 1
    for source, service in (("huggingface", "Hugging Face"), ("arxiv", "arXiv")):
        lines = [line for line in result.stdout.splitlines() if line.startswith(f"{source} ")]
        assert len(lines) == 3
        assert lines[0].split(": ", 1)[1] == (
            f"failed: cannot reach {service} at http://127.0.0.1:9 (connection refused) on all 2 tries; "
            f"check sources.{source}.base_url and the network"
        )
        assert [line.split(": ", 1)[1] for line in lines[1:]] == [f"not asked: {source} unreachable"] * 2
    retries = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(retries) == 2, "one line per retry: one retry per source"
    assert all(re.search(r" at http://127.0.0.1:9 \(connection refused\); try 2 of 2 in [\d.]+ s$", r) for r in retries)


async def test_the_sources_are_fetched_at_once(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, hanging_server: HangingServer
) -> None:
    config = both_sources_at(tmp_path, hf_server, hanging_server.url, attempts=1)
    result = await cli("fetch", "--date", DAY.isoformat(), "--config", str(config))
    assert result.code == 1
    assert hanging_server.connections == 2
    assert hanging_server.most_open == 2, "the second source was asked while the first had not answered"


async def test_fetch_waits_for_a_run_fetching_the_same_source(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace
) -> None:
    config_path = tmp_path / "config.toml"  # requests wait for the gate rather than time out and try again
    config_path.write_text(config_text(hf_server).replace('timeout = "500ms"', 'timeout = "60s"'))
    ids = hf_server.serve_corpus_day(DAY)
    hf_server.gate.clear()  # the run's fetch at start stays under way
    run = await cli.start("run", "--config", str(config_path))
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while not hf_server.in_flight:  # noqa: ASYNC110 - the fake answers in this loop
                await asyncio.sleep(0.02)
        fetch = await cli.start("fetch", "--date", DAY.isoformat(), "--config", str(config_path))
        assert fetch.stderr is not None
        waiting = await read_until(fetch.stderr, "being fetched")
        said = waiting[-1].removeprefix("huggingface is being fetched by ")
        holder, _, rest = said.partition("; ")
        assert holder.startswith(f"{socket.gethostname()}:{run.pid}/"), said
        assert rest == "waiting for it to finish\n"
        hf_server.gate.set()
        async with asyncio.timeout(COMMAND_TIMEOUT):
            stdout, _ = await fetch.communicate()
    finally:
        hf_server.gate.set()
        run.send_signal(signal.SIGTERM)
        await asyncio.wait_for(run.communicate(), COMMAND_TIMEOUT)
    assert fetch.returncode == 0
    assert f"huggingface {DAY}: {len(ids)} papers" in stdout.decode()
    assert hf_server.most_in_flight == 1, "one fetch of the source at a time"
