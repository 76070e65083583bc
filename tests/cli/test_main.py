"""What every command shares: finding the config, exit codes, one-line errors, `--version`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import paperboy
from tests.cli.conftest import COMMAND_TIMEOUT, Cli
from tests.fakes.corpus import CorpusPaper

pytestmark = pytest.mark.asyncio


def write_config(cli: Cli, text: str) -> Path:
    path = cli.cwd / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sources.huggingface]\neveryy = "1h"\n',
            'unknown setting "sources.huggingface.everyy"; did you mean "sources.huggingface.every"?',
        ),
        ('[http]\nattempts = "five"\n', "http.attempts: must be a whole number, not text"),
        ('[digest]\ntimezone = "Mars/Olympus"\n', "digest.timezone:"),
        ('[sources.huggingface]\nevery = "soon"\n', 'sources.huggingface.every: "soon" is not a duration'),
        ("[http\n", "not valid TOML"),
    ],
    ids=["unknown key", "wrong type", "bad time zone", "bad duration", "bad syntax"],
)
async def test_bad_config_exits_2_naming_the_file_and_key(cli: Cli, text: str, message: str) -> None:
    path = write_config(cli, text)
    result = await cli("search", "diffusion", "--config", str(path))
    assert result.code == 2
    assert result.stderr.startswith(f"paperboy: error: {path}")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one line, no traceback"


async def test_config_option_is_accepted_before_the_command(cli: Cli) -> None:
    path = write_config(cli, "[http]\nattempts = 0\n")
    result = await cli("--config", str(path), "search", "diffusion")
    assert result.code == 2
    assert "http.attempts" in result.stderr


async def test_config_comes_from_the_environment(cli: Cli) -> None:
    path = write_config(cli, "[http]\nattempts = 0\n")
    result = await cli("search", "diffusion", env={"PAPERBOY_CONFIG": str(path)})
    assert result.code == 2
    assert "http.attempts" in result.stderr


async def test_config_toml_in_the_working_directory_is_read(cli: Cli) -> None:
    write_config(cli, "[http]\nattempts = 0\n")
    result = await cli("search", "diffusion")
    assert "config.toml: http.attempts" in result.stderr


async def test_missing_config_file_that_was_asked_for_exits_2(cli: Cli) -> None:
    result = await cli("search", "diffusion", "--config", "nowhere.toml")
    assert result.code == 2
    assert result.stderr == (
        "paperboy: error: config file nowhere.toml does not exist; check the path, or leave it out to use defaults\n"
    )


async def test_without_a_config_the_defaults_make_a_database_in_the_working_directory(cli: Cli) -> None:
    result = await cli("search", "diffusion")
    assert result.code == 0, result.stderr
    assert result.stdout == "no papers match diffusion\n"
    assert (cli.cwd / "paperboy.db").exists()


async def test_secret_from_the_environment_never_reaches_error_output(cli: Cli) -> None:
    token = "hf_secretsecretsecret"
    path = write_config(cli, '[sources.huggingface]\nbase_url = "http://127.0.0.1:9"\n[http]\nattempts = 1\n')
    result = await cli("-vv", "fetch", "--date", "2025-01-16", "--config", str(path), env={"HF_TOKEN": token})
    assert result.code == 1
    assert token not in result.stdout + result.stderr


async def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    result = await cli("fetchh")
    assert result.code == 2
    assert "invalid choice: 'fetchh'" in result.stderr
    assert result.stderr.startswith("paperboy: error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "diffusion", "--limit", "0"), '--limit: "0" is not a positive whole number (see paperboy search'),
        (("fetch", "--date", "tomorrow"), '--date: "tomorrow" is not a date; write it as YYYY-MM-DD, like 2025-01-16'),
        (("search", "diffusion", "--bogus"), "unknown option --bogus (see paperboy search --help)"),
        (("db", "stats", "--jsn"), "unknown option --jsn (see paperboy db stats --help)"),
        (("subscribe", "--platform", "console"), "required: --channel (see paperboy subscribe --help)"),
        (("db",), "required: ACTION (see paperboy db --help)"),
    ],
    ids=["bad value", "bad date", "unknown option", "nested command", "missing option", "missing action"],
)
async def test_a_command_line_mistake_is_one_line_with_where_to_read_more(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    result = await cli(*args)
    assert result.code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("paperboy: error: ") and message in line
    assert line.endswith(" --help)")
    assert result.stdout == ""


async def test_a_webhook_url_in_a_command_line_mistake_is_not_shown(cli: Cli) -> None:
    result = await cli("digest", "https://hooks.slack.com/services/T0/B0/sosecret")
    assert result.code == 2
    assert "sosecret" not in result.stderr
    assert result.stderr.startswith("paperboy: error: unexpected argument https://hooks.slack.com/services/T0/B0/")


async def test_version_prints_the_package_version(cli: Cli) -> None:
    result = await cli("--version")
    assert result.stdout == f"paperboy {paperboy.__version__}\n"


async def test_a_misspelt_database_folder_exits_2_and_creates_nothing(cli: Cli) -> None:
    path = write_config(cli, 'database.path = "dta/paperboy.db"\n')
    result = await cli("search", "diffusion", "--config", str(path))
    assert result.code == 2
    assert result.stderr == (
        f"paperboy: error: the folder {cli.cwd / 'dta'} for database.path does not exist; create it or fix the path\n"
    )
    assert not (cli.cwd / "dta").exists()


@pytest.mark.parametrize(
    ("database", "message"),
    [
        pytest.param(
            "/sys/paperboy.db",
            "cannot create the database /sys/paperboy.db (",
            marks=pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's /sys, unwritable even by root"),
            id="unwritable folder",
        ),
        pytest.param("notes.txt/paperboy.db", "notes.txt is a file, not a folder", id="under a regular file"),
    ],
)
async def test_a_database_path_that_cannot_be_written_is_one_line(cli: Cli, database: str, message: str) -> None:
    (cli.cwd / "notes.txt").write_text("not a folder")
    path = write_config(cli, f'database.path = "{database}"\n')
    result = await cli("search", "diffusion", "--config", str(path))
    assert result.code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one line, no traceback: " + result.stderr


def into_a_closed_pipe(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `paperboy …` with stdout a pipe nobody reads any more, as `paperboy … | head -1` leaves it once head
    has its line (closing the reading end first makes every write fail, not only those after head's exit)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return with_stdout(cli, write, *args)
    finally:
        os.close(write)


@pytest.mark.parametrize("output", ["short", "long"])
async def test_output_into_a_closed_pipe_ends_quietly(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper], output: str
) -> None:
    # short: written when the interpreter flushes at exit; long: more than the buffer, written mid-command
    query = ["nothing-matches-this"] if output == "short" else ["model", "--json", "--limit", "100"]
    result = await asyncio.to_thread(into_a_closed_pipe, cli, "search", *query, "--config", str(config_path))
    assert result.stderr == ""
    assert result.returncode == 128 + signal.SIGPIPE, "as a command killed by SIGPIPE, like other CLIs"


async def test_a_config_file_that_is_not_utf8_is_one_line_naming_it(cli: Cli) -> None:
    path = cli.cwd / "config.toml"
    path.write_bytes('[digest]\ntimezone = "Europe/Zürich"\n'.encode("latin-1"))
    result = await cli("search", "diffusion", "--config", str(path))
    assert result.code == 2
    assert result.stderr.startswith(f"paperboy: error: {path}: not UTF-8 text")
    assert result.stderr.count("\n") == 1


async def test_paperboy_without_a_command_prints_the_help(cli: Cli) -> None:
    result = await cli()
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("usage: paperboy")
    assert "doctor" in result.stdout and result.stderr == ""


def with_stdout(
    cli: Cli, stdout: int | None, *args: str, close_stdout: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperboy", *args],
        cwd=cli.cwd,
        env=cli.env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
        preexec_fn=(lambda: os.close(1)) if close_stdout else None,
    )


async def test_output_to_a_full_disk_is_one_line(cli: Cli, config_path: Path, fetched: list[CorpusPaper]) -> None:
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        result = with_stdout(cli, full, "search", "model", "--json", "--limit", "100", "--config", str(config_path))
    finally:
        os.close(full)
    assert result.returncode == 1
    assert result.stderr == "paperboy: error: cannot write the output (No space left on device); check where it goes\n"


async def test_output_with_stdout_closed_goes_nowhere_quietly(
    cli: Cli, config_path: Path, fetched: list[CorpusPaper]
) -> None:
    result = with_stdout(cli, None, "search", "model", "--config", str(config_path), close_stdout=True)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        # what the shell's $'\xff' becomes in argv: a lone surrogate, through Python's surrogateescape
        (("subscribe", "--platform", "console", "--channel", "news\udcff"), "--channel"),
        (("subscribe", "--platform", "console", "--channel", "news", "--timezone", "\udcfe"), "--timezone"),
        (("paper", "2401.\udcff"), "ID"),
    ],
)
async def test_an_argument_with_an_undecodable_byte_is_one_line_naming_it(
    cli: Cli, config_path: Path, args: tuple[str, ...], shown: str
) -> None:
    result = await cli(*args, "--config", str(config_path))
    message = f"paperboy: error: {shown} is not valid UTF-8 (it holds an undecodable byte); retype it\n"
    assert (result.code, result.stderr) == (2, message)
