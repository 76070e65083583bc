"""The README's examples work as shown: every command of its ```sh blocks, every `$ paperboy …` transcript with
its output, every `paperboy …` and `/papers …` it shows in the text, and every query of its query-language
table, each run as `paperboy …` in a folder of its own that holds a database of tests/data/papers.json and a
config.toml pointing the sources at the fake Hugging Face.

What cannot run here is listed below with the reason. An example that this file does not know how to treat
fails its test, so a new example is never skipped silently.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.errors import InvalidPaperId
from paperboy.models import ChannelRef, DigestKind, Platform
from paperboy.query import parse
from paperboy.store import Store
from tests.cli.conftest import Cli, Result, config_text
from tests.fakes.corpus import corpus_papers
from tests.fakes.huggingface import FakeHuggingFace
from tests.test_docs import slash_commands, subcommand_parsers

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`]+)`")
_COMMAND = re.compile(r"(?:[A-Z_]+=\S+ )*(?:paperboy|docker) ")
#: a word that stands for a value in a syntax line: `ID`, `PATH`, `HH:MM`, `<server id>`, `[--json]`, `a\|b`
_PLACEHOLDER = re.compile(r"\[?(.*[\[<|].*|[A-Z]+(:[A-Z]+)?)\]*")
_OPERATORS = {"OR", "AND", "NOT"}

#: commands that cannot run in a test, and why
NOT_RUN = {
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && paperboy run": (
        "installs paperboy, then runs it until Ctrl-C (tests/cli/test_run.py runs `paperboy run`)"
    ),
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest": (
        "installs the test extra and runs this very suite (.ci/run does; tests/test_docs.py checks it)"
    ),
    "paperboy run": "runs until a signal; tests/cli/test_run.py and test_run_end_to_end.py run it",
    "paperboy run --health-port 8080": "runs until a signal; tests/cli/test_run_end_to_end.py serves /healthz",
    "PAPERBOY_DISCORD_TOKEN=… paperboy discord invite": "needs a real Discord bot token (tests/cli/test_discord.py)",
    "PAPERBOY_DISCORD_TOKEN=… paperboy run": "needs a real Discord bot token, and runs until a signal",
    "SLACK_APP_TOKEN=xapp-… SLACK_BOT_TOKEN=xoxb-… paperboy run": "needs real Slack tokens, and runs until a signal",
    "paperboy discord invite": "needs a Discord bot token; tests/cli/test_discord.py runs it against the fake",
    "docker build -t paperboy . && docker run -v paperboy-data:/data paperboy": (
        "needs Docker; tests/test_deploy.py reads the Dockerfile"
    ),
    "POSTGRES_PASSWORD=… SLACK_BOT_TOKEN=… docker compose -f deploy/compose.yml up -d --build": (
        "needs Docker and real tokens; tests/test_deploy.py reads deploy/compose.yml"
    ),
    "paperboy db copy --to postgresql://…": "needs a PostgreSQL server; tests/cli/test_db.py copies to one and back",
}
#: commands named in a sentence that gives their arguments in words: checked to be commands
MENTIONS = {
    "paperboy search", "paperboy subscribe", "paperboy subscribe --platform slack", "paperboy db copy", "paperboy feed",
    "paperboy taste",
}  # fmt: skip
#: what the query-language table shows that is not a query
NOT_QUERIES = {">": "an operator", ">=": "an operator", "<": "an operator", "<=": "an operator", "=": "an operator"}
#: slash-command examples that are not checked here, and why
NOT_CHECKED: dict[str, str] = {
    "/papers feed": "Slack's short form of /papers feed show, answered in a chat (tests/adapters/test_slack_app.py)",
    "/papers feed revoke": "answered in a chat (tests/adapters/test_slack_app.py, test_discord_commands.py)",
    "/papers taste": "Slack's short form of /papers taste show, answered in a chat (tests/adapters/test_slack_app.py)",
    "/papers taste reset": "answered in a chat (tests/adapters/test_slack_app.py, test_discord_commands.py)",
}
#: files that a transcript's command names, as the transcript implies them
TRANSCRIPT_FILES = {"bad.toml": '[sources.huggingface]\neveryy = "30m"\n'}
#: what the fenced blocks of each language hold: commands, transcripts, or pictures of what a chat shows
BLOCK_LANGUAGES = {"sh": "commands", "": "transcripts", "text": "what a channel sees"}


# --- what the README shows ----------------------------------------------------------------------------------


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(README) if lang == language]


def _prose() -> str:
    return _FENCE.sub("", README)


def _spans() -> list[str]:
    """Code spans outside the fenced blocks, a line break inside one read as a space."""
    return [" ".join(span.split()) for span in _CODE_SPAN.findall(_prose())]


def sh_scripts() -> list[list[str]]:
    """Each ```sh block as its commands, `\\` continuations joined and `# comments` dropped."""
    scripts = []
    for body in _blocks("sh"):
        lines = body.replace("\\\n", " ").splitlines()
        scripts.append([" ".join(re.sub(r"\s#\s.*", "", line).split()) for line in lines])
    return scripts


