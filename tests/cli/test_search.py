"""`paperboy search` end to end, on a database filled by `paperboy fetch`."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import COMMAND_TIMEOUT, Cli
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


async def test_more_of_a_digest_that_does_not_exist_says_so(cli: Cli, config_path: Path) -> None:
    result = await cli("search", "more:123", "--config", str(config_path))
    assert result.code == 2
    assert result.stderr.startswith("paperboy: error: there is no digest 123; ")
    assert result.stdout == ""


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


async def test_a_leading_minus_word_is_query_text_not_an_option(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "-diffusion", "model", "--limit", "50", "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits and all("diffusion" not in (h["title"] + h["abstract"]).lower() for h in hits)


async def test_after_a_double_dash_an_option_is_query_text(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "--json", "--config", str(config_path), "--", "model", "-h")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # what the shell's $'\xff' becomes in argv: a lone surrogate, through Python's surrogateescape
        ("org:\udcff", "the query is not valid UTF-8 at column 5 (an undecodable byte or a lone surrogate); retype it"),
        ("upvotes>=²", "upvotes>= at column 1 needs a whole number, like upvotes>=10"),
        ("a\x1b[2Jb", "the query holds the control character U+001B at column 2; remove it"),
    ],
)
async def test_text_that_is_not_a_query_exits_2_with_one_line(
    cli: Cli, config_path: Path, query: str, message: str
) -> None:
    result = await cli("search", query, "--config", str(config_path))
    assert (result.code, result.stderr, result.stdout) == (2, f"paperboy: error: {message}\n", "")


async def test_results_reach_an_output_that_cannot_show_every_character(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = next(p for p in fetched if "π" in p.title)
    result = await cli("search", "title:dance", "title:inductor", "--config", str(config_path),
                       env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.code == 0, result.stderr
    assert paper.title.replace("π", "\\u03c0") in result.stdout


async def test_json_reaches_an_output_that_cannot_show_every_character_as_json(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = next(p for p in fetched if "π" in p.title)
    result = await cli("search", "title:dance", "title:inductor", "--json", "--config", str(config_path),
                       env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)[0]["title"] == paper.title


@pytest.mark.parametrize(
    "spelling", ["{id}", "arXiv:{id}", "{id}v2", "https://arxiv.org/abs/{id}", "https://huggingface.co/papers/{id}"]
)
async def test_an_id_or_a_link_alone_finds_that_paper(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], spelling: str
) -> None:
    paper = fetched[2]
    result = await cli("search", spelling.format(id=paper.id), "--json", "--config", str(config_path))
    assert result.code == 0, result.stderr
    assert [hit["id"] for hit in json.loads(result.stdout)] == [paper.id]
    assert result.stderr == ""


async def test_an_id_alone_that_is_not_in_the_database_says_so(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "2401.99999", "--config", str(config_path))
    assert result.code == 0
    assert result.stdout == "no papers match id:2401.99999\n"
    assert result.stderr == (
        "paperboy: hint: paper 2401.99999 is not in the database yet; fetch its day with "
        "`paperboy fetch --date YYYY-MM-DD`, or check the id\n"
    )


async def test_a_lower_case_or_is_searched_as_written_with_a_hint(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = await cli("search", "diffusion", "or", '"flow matching"', "--json", "--config", str(config_path))
    assert result.code == 0
    json.loads(result.stdout)  # the answer stays pure JSON
    assert result.stderr.startswith('paperboy: hint: did you mean OR? "or" at column 11 is searched as a word')
    assert result.stderr.count("\n") == 1


async def test_snippets_in_a_pipe_are_plain_words(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", "model", "--limit", "3", "--config", str(config_path))
    assert result.code == 0, result.stderr
    snippets = [line for line in result.stdout.splitlines() if line.startswith("    ") and "model" in line.lower()]
    assert snippets
    assert "**" not in result.stdout and "\x1b" not in result.stdout


async def test_snippets_on_a_terminal_show_matched_words_in_bold(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    shown = await on_a_terminal(cli, "search", "model", "--limit", "3", "--config", str(config_path))
    assert re.search(r"\x1b\[1m[Mm]odel\w*\x1b\[22m", shown)
    assert "**" not in shown


async def test_no_color_keeps_a_terminal_plain(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    shown = await on_a_terminal(cli, "search", "model", "--limit", "3", "--config", str(config_path), no_color=True)
    assert "model" in shown.lower() and "\x1b" not in shown and "**" not in shown


async def on_a_terminal(cli: Cli, *args: str, no_color: bool = False) -> str:
    """What `paperboy *args` writes to a terminal (a pseudo-terminal here) as its stdout."""
    leader, follower = pty.openpty()
    try:
        env = cli.env | {"NO_COLOR": "1" if no_color else ""}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paperboy", *args, cwd=cli.cwd, env=env, stdout=follower, stderr=subprocess.PIPE
        )
        os.close(follower)
        follower = -1
        shown = await asyncio.wait_for(asyncio.to_thread(_read_all, leader), COMMAND_TIMEOUT)
        assert await asyncio.wait_for(process.wait(), COMMAND_TIMEOUT) == 0
        return shown
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def test_partial_matches_carry_how_many_words_they_hold_in_json(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = fetched[0]
    result = await cli("search", *title_words(paper, 2), "zzyzxquux", "--json", "--config", str(config_path))
    hits = json.loads(result.stdout)
    assert paper.id in [hit["id"] for hit in hits]
    assert {json.dumps(hit["partial"]) for hit in hits} == {'{"words": 2, "of": 3}'}


async def test_full_matches_say_partial_null_in_json(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    result = await cli("search", *title_words(fetched[0]), "--limit", "1", "--json", "--config", str(config_path))
    assert json.loads(result.stdout)[0]["partial"] is None


async def test_partial_matches_start_under_a_divider_in_text(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    paper = fetched[0]
    result = await cli("search", *title_words(paper, 2), "zzyzxquux", "--config", str(config_path))
    lines = result.stdout.splitlines()
    assert lines[:3] == ["-- Partial matches (2 of 3 words) --", "", f" 1. {paper.title}"]
    assert result.stdout.count("Partial matches") == 1
