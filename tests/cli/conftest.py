"""Fixtures for end-to-end CLI tests: `python -m paperboy` in a subprocess, with a config file that points at
the fake servers of the enclosing test (the subprocess is awaited, so the in-loop fakes keep answering)."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.clock import OFFSET_ENV
from paperboy.config import CONFIG_ENV, SECRET_ENV
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.corpus import CorpusPaper, by_day
from tests.fakes.huggingface import FakeHuggingFace

#: environment variables that would leak the developer's own set-up into a test
_SCRUBBED = (CONFIG_ENV, OFFSET_ENV, *SECRET_ENV, "DATABASE_URL", "PAPERBOY_DATABASE_URL")


FETCHED_DAY = date(2025, 1, 16)
#: a hung command fails its test instead of the whole run
COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Result:
    code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `paperboy …` as a separate process in its own working directory."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith("PAPERBOY_")}
        self.env["COLUMNS"] = "200"

    async def start(self, *args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "paperboy",
            *args,
            cwd=self.cwd,
            env=self.env | (env or {}),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        process = await self.start(*args, env=env)
        stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
        assert process.returncode is not None
        return Result(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def config_text(hf: FakeHuggingFace, arxiv: FakeArxiv | None = None, extra: str = "") -> str:
    """A config that sends every source to the fakes and retries fast."""
    arxiv_section = (
        f'[sources.arxiv]\nenabled = true\nbase_url = "{arxiv.url}"\nrequest_interval = "0s"\n' if arxiv else ""
    )
    return (
        'database.path = "paperboy.db"\n'
        '[http]\ntimeout = "500ms"\nattempts = 2\nbackoff = "10ms"\nmax_wait = "2s"\n'
        f'[sources.huggingface]\nbase_url = "{hf.url}"\npage_size = 20\n'
        f"{arxiv_section}{extra}"
    )


@pytest.fixture
def config_path(tmp_path: Path, hf_server: FakeHuggingFace) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(config_text(hf_server))
    return path


@pytest_asyncio.fixture
async def fetched(cli: Cli, config_path: Path, hf_server: FakeHuggingFace) -> list[CorpusPaper]:
    """The corpus papers of 2025-01-16, fetched into the CLI's database through `paperboy fetch`."""
    hf_server.serve_corpus_day(FETCHED_DAY)
    result = await cli("fetch", "--date", FETCHED_DAY.isoformat(), "--config", str(config_path))
    assert result.code == 0, result.stderr
    return list({p.id: p for p in by_day()[FETCHED_DAY]}.values())


async def read_until(stream: asyncio.StreamReader, marker: str) -> list[str]:
    """Lines of `stream` up to and including the first that contains `marker`."""
    lines: list[str] = []
    async with asyncio.timeout(COMMAND_TIMEOUT):
        while not lines or marker not in lines[-1]:
            line = await stream.readline()
            assert line, f"the stream ended before {marker!r}; got: {lines}"
            lines.append(line.decode())
    return lines