def transcripts() -> list[tuple[str, str]]:
    """Each `$ command` of the plain blocks, with the output shown under it."""
    found: list[tuple[str, str]] = []
    for body in _blocks(""):
        for part in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            command, _, output = part.partition("\n")
            found.append((command, output))
    return found


def inline_commands() -> list[str]:
    return sorted({span for span in _spans() if _COMMAND.match(span)})


def slash_examples() -> list[str]:
    """`/papers …` as code in the text, and as the text blocks show it (a digest's last line, say)."""
    in_text = [span for span in _spans() if span.startswith("/papers")]
    in_blocks = [m.group(0) for body in _blocks("text") for m in re.finditer(r"/papers [^\n`]*", body)]
    return sorted(set(in_text + in_blocks))


def query_table() -> list[str]:
    """The code in the query-language table, both columns (`a \\| b` is `a | b`)."""
    section = README.split("## The query language", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [span.replace("\\|", "|") for row in rows for span in _CODE_SPAN.findall(row)]


# --- what each example means --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """What to do with an example: run `paperboy *argv` (exit 0), search `query`, or nothing, for `reason`."""

    argv: tuple[str, ...] = ()
    query: str | None = None
    reason: str | None = None


def unknown(example: str) -> Check:
    return Check(reason=f"UNKNOWN: the README shows {example!r}, and this test does not know how to check it")


def slash_check(example: str) -> Check:
    """The `paperboy` command that does what a `/papers …` example does (a channel's settings, a search)."""
    if example in NOT_CHECKED:
        return Check(reason=NOT_CHECKED[example])
    name, _, rest = example.removeprefix("/papers").strip().partition(" ")
    if not rest or rest in ("clear", "set", "show") or _has_placeholders(rest):
        typed = f"{name} {rest}".strip()
        known = not name or any(typed == sub or typed.startswith(f"{sub} ") for sub in slash_commands())
        return Check(reason="a sub-command's name or syntax, answered in a chat") if known else unknown(example)
    if name in ("search", "filter"):
        return Check(query=rest.removeprefix("set ").removeprefix("query:"))
    if name in ("subscribe", "schedule"):
        return Check(("subscribe", "--platform", "console", "--channel", "lab", *_schedule_options(rest)))
    if name in ("why", "paper") and _is_arxiv_id(rest):
        return Check(query=f"id:{rest}")
    if name == "similar" and _is_arxiv_id(rest):
        return Check(("similar", rest))
    return unknown(example)


def _is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidPaperId:
        return False
    return True


def _schedule_options(rest: str) -> list[str]:
    """`time:09:00 timezone:Europe/Berlin days:mon-fri` (Discord) or `09:00 Europe/Berlin mon-fri` (Slack), and
    `max:5`, `min_upvotes:10`, `taste:off` or `taste_weight:2` on either."""
    options: list[str] = []
    for word in rest.split():
        name, _, value = word.partition(":")
        if name in ("max", "min_upvotes", "taste", "taste_weight"):
            options += [f"--{name.replace('_', '-')}", value]
            continue
        value = value if name in ("time", "timezone", "days") else word
        option = "--time" if re.fullmatch(r"\d\d:\d\d", value) else "--timezone" if "/" in value else "--days"
        options += [option, value]
    # days may be words (`weekly on monday`): as in Slack, they are one value
    days = " ".join(value for option, value in zip(options[::2], options[1::2], strict=True) if option == "--days")
    others = [word for pair in zip(options[::2], options[1::2], strict=True) if pair[0] != "--days" for word in pair]
    return [*others, "--days", days] if days else others


def _has_placeholders(example: str) -> bool:
    return any(_PLACEHOLDER.fullmatch(word) for word in example.split() if word not in _OPERATORS)


def command_check(example: str) -> Check:
    """A command in the text or a ```sh block: run it, search its query, or say why not."""
    if example in NOT_RUN:
        return Check(reason=NOT_RUN[example])
    if not example.startswith("paperboy "):
        return unknown(example)
    if example in MENTIONS or _has_placeholders(example):
        problem = _not_a_command(example)
        return unknown(f"{example} ({problem})") if problem else Check(reason="a command's syntax or name")
    argv = tuple(shlex.split(example)[1:])
    if argv[0] == "search" and not any(a.startswith("-") for a in argv[1:]):
        return Check(query=" ".join(argv[1:]))
    return Check(argv)


def _not_a_command(example: str) -> str | None:
    """What is wrong with a syntax line: a command or an option that paperboy does not have."""
    words = example.replace("\\|", "|").split()[1:]
    parsers = subcommand_parsers()
    name = next((n for n in sorted(parsers, key=len, reverse=True) if words[: len(n.split())] == n.split()), None)
    if name is None:
        return "no such command"
    options = {o for action in parsers[name]._actions for o in action.option_strings}
    wrong = [w.strip("[]") for w in words if w.strip("[]").startswith("--") and w.strip("[]") not in options]
    return f"`paperboy {name}` has no {wrong}" if wrong else None


def table_check(example: str) -> Check:
    return Check(reason=NOT_QUERIES[example]) if example in NOT_QUERIES else Check(query=example)


def every_example() -> dict[str, Check]:
    """Every example the README shows, and what to do with it."""
    examples = {command: command_check(command) for script in sh_scripts() for command in script}
    examples |= {command: command_check(command) for command in inline_commands()}
    examples |= {f"$ {command}": Check(tuple(shlex.split(command)[1:])) for command, _ in transcripts()}
    examples |= {example: slash_check(example) for example in slash_examples()}
    examples |= {example: table_check(example) for example in query_table()}
    return examples


EXAMPLES = every_example()
QUERIES = sorted({check.query for check in EXAMPLES.values() if check.query is not None})
INLINE_RUNS = [command for command in inline_commands() if EXAMPLES[command].argv]
SLASH_RUNS = [example for example in slash_examples() if EXAMPLES[example].argv]


# --- running them -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/papers.json as a paperboy database, made once and copied into each example's folder, with the
    digest 123 the README's `more:123` names: one that left papers out."""
    path = tmp_path_factory.mktemp("corpus") / "paperboy.db"
    papers = corpus_papers()

    async def fill() -> int:
        async with await Store.open(path) as store:
            await store.papers.upsert(papers)
            now = datetime.now(UTC)
            ids = [paper.id for paper in papers[:3]]
            ref = ChannelRef(Platform.CONSOLE, "readme")
            digest = await store.ledger.plan(ref, now.date(), ids[:1], ids[1:], now, kind=DigestKind.NOW)
            assert digest is not None
            return digest.id

    made = asyncio.run(fill())
    with sqlite3.connect(path) as conn:  # the number the README shows
        conn.execute("UPDATE digests SET id = 123 WHERE id = ?", (made,))
        conn.execute("UPDATE deliveries SET digest_id = 123 WHERE digest_id = ?", (made,))
    return path


@pytest_asyncio.fixture
async def folder(tmp_path: Path, corpus_db: Path, hf_server: FakeHuggingFace) -> Path:
    """A folder as a user's: the corpus database and a config.toml that paperboy finds there by itself."""
    for file in corpus_db.parent.glob("paperboy.db*"):
        shutil.copy(file, tmp_path / file.name)
    (tmp_path / "config.toml").write_text(config_text(hf_server))
    return tmp_path


async def paperboy(folder: Path, *argv: str) -> Result:
    return await Cli(folder)(*argv)


def _ids(examples: list[str]) -> list[str]:
    return [example[:50] for example in examples]


def test_every_example_is_one_this_test_knows() -> None:
    unknown_examples = [check.reason for check in EXAMPLES.values() if (check.reason or "").startswith("UNKNOWN")]
    assert not unknown_examples, "\n".join(unknown_examples)


def test_every_code_block_is_one_this_test_reads() -> None:
    languages = {lang for lang, _ in _FENCE.findall(README)}
    assert languages <= set(BLOCK_LANGUAGES), f"blocks in {languages - set(BLOCK_LANGUAGES)}: say how to check them"
    assert all(body.startswith("$ ") for body in _blocks("")), "a plain block holds `$ paperboy …` transcripts"


def test_every_listed_exception_is_still_in_the_readme() -> None:
    listed = [*NOT_RUN, *MENTIONS, *NOT_QUERIES, *NOT_CHECKED]
    assert [example for example in listed if example not in EXAMPLES] == []


@pytest.mark.asyncio
@pytest.mark.parametrize("query", QUERIES, ids=_ids(QUERIES))
async def test_a_query_example_parses_and_searches(folder: Path, query: str) -> None:
    parse(query)
    result = await paperboy(folder, "search", query)
    assert result.code == 0, result.stderr


@pytest.mark.asyncio
@pytest.mark.parametrize("script", sh_scripts(), ids=[script[0][:50] for script in sh_scripts()])
async def test_a_sh_block_runs_command_by_command(folder: Path, script: list[str]) -> None:
    for command in script:
        check = EXAMPLES[command]
        if check.argv or check.query is not None:
            result = await paperboy(folder, *(check.argv or ("search", check.query or "")))
            assert result.code == 0, f"{command}: {result.stderr}"


@pytest.mark.asyncio
@pytest.mark.parametrize(("command", "output"), transcripts(), ids=[c for c, _ in transcripts()])
async def test_a_transcript_prints_what_it_shows(folder: Path, command: str, output: str) -> None:
    for name, text in TRANSCRIPT_FILES.items():
        (folder / name).write_text(text)
    result = await paperboy(folder, *shlex.split(command)[1:])
    assert result.stdout + result.stderr == output
    # every failure the README shows is bad input, which exits 2
    assert result.code == (2 if output.startswith("paperboy: error:") else 0)


@pytest.mark.asyncio
@pytest.mark.parametrize("command", INLINE_RUNS, ids=_ids(INLINE_RUNS))
async def test_a_command_in_the_text_runs(folder: Path, command: str) -> None:
    result = await paperboy(folder, *EXAMPLES[command].argv)
    assert result.code == 0, result.stderr


@pytest.mark.asyncio
@pytest.mark.parametrize("example", SLASH_RUNS, ids=_ids(SLASH_RUNS))
async def test_a_slash_commands_settings_are_valid(folder: Path, example: str) -> None:
    """`/papers subscribe 09:00 Europe/Berlin mon-fri` sets what `paperboy subscribe` sets: those values work."""
    result = await paperboy(folder, *EXAMPLES[example].argv)
    assert result.code == 0, result.stderr
