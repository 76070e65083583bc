"""`paperboy paper ID` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.fakes.corpus import CorpusPaper

pytestmark = pytest.mark.asyncio


async def test_paper_json_is_one_object_with_the_stored_fields(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = fetched[0]
    result = await cli("paper", paper.id, "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == paper.id
    assert shown["title"] == paper.title
    assert shown["url"] == f"https://huggingface.co/papers/{paper.id}"
    assert shown["authors"] == list(paper.authors)
    assert shown["daily_date"] == "2025-01-16"
    assert shown["sources"] == ["huggingface"]


@pytest.mark.parametrize("spelling", ["{id}v3", "arXiv:{id}", "https://arxiv.org/abs/{id}v2"])
async def test_paper_accepts_any_usual_spelling_of_the_id(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], spelling: str
) -> None:
    paper = fetched[0]
    result = await cli("paper", spelling.format(id=paper.id), "--json", "--config", str(config_path))
    assert json.loads(result.stdout)["id"] == paper.id


async def test_paper_text_shows_title_and_links(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    paper = fetched[0]
    result = await cli("paper", paper.id, "--config", str(config_path))
    assert result.stdout.startswith(paper.title + "\n")
    assert f"https://arxiv.org/abs/{paper.id}" in result.stdout


async def test_bad_id_exits_2_with_the_expected_form(cli: Cli, config_path: Path) -> None:
    result = await cli("paper", "not-a-paper", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == (
        'paperboy: error: "not-a-paper" is not an arXiv id; '
        "use a form like 2401.12345, 2401.12345v2 or hep-th/9901001\n"
    )


async def test_unknown_paper_exits_1_and_says_how_to_fetch_it(cli: Cli, config_path: Path) -> None:
    result = await cli("paper", "2401.99999", "--config", str(config_path))
    assert result.code == 1
    assert result.stderr.startswith("paperboy: error: paper 2401.99999 is not in the database yet")
    assert "paperboy fetch --date" in result.stderr
