"""Loading settings from TOML and the environment, and saying clearly what is wrong with them."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path

import pytest

from paperboy.clock import OFFSET_ENV
from paperboy.config import CONFIG_ENV, NON_SETTING_ENV, Secret, Settings, load_settings, setting_keys
from paperboy.errors import ConfigError
from paperboy.timespec import Days, parse_days
from tests.postgres import URL_VARIABLE as POSTGRES_URL_VARIABLE

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_built_in_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.config_path is None
    assert settings.database.path == tmp_path / "paperboy.db"
    assert settings.sources.huggingface.enabled and not settings.sources.arxiv.enabled
    assert settings.sources.huggingface.every == timedelta(minutes=30)


def test_reads_the_file_given(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [sources.huggingface]
        every = "1h"
        lookback_days = 5
        [sources.arxiv]
        enabled = true
        categories = ["cs.AI"]
        [digest]
        time = "07:30"
        timezone = "Europe/Berlin"
        days = "mon,wed,fri"
        """,
    )
    settings = load_settings(path, env={})
    assert settings.sources.huggingface.every == timedelta(hours=1)
    assert settings.sources.huggingface.lookback_days == 5
    assert settings.sources.arxiv.categories == ("cs.AI",)
    assert settings.digest.time == time(7, 30) and settings.digest.timezone.key == "Europe/Berlin"
    assert settings.digest.days == Days(frozenset({0, 2, 4}))


def test_the_environment_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[logging]\nlevel = "DEBUG"\n')
    assert load_settings(env={"PAPERBOY_CONFIG": str(path)}).logging.level == "DEBUG"


def test_a_relative_database_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "paperboy.toml"
    path.write_text('[database]\npath = "data/papers.db"\n')
    assert load_settings(path, env={}).database.path == tmp_path / "conf" / "data" / "papers.db"


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[slack]\nbot_token = "xoxb-from-file"\n')
    env = {"HF_TOKEN": "hf_env", "SLACK_BOT_TOKEN": "xoxb-env", "PAPERBOY_DISCORD_TOKEN": "discord-env"}
    settings = load_settings(path, env=env)
    assert settings.sources.huggingface.token.reveal() == "hf_env"
    assert settings.slack.bot_token.reveal() == "xoxb-env"
    assert settings.discord.token.reveal() == "discord-env"
    assert set(settings.secrets()) == {"hf_env", "xoxb-env", "discord-env"}


def test_secrets_print_as_stars() -> None:
    secret = Secret("xoxb-very-secret")
    assert "very-secret" not in f"{secret} {secret!r} {Settings(slack=Settings().slack.__class__(bot_token=secret))}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sources.huggingface]\nevry = "1h"\n',
            'unknown setting "sources.huggingface.evry"; did you mean "sources.huggingface.every"?',
        ),
        ('[databse]\npath = "x.db"\n', 'unknown setting "databse"; did you mean "database"?'),
        ('[sources.huggingface]\nevery = "soon"\n', 'sources.huggingface.every: "soon" is not a duration'),
        ("[sources.huggingface]\nevery = 30\n", "sources.huggingface.every: must be text in quotes, not a number"),
        ('[sources.huggingface]\nenabled = "yes"\n', "sources.huggingface.enabled: must be true or false, not text"),
        (
            "[sources.huggingface]\nlookback_days = 0\n",
            "sources.huggingface.lookback_days: must be between 1 and 60, not 0",
        ),
        ("[sources.huggingface]\nlookback_days = true\n", "sources.huggingface.lookback_days: must be a whole number"),
        (
            '[sources.huggingface]\nbase_url = "huggingface.co"\n',
            'sources.huggingface.base_url: "huggingface.co" is not an http(s) URL',
        ),
        (
            '[feeds]\nbase_url = "paperboy.example.org"\n',
            'feeds.base_url: "paperboy.example.org" is not an http(s) URL',
        ),
        ('[digest]\ntimezone = "Mars/Base"\n', 'digest.timezone: "Mars/Base" is not a time zone'),
        ('[digest]\ntime = "25:00"\n', 'digest.time: "25:00" is not a time of day'),
        ('[digest]\ndays = "someday"\n', 'digest.days: "someday" is not a set of days'),
        ('[sources.arxiv]\ncategories = "cs.LG"\n', "sources.arxiv.categories: must be a list of text"),
        ("[sources.arxiv]\ncategories = []\n", "sources.arxiv.categories: needs at least one arXiv category"),
        (
            '[sources.arxiv]\nrequest_interval = "1s"\n',
            "sources.arxiv.request_interval: arXiv asks for at most one request every 3 seconds",
        ),
        ("database = 3\n", '"database" must be a table ([database]), not a number'),
        ('[logging]\nlevel = "LOUD"\n', "logging.level: must be one of DEBUG, INFO, WARNING, ERROR"),
        ("[database\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_faster_arxiv_pace_is_allowed_for_another_server(tmp_path: Path) -> None:
    path = write(tmp_path, '[sources.arxiv]\nbase_url = "http://127.0.0.1:8000"\nrequest_interval = "0s"\n')
    assert load_settings(path, env={}).sources.arxiv.request_interval == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weekly on fri", Days(frozenset({4}), weekly=True)),
        ("weekly:fri", Days(frozenset({4}), weekly=True)),
        ("weekly", Days(frozenset({0}), weekly=True)),
        ("Weekly on Friday", Days(frozenset({4}), weekly=True)),
        ("mon,wed-fri", Days(frozenset({0, 2, 3, 4}))),
    ],
)
def test_digest_days_takes_what_the_days_option_takes(tmp_path: Path, text: str, expected: Days) -> None:
    settings = load_settings(write(tmp_path, f'[digest]\ndays = "{text}"\n'), env={})
    assert settings.digest.days == expected == Days(*parse_days(text))


