"""`paperboy similar ID` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.fakes.corpus import CorpusPaper

pytestmark = pytest.mark.asyncio


async def test_similar_json_lists_other_papers(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    paper = fetched[0]
    result = await cli("similar", f"arXiv:{paper.id}v2", "--limit", "3", "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    shown = [hit["id"] for hit in json.loads(result.stdout)]
    assert shown and len(shown) <= 3 and paper.id not in shown


async def test_similar_text_numbers_the_papers_and_says_how_to_page_on(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("similar", fetched[0].id, "--limit", "2", "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(" 1. ") and "\n\n 2. " in result.stdout
    assert result.stdout.rstrip().endswith("more: --offset 2")


async def test_similar_to_an_unknown_paper_is_one_sentence(cli: Cli, config_path: Path) -> None:
    result = await cli("similar", "2912.99999", "--config", str(config_path))
    assert result.code != 0
    assert result.stderr.count("\n") == 1 and "paper 2912.99999 is not in the database yet" in result.stderr
