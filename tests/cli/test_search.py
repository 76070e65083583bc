"""`paperboy search` end to end, on a database filled by `paperboy fetch`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.fakes.corpus import CorpusPaper

pytestmark = pytest.mark.asyncio


def title_words(paper: CorpusPaper, count: int = 4) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]{4,}", paper.title)][:count]


async def test_search_json_finds_a_paper_by_its_title_words(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = fetched[0]
    result = await cli("search", *title_words(paper), "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits[0]["id"] == paper.id
    assert hits[0]["title"] == paper.title
    assert hits[0]["url"] == f"https://huggingface.co/papers/{paper.id}"
    assert isinstance(hits[0]["upvotes"], int)


async def test_search_limit_caps_the_results(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", "model", "--limit", "2", "--json", "--config", str(config_path))
    assert len(json.loads(result.stdout)) == 2


async def test_search_text_lists_rank_title_and_link(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    paper = fetched[0]
    result = await cli("search", *title_words(paper), "--config", str(config_path))
    first = result.stdout.splitlines()
    assert first[0] == f" 1. {paper.title}"
    assert first[2].strip() == f"https://huggingface.co/papers/{paper.id}"


async def test_search_without_matches_says_so(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", "zzyzxquux", "--config", str(config_path))
    assert result.code == 0
    assert result.stdout == "no papers match zzyzxquux\n"


async def test_search_without_matches_prints_an_empty_json_array(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "zzyzxquux", "--json", "--config", str(config_path))
    assert json.loads(result.stdout) == []


async def test_a_bad_query_exits_2_with_the_languages_message(cli: Cli, config_path: Path) -> None:
    result = await cli("search", 'diffusion "flow', "--config", str(config_path))
    assert result.code == 2
    assert result.stderr == 'paperboy: error: unclosed quote at column 11; add the closing "\n'


async def test_search_takes_the_query_language(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", "title:diffusion", "-video", "upvotes>=0", "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert all("diffusion" in hit["title"].lower() for hit in json.loads(result.stdout))


async def test_search_sort_and_offset(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    first = await cli("search", "model", "--sort", "upvotes", "--limit", "2", "--json", "--config", str(config_path))
    second = await cli(
        "search", "model", "--sort", "upvotes", "--limit", "2", "--offset", "2", "--json", "--config", str(config_path)
    )
    hits = json.loads(first.stdout) + json.loads(second.stdout)
    assert [h["upvotes"] for h in hits] == sorted((h["upvotes"] for h in hits), reverse=True)
    assert len({h["id"] for h in hits}) == 4


async def test_search_json_carries_a_marked_snippet(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", "model", "--limit", "1", "--json", "--config", str(config_path))
    assert "**" in json.loads(result.stdout)[0]["snippet"]


async def test_search_limit_above_the_maximum_is_refused(cli: Cli, config_path: Path) -> None:
    result = await cli("search", "model", "--limit", "1000", "--config", str(config_path))
    assert result.code == 2
    assert "between 1 and 100" in result.stderr


async def test_a_minus_word_is_query_text_not_an_option(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "model", "-diffusion", "--limit", "50", "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits and all("diffusion" not in (h["title"] + h["abstract"]).lower() for h in hits)