def test_digest_days_from_the_environment_takes_a_weekly_schedule() -> None:
    settings = load_settings(env={"PAPERBOY_DIGEST_DAYS": "weekly:fri"})
    assert settings.digest.days == Days(frozenset({4}), weekly=True)


@pytest.mark.parametrize("text", ["someday", "weekly on funday", "weekly mon-fri", "weekly on"])
def test_bad_digest_days_are_refused_in_the_days_options_words(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError) as said:
        parse_days(text)
    path = write(tmp_path, f'[digest]\ndays = "{text}"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert str(error.value) == f"{path}: digest.days: {said.value}"


@pytest.mark.parametrize(
    "days",
    [
        Days(frozenset(range(5))),
        Days(frozenset(range(7))),
        Days(frozenset({0, 2, 4})),
        Days(frozenset({5, 6})),
        Days(frozenset({4}), weekly=True),
        Days(frozenset({6}), weekly=True),
    ],
)
def test_digest_days_reads_back_what_paperboy_shows(tmp_path: Path, days: Days) -> None:
    # str(Days) is how `paperboy subscriptions` and the channel's schedule spell days
    path = write(tmp_path, f'[digest]\ndays = "{days}"\n')
    assert load_settings(path, env={}).digest.days == days


def test_a_config_file_asked_for_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file .*missing.toml does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


def test_an_env_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={"PAPERBOY_CONFIG": str(tmp_path / "nope.toml")})


def test_setting_keys_lists_every_leaf() -> None:
    keys = setting_keys()
    assert "sources.huggingface.every" in keys and "slack.bot_token" in keys and "digest.days" in keys
    assert "config_path" not in keys and not any(k.endswith(".value") for k in keys)


def test_the_example_config_sets_every_key_and_no_other() -> None:
    with EXAMPLE.open("rb") as handle:
        assert set(_flatten(tomllib.load(handle))) == set(setting_keys())


def test_the_example_config_holds_the_defaults() -> None:
    loaded = load_settings(EXAMPLE, env={})
    assert loaded.database.path == EXAMPLE.parent / Settings().database.path
    assert replace(loaded, config_path=None, database=Settings().database) == Settings()


def test_every_key_in_the_example_config_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"config.example.toml line {number + 1} has no comment: {line}"


