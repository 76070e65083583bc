"""`paperboy doctor`: a line per check, and exit 1 naming what failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli, config_text
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.huggingface import FakeHuggingFace

pytestmark = pytest.mark.asyncio


async def test_doctor_passes_when_everything_answers(
    cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace, arxiv_server: FakeArxiv
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server, arxiv_server))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 0, result.stdout + result.stderr
    checks = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()}
    assert checks == {"config": "ok", "database": "ok", "huggingface": "ok", "arxiv": "ok"}
    assert "schema version" in result.stdout


async def test_doctor_names_the_unreachable_source(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace(hf_server.url, "http://127.0.0.1:9"))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 1
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1
    assert "huggingface" in failing[0] and "check sources.huggingface.base_url" in failing[0]
    assert result.stderr.splitlines()[-1] == "paperboy: error: 1 check failed (huggingface); see above"


async def test_doctor_reports_a_database_it_cannot_open(cli: Cli, tmp_path: Path, hf_server: FakeHuggingFace) -> None:
    (tmp_path / "not-a-db").write_text("this is not SQLite " * 100)
    config = tmp_path / "config.toml"
    config.write_text(config_text(hf_server).replace('"paperboy.db"', '"not-a-db"'))
    result = await cli("doctor", "--config", str(config))
    assert result.code == 1
    assert any(line.startswith("FAIL database") for line in result.stdout.splitlines())