def _flatten(table: dict[str, object], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in table.items():
        if isinstance(value, dict):
            keys.extend(_flatten(value, f"{prefix}{key}."))
        else:
            keys.append(prefix + key)
    return keys


def test_oauth_installs_come_from_the_client_id_and_secret(tmp_path: Path) -> None:
    path = write(tmp_path, '[slack]\nsigning_secret = "s"\n')
    settings = load_settings(path, env={"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "client-secret"})
    assert settings.slack.installs
    assert "client-secret" in settings.secrets()


@pytest.mark.parametrize(
    ("slack", "message"),
    [
        ('client_id = "1.2"\nsigning_secret = "s"\n', "slack.client_id and slack.client_secret go together"),
        (
            'client_id = "1.2"\nclient_secret = "c"\nsigning_secret = "s"\nbot_token = "xoxb-1"\n',
            "slack.bot_token and OAuth installs (slack.client_id) exclude each other",
        ),
        (
            'client_id = "1.2"\nclient_secret = "c"\napp_token = "xapp-1"\nsigning_secret = "s"\n',
            "OAuth installs need HTTP mode",
        ),
        ('client_id = "1.2"\nclient_secret = "c"\n', "OAuth installs need HTTP mode"),
    ],
)
def test_slack_modes_that_cannot_work_are_refused(tmp_path: Path, slack: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, f"[slack]\n{slack}"), env={})
    assert str(error.value).startswith(message)
    assert "xoxb-1" not in str(error.value) and "xapp-1" not in str(error.value)


def test_any_setting_can_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "PAPERBOY_HEALTH_PORT": "8080",
        "PAPERBOY_SOURCES_ARXIV_ENABLED": "true",
        "PAPERBOY_SOURCES_HUGGINGFACE_EVERY": "1h",
        "PAPERBOY_SLACK_ALLOWED_USERS": "U1, U2",
        "PAPERBOY_DIGEST_TIMEZONE": "Europe/Berlin",
    }
    settings = load_settings(write(tmp_path, "[health]\nport = 9000\n"), env=env)
    assert settings.health.port == 8080, "the environment wins over the file"
    assert settings.sources.arxiv.enabled
    assert settings.sources.huggingface.every == timedelta(hours=1)
    assert settings.slack.allowed_users == ("U1", "U2")
    assert settings.digest.timezone.key == "Europe/Berlin"


def test_the_readme_explains_settings_from_the_environment() -> None:
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    assert "PAPERBOY_<SECTION>_<KEY>" in readme


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAPERBOY_HEALTH_PORT": "eighty"}, '$PAPERBOY_HEALTH_PORT: "eighty" is not a whole number'),
        ({"PAPERBOY_SOURCES_ARXIV_ENABLED": "maybe"}, '$PAPERBOY_SOURCES_ARXIV_ENABLED: "maybe" is not true or false'),
    ],
)
def test_a_bad_environment_setting_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        load_settings(env=env)
    assert str(error.value).startswith(message)


def test_a_misspelt_environment_setting_is_an_error_that_suggests_the_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, ""), env={"PAPERBOY_DIGST_TIME": "08:00"})
    assert str(error.value) == "$PAPERBOY_DIGST_TIME is not a paperboy setting; did you mean $PAPERBOY_DIGEST_TIME?"


def test_an_unknown_environment_setting_says_how_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, ""), env={"PAPERBOY_FLAVOUR": "vanilla"})
    assert str(error.value).startswith("$PAPERBOY_FLAVOUR is not a paperboy setting; settings are named")


def test_paperboys_other_variables_are_not_settings_and_are_accepted(tmp_path: Path) -> None:
    env = {name: "x" for name in NON_SETTING_ENV if name != CONFIG_ENV}
    load_settings(write(tmp_path, ""), env=env)


def test_every_paperboy_variable_read_outside_the_settings_is_listed() -> None:
    # the variables read elsewhere (the clock, the CLI, the tests' PostgreSQL server) must be in the list, or
    # setting them would be an error: paperboy run from a shell or a test that has one set would refuse to start
    assert {CONFIG_ENV, OFFSET_ENV, "PAPERBOY_DISCORD_TOKEN", POSTGRES_URL_VARIABLE} <= set(NON_SETTING_ENV)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAPERBOY_HEALTH_PORT": "70000"}, "$PAPERBOY_HEALTH_PORT: must be between 0 and 65535, not 70000"),
        ({"PAPERBOY_DIGEST_TIMEZONE": "Mars/Base"}, '$PAPERBOY_DIGEST_TIMEZONE: "Mars/Base" is not a time zone'),
        (
            {"PAPERBOY_SOURCES_ARXIV_REQUEST_INTERVAL": "1s"},
            "$PAPERBOY_SOURCES_ARXIV_REQUEST_INTERVAL: arXiv asks for at most one request every 3 seconds",
        ),
    ],
)
def test_a_value_from_the_environment_names_the_variable_not_the_key(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, '[health]\nport = 8080\n[digest]\ntimezone = "UTC"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path, env=env)
    assert str(error.value).startswith(message)


def test_slack_settings_that_disagree_name_the_variables_that_set_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, ""), env={"SLACK_CLIENT_ID": "1.2"})
    assert f"({tmp_path / 'config.toml'} and $SLACK_CLIENT_ID)" in str(error.value)


PG_URL = "postgresql://paperboy:s3cret@db.example.org:5432/paperboy"


def test_without_a_url_the_database_is_the_sqlite_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), env={})
    assert settings.database.target == settings.database.path


def test_a_database_url_wins_over_the_path(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, f'[database]\npath = "x.db"\nurl = "{PG_URL}"\n'), env={})
    assert settings.database.target == PG_URL


def test_the_paperboy_variable_wins_over_the_conventional_one(tmp_path: Path) -> None:
    other = PG_URL.replace("db.example.org", "other.example.org")
    env = {"PAPERBOY_DATABASE_URL": PG_URL, "DATABASE_URL": other}
    assert load_settings(write(tmp_path, ""), env=env).database.target == PG_URL


def test_the_conventional_variable_names_a_postgresql_database(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ""), env={"DATABASE_URL": PG_URL}).database.target == PG_URL


def test_the_conventional_variable_does_not_override_the_file(tmp_path: Path) -> None:
    mine = PG_URL.replace("db.example.org", "mine.example.org")
    settings = load_settings(write(tmp_path, f'[database]\nurl = "{mine}"\n'), env={"DATABASE_URL": PG_URL})
    assert settings.database.target == mine


def test_another_applications_database_url_is_left_alone(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), env={"DATABASE_URL": "mysql://u:p@h/db"})
    assert settings.database.target == settings.database.path


def test_a_database_url_that_is_not_postgresql_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must be a PostgreSQL URL like postgresql://") as raised:
        load_settings(write(tmp_path, '[database]\nurl = "mysql://u:hunter2@h/db"\n'), env={})
    assert "\n" not in str(raised.value)


def test_the_database_password_is_a_secret_for_the_logs(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), env={"PAPERBOY_DATABASE_URL": PG_URL})
    assert "s3cret" in settings.secrets()
    assert "s3cret" not in repr(settings.database)


def test_the_lease_has_a_floor(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lease"):
        load_settings(write(tmp_path, '[database]\nlease = "5s"\n'), env={})


def test_a_process_connects_the_discord_shards_it_names(tmp_path: Path) -> None:
    discord = load_settings(write(tmp_path, "[discord]\nshards = 4\nshard_ids = [2, 3]\n"), env={}).discord
    assert discord.shard_ids == (2, 3) and discord.connected_shards() == (2, 3)
    assert load_settings(write(tmp_path, "[discord]\nshards = 2\n"), env={}).discord.connected_shards() == (0, 1)
    assert load_settings(write(tmp_path, "[discord]\nshards = 0\n"), env={}).discord.connected_shards() is None


def test_discord_shard_ids_can_come_from_the_environment(tmp_path: Path) -> None:
    env = {"PAPERBOY_DISCORD_SHARDS": "4", "PAPERBOY_DISCORD_SHARD_IDS": "1, 3"}
    assert load_settings(write(tmp_path, ""), env=env).discord.shard_ids == (1, 3)


@pytest.mark.parametrize(
    ("discord", "message"),
    [
        ("shards = 4\nshard_ids = [1, 1]", "discord.shard_ids: lists shard 1 twice; name each shard once"),
        ("shards = 4\nshard_ids = [-1]", "discord.shard_ids: shard ids are 0 or more, not -1"),
        ("shards = 4\nshard_ids = [0, 4]", "discord.shard_ids: shard 4 is not below discord.shards (4); shard ids go"),
        ("shards = 0\nshard_ids = [0]", "discord.shard_ids needs discord.shards, the number of shards in all (1 or"),
        ('shards = 2\nshard_ids = ["0"]', "discord.shard_ids: must be a list of whole numbers, like [0, 1]"),
    ],
)
def test_discord_shard_ids_that_cannot_work_are_one_sentence_naming_the_key(
    tmp_path: Path, discord: str, message: str
) -> None:
    path = write(tmp_path, f"[discord]\n{discord}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    assert str(error.value).startswith(f"{path}: {message}")
    assert "\n" not in str(error.value)


def test_discord_shard_ids_from_the_environment_that_are_not_numbers_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, ""), env={"PAPERBOY_DISCORD_SHARD_IDS": "zero"})
    assert str(error.value) == '$PAPERBOY_DISCORD_SHARD_IDS: "zero" is not a list of whole numbers, like "0,1"'


def test_a_feeds_base_url_is_read_and_empty_by_default(tmp_path: Path) -> None:
    assert Settings().feeds.base_url == ""
    path = write(tmp_path, '[feeds]\nbase_url = "https://paperboy.example.org"\n')
    assert load_settings(path, env={}).feeds.base_url == "https://paperboy.example.org"
