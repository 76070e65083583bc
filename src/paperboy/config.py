"""Settings: a TOML file plus secrets from the environment, loaded into typed, immutable values.

Each section of the file is a frozen dataclass below; the loader walks their fields, so a key exists in the
file exactly when a field exists here. Anything it cannot use (an unknown key, a wrong type, a bad time zone
or duration) becomes one `ConfigError` that names the file and the key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from paperboy.errors import ConfigError
from paperboy.timespec import Days, parse_clock, parse_duration, parse_timezone

CONFIG_ENV = "PAPERBOY_CONFIG"
UTC_ZONE = ZoneInfo("UTC")
#: the days a new subscription gets unless digest.days says otherwise
MON_FRI = Days(frozenset(range(5)))
ARXIV_MIN_INTERVAL = timedelta(seconds=3)
DEFAULT_CONFIG_PATH = Path("config.toml")

#: environment variables that supply secrets (and the Slack client id, kept with its secret), and the setting
#: each fills; a non-empty variable wins over the file
SECRET_ENV: Mapping[str, tuple[str, ...]] = {
    "HF_TOKEN": ("sources", "huggingface", "token"),
    "PAPERBOY_DISCORD_TOKEN": ("discord", "token"),
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_CLIENT_ID": ("slack", "client_id"),
    "SLACK_CLIENT_SECRET": ("slack", "client_secret"),
}

#: paperboy's environment variables that are not `PAPERBOY_<SECTION>_<KEY>` settings; any other `PAPERBOY_…`
#: variable is a misspelt setting and an error, as an unknown key in the file is
NON_SETTING_ENV: tuple[str, ...] = (
    CONFIG_ENV,
    "PAPERBOY_DISCORD_TOKEN",  # discord.token's secret variable (SECRET_ENV)
    "PAPERBOY_CLOCK_OFFSET",  # clock.OFFSET_ENV: shifts the clock, for tests and demos
    "DATABASE_URL",  # the conventional variable for database.url, read when $PAPERBOY_DATABASE_URL is not set
    "PAPERBOY_TEST_DATABASE_URL",  # the test suite's PostgreSQL server (tests/postgres.py); paperboy never reads it
)


@dataclass(frozen=True, slots=True)
class Secret:
    """A token or password. It prints as stars, so it cannot leak into a log line or an error by accident."""

    value: str = field(default="", repr=False)

    def reveal(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __str__(self) -> str:
        return "********" if self.value else ""

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"


Check = Callable[[Any], "str | None"]


def _check(check: Check) -> dict[str, Check]:
    return {"check": check}


def _between(low: int, high: int) -> dict[str, Check]:
    return _check(lambda v: None if low <= v <= high else f"must be between {low} and {high}, not {v}")


def _ws_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("ws", "wss") and parts.netloc:
        return None
    return f'"{value}" is not a WebSocket URL; write it like "wss://gateway.discord.gg/"'


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return f'"{value}" is not an http(s) URL; write it like "https://example.org"'


_CATEGORY = re.compile(r"[a-z-]+(?:\.[A-Za-z-]+)?")


def _categories(value: tuple[str, ...]) -> str | None:
    if not value:
        return 'needs at least one arXiv category, like ["cs.LG"]'
    bad = [c for c in value if not _CATEGORY.fullmatch(c)]
    return f'"{bad[0]}" is not an arXiv category; write it like "cs.LG" or "stat.ML"' if bad else None


def _shard_ids(value: tuple[int, ...]) -> str | None:
    if any(shard < 0 for shard in value):
        return f"shard ids are 0 or more, not {min(value)}"
    twice = sorted({shard for shard in value if value.count(shard) > 1})
    return f"lists shard {twice[0]} twice; name each shard once" if twice else None


def _at_least(low: timedelta) -> dict[str, Check]:
    return _check(lambda v: None if v >= low else f"must be at least {low.total_seconds():g}s")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    path: Path = Path("paperboy.db")
    #: a PostgreSQL URL (`postgresql://user:password@host:5432/db`): when set, it wins over `path`
    url: Secret = Secret()
    #: how long a process's claim on a digest holds without being renewed (another process then takes it over)
    lease: timedelta = field(default=timedelta(minutes=2), metadata=_at_least(timedelta(seconds=10)))

    @property
    def target(self) -> Path | str:
        """What `Store.open` takes: the URL when one is set, else the SQLite file."""
        return self.url.reveal() or self.path


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout: timedelta = field(default=timedelta(seconds=20), metadata=_at_least(timedelta(milliseconds=1)))
    attempts: int = field(default=5, metadata=_between(1, 20))
    backoff: timedelta = timedelta(seconds=1)
    max_wait: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class HuggingFaceSettings:
    enabled: bool = True
    base_url: str = field(default="https://huggingface.co", metadata=_check(_http_url))
    token: Secret = Secret()
    every: timedelta = field(default=timedelta(minutes=30), metadata=_at_least(timedelta(seconds=1)))
    lookback_days: int = field(default=3, metadata=_between(1, 60))
    page_size: int = field(default=100, metadata=_between(1, 1000))


@dataclass(frozen=True, slots=True)
class ArxivSettings:
    enabled: bool = False
    base_url: str = field(default="https://export.arxiv.org", metadata=_check(_http_url))
    categories: tuple[str, ...] = field(default=("cs.LG", "cs.CL", "cs.CV"), metadata=_check(_categories))
    every: timedelta = field(default=timedelta(hours=3), metadata=_at_least(timedelta(seconds=1)))
    lookback_days: int = field(default=3, metadata=_between(1, 60))
    page_size: int = field(default=200, metadata=_between(1, 2000))
    request_interval: timedelta = ARXIV_MIN_INTERVAL


@dataclass(frozen=True, slots=True)
class SourcesSettings:
    huggingface: HuggingFaceSettings = HuggingFaceSettings()
    arxiv: ArxivSettings = ArxivSettings()


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token: Secret = Secret()
    api_base_url: str = field(default="https://discord.com/api/v10", metadata=_check(_http_url))
    gateway_url: str = field(default="wss://gateway.discord.gg/", metadata=_check(_ws_url))
    #: gateway shards: 1 is one connection; 0 lets Discord say how many; more is that many (AutoShardedClient)
    shards: int = field(default=1, metadata=_between(0, 1024))
    #: the shards this process connects, of `shards` in all (empty: every one); processes sharing a database
    #: split the shards between them
    shard_ids: tuple[int, ...] = field(default=(), metadata=_check(_shard_ids))
    long_digests_in_thread: bool = False
    #: the bot's requests a second to Discord's API, summed over every paperboy process (Discord allows 50)
    requests_per_second: int = field(default=45, metadata=_between(1, 10_000))

    def connected_shards(self) -> tuple[int, ...] | None:
        """The shards this process connects: `shard_ids`, else all `shards`; None when Discord says how many."""
        if self.shard_ids:
            return self.shard_ids
        return tuple(range(self.shards)) if self.shards else None


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: Secret = Secret()
    app_token: Secret = Secret()
    signing_secret: Secret = Secret()
    api_base_url: str = field(default="https://slack.com/api/", metadata=_check(_http_url))
    http_host: str = "0.0.0.0"
    http_port: int = field(default=3000, metadata=_between(1, 65535))
    restrict_changes: bool = False
    allowed_users: tuple[str, ...] = ()
    long_digests_in_thread: bool = False
    client_id: str = ""
    client_secret: Secret = Secret()
    redirect_url: str = field(default="", metadata=_check(lambda v: None if not v else _http_url(v)))

    @property
    def installs(self) -> bool:
        """Whether workspaces install paperboy through OAuth (multi-workspace) rather than one bot token."""
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True, slots=True)
class DigestSettings:
    time: time = time(9, 0)
    timezone: ZoneInfo = UTC_ZONE
    #: what `--days` takes: `mon-fri`, `daily`, `mon,wed,fri`, `weekly on fri`
    days: Days = MON_FRI
    max_papers: int = field(default=10, metadata=_between(1, 50))


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    webhook_requests_per_second: int = field(default=20, metadata=_between(1, 1000))
    webhook_timeout: timedelta = timedelta(seconds=15)
    attempts: int = field(default=4, metadata=_between(1, 20))
    backoff: timedelta = timedelta(seconds=1)
    #: runs that try one digest before it is given up (waits between them: 1m, 5m, 30m, 2h, then 6h)
    digest_attempts: int = field(default=6, metadata=_between(1, 50))
    max_wait: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class HealthSettings:
    port: int = field(default=0, metadata=_between(0, 65535))
    host: str = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class FeedsSettings:
    #: the public address of the health server (behind a proxy, say), where feed readers fetch
    #: `/feeds/TOKEN.atom`; empty: `/papers feed show` gives the path alone and says to set this
    base_url: str = field(default="", metadata=_check(lambda v: None if not v else _http_url(v)))


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = field(
        default="INFO",
        metadata=_check(lambda v: None if v.upper() in _LOG_LEVELS else f"must be one of {', '.join(_LOG_LEVELS)}"),
    )


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    sources: SourcesSettings = SourcesSettings()
    discord: DiscordSettings = DiscordSettings()
    slack: SlackSettings = SlackSettings()
    digest: DigestSettings = DigestSettings()
    delivery: DeliverySettings = DeliverySettings()
    health: HealthSettings = HealthSettings()
    feeds: FeedsSettings = FeedsSettings()
    logging: LoggingSettings = LoggingSettings()
    #: the file these settings came from; None when built-in defaults were used
    config_path: Path | None = field(default=None, metadata={"internal": True})

    def secrets(self) -> tuple[str, ...]:
        """Every secret value set, for the log redactor."""
        values = (
            self.sources.huggingface.token,
            self.discord.token,
            self.slack.bot_token,
            self.slack.app_token,
            self.slack.signing_secret,
            self.slack.client_secret,
        )
        found = [s.reveal() for s in values if s]
        # a database URL is shown without its password (store.postgres.connection.public_url), but a driver's
        # message could still quote it whole
        password = urlsplit(self.database.url.reveal()).password if self.database.url else None
        return (*found, *([password] if password else []))


def load_settings(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `path`, else `$PAPERBOY_CONFIG`, else `./config.toml` if it exists, else defaults.

    A path that was asked for (argument or environment) must exist; the implicit `./config.toml` may not.
    """
    env = os.environ if env is None else env
    _check_variable_names(env)
    explicit = path if path is not None else env.get(CONFIG_ENV) or None
    config_path = Path(explicit) if explicit is not None else DEFAULT_CONFIG_PATH
    if config_path.exists():
        table = _read_toml(config_path)
        where = str(config_path)
    elif explicit is not None:
        raise ConfigError(f"config file {config_path} does not exist; check the path, or leave it out to use defaults")
    else:
        table, where, config_path = {}, "built-in defaults", None  # type: ignore[assignment]
    #: dotted key → the variable that set it, so that a bad value names the variable rather than the key
    origins: dict[str, str] = {}
    for key in setting_keys():
        variable = env_variable(key)
        if env.get(variable):
            _set_in(table, tuple(key.split(".")), _from_env(key, variable, env[variable]))
            origins[key] = variable
    for variable, key_path in SECRET_ENV.items():
        if env.get(variable):
            _set_in(table, key_path, env[variable])
            origins[".".join(key_path)] = variable
    _take_conventional_database_url(table, env, origins)
    settings: Settings = _build(Settings, table, where, prefix="", origins=origins)
    _check_database_url(settings.database, _naming("database.url", where, origins))
    _check_arxiv_courtesy(settings.sources.arxiv, _naming("sources.arxiv.request_interval", where, origins))
    _check_discord_shards(settings.discord, _naming("discord.shard_ids", where, origins))
    # the Slack settings that must agree may come from both: name the variables as well as the file
    _check_slack_mode(settings.slack, " and ".join([where, *(f"${v}" for v in sorted(origins.values()))]))
    base = config_path.parent if config_path is not None else Path.cwd()
    database = replace(settings.database, path=(base / settings.database.path.expanduser()).resolve())
    return replace(settings, database=database, config_path=config_path)


def _take_conventional_database_url(table: dict[str, Any], env: Mapping[str, str], origins: dict[str, str]) -> None:
    """$DATABASE_URL, the variable hosting platforms set, names the database when nothing of paperboy's does
    and it is a PostgreSQL URL (another application's MySQL URL, say, is not ours to read)."""
    url = env.get("DATABASE_URL", "")
    if "database.url" in origins or not url.startswith(_POSTGRES_SCHEMES):
        return
    if table.get("database", {}).get("url"):
        return
    _set_in(table, ("database", "url"), url)
    origins["database.url"] = "DATABASE_URL"


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _check_database_url(database: DatabaseSettings, where: str) -> None:
    url = database.url.reveal()
    if url and not url.startswith(_POSTGRES_SCHEMES):
        raise ConfigError(
            f"{where} must be a PostgreSQL URL like postgresql://user:password@host:5432/paperboy; "
            "leave it empty to use the SQLite file database.path"
        )


def _check_discord_shards(discord: DiscordSettings, naming: str) -> None:
    """Shard ids are numbers below the total: a process connecting shard 2 of 2 would connect nothing."""
    if not discord.shard_ids:
        return
    if discord.shards < 1:
        raise ConfigError(
            f"{naming} needs discord.shards, the number of shards in all (1 or more, not 0), to say which they are of"
        )
    beyond = [shard for shard in discord.shard_ids if shard >= discord.shards]
    if beyond:
        raise ConfigError(
            f"{naming}: shard {beyond[0]} is not below discord.shards ({discord.shards}); shard ids go from 0 to "
            f"{discord.shards - 1}"
        )


def _check_slack_mode(slack: SlackSettings, where: str) -> None:
    """One way of reaching workspaces: a bot token (one workspace), or OAuth installs (many, HTTP mode only)."""
    if bool(slack.client_id) != bool(slack.client_secret):
        raise ConfigError(
            f"slack.client_id and slack.client_secret go together ({where}); set both for OAuth installs, or neither"
        )
    if not slack.installs:
        return
    if slack.bot_token:
        raise ConfigError(
            f"slack.bot_token and OAuth installs (slack.client_id) exclude each other ({where}); keep the token for "
            "one workspace, or the client id and secret to let workspaces install paperboy"
        )
    if slack.app_token or not slack.signing_secret:
        raise ConfigError(
            f"OAuth installs need HTTP mode ({where}): set slack.signing_secret and leave slack.app_token empty"
        )


def _check_variable_names(env: Mapping[str, str]) -> None:
    """A `PAPERBOY_…` variable that names no setting is a typo: say so, as for an unknown key in the file."""
    known = {env_variable(key) for key in setting_keys()} | set(NON_SETTING_ENV)
    # compared without the prefix they all share, which would make any two names look alike
    suffixes = sorted(name.removeprefix("PAPERBOY_") for name in known)
    for name in sorted(env):
        if not name.startswith("PAPERBOY_") or name in known or not env[name]:
            continue
        close = difflib.get_close_matches(name.removeprefix("PAPERBOY_"), suffixes, n=1)
        if close:
            raise ConfigError(f"${name} is not a paperboy setting; did you mean $PAPERBOY_{close[0]}?")
        raise ConfigError(
            f"${name} is not a paperboy setting; settings are named PAPERBOY_<SECTION>_<KEY> after the keys in "
            "config.example.toml, like PAPERBOY_DIGEST_TIME; unset it or fix its name"
        )


def _naming(key: str, where: str, origins: Mapping[str, str]) -> str:
    """Where a bad value came from, to begin its error with: the variable that set it, else the file and key."""
    return f"${origins[key]}" if key in origins else f"{where}: {key}"


def _check_arxiv_courtesy(arxiv: ArxivSettings, naming: str) -> None:
    # arXiv's terms of use ask for at most one request every 3 seconds; only a mirror or test server may go faster
    host = urlsplit(arxiv.base_url).hostname or ""
    if host.endswith("arxiv.org") and arxiv.request_interval < ARXIV_MIN_INTERVAL:
        raise ConfigError(f'{naming}: arXiv asks for at most one request every 3 seconds; set it to "3s" or more')


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}; fix the file's syntax") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (line {line}); save the file as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror}); check the path and its permissions") from None


def env_variable(key: str) -> str:
    """The environment variable that sets `key`: `sources.huggingface.every` → `PAPERBOY_SOURCES_HUGGINGFACE_EVERY`."""
    return "PAPERBOY_" + key.upper().replace(".", "_")


def _from_env(key: str, variable: str, text: str) -> object:
    """An environment variable's text as the value a TOML file would hold for `key`."""
    hint: Any = Settings
    for name in key.split("."):
        hint = typing.get_type_hints(hint)[name]
    text = text.strip()
    if hint is bool:
        if text.lower() in ("true", "1", "yes", "on"):
            return True
        if text.lower() in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f'${variable}: "{text}" is not true or false')
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f'${variable}: "{text}" is not a whole number') from None
    if hint == tuple[str, ...]:
        return [item.strip() for item in text.split(",") if item.strip()]
    if hint == tuple[int, ...]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not all(re.fullmatch(r"-?[0-9]+", item) for item in items):
            raise ConfigError(f'${variable}: "{text}" is not a list of whole numbers, like "0,1"')
        return [int(item) for item in items]
    return text


def _set_in(table: dict[str, Any], key_path: tuple[str, ...], value: object) -> None:
    for key in key_path[:-1]:
        inner = table.get(key)
        if not isinstance(inner, dict):
            inner = table[key] = {}
        table = inner
    table[key_path[-1]] = value


def setting_keys(cls: type = Settings, prefix: str = "") -> list[str]:
    """Every dotted key a config file may set, e.g. `sources.huggingface.every`."""
    keys: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        if f.metadata.get("internal"):
            continue
        hint = hints[f.name]
        if _is_section(hint):
            keys.extend(setting_keys(hint, f"{prefix}{f.name}."))
        else:
            keys.append(prefix + f.name)
    return keys


def _build(cls: type[Any], table: Mapping[str, Any], where: str, prefix: str, origins: Mapping[str, str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = [f.name for f in fields(cls) if not f.metadata.get("internal")]
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f'did you mean "{prefix}{close[0]}"?' if close else f"known keys here: {', '.join(known)}"
            raise ConfigError(f'{where}: unknown setting "{prefix}{key}"; {hint}')
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in table:
            continue
        key = prefix + f.name
        hint = hints[f.name]
        raw = table[f.name]
        if _is_section(hint):
            if not isinstance(raw, dict):
                raise ConfigError(f'{where}: "{key}" must be a table ([{key}]), not {_describe(raw)}')
            values[f.name] = _build(hint, raw, where, prefix=key + ".", origins=origins)
            continue
        try:
            value = _convert(hint, raw)
            problem = f.metadata["check"](value) if "check" in f.metadata else None
        except ValueError as error:
            problem = str(error)
        if problem:
            raise ConfigError(f"{_naming(key, where, origins)}: {problem}")
        values[f.name] = value
    return cls(**values)


def _is_section(hint: object) -> bool:
    # a Secret or Days is one value written as text, not a table of keys
    return is_dataclass(hint) and hint not in (Secret, Days)


def _describe(raw: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a table"}
    return names.get(type(raw), type(raw).__name__)


def _wrong(wanted: str, raw: object) -> ValueError:
    return ValueError(f"must be {wanted}, not {_describe(raw)}")


def _convert(hint: object, raw: object) -> object:
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        raise _wrong("true or false", raw)
    if hint is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise _wrong("a whole number", raw)
    if hint == tuple[str, ...]:
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise _wrong('a list of text, like ["a", "b"]', raw)
    if hint == tuple[int, ...]:
        if isinstance(raw, list) and all(isinstance(item, int) and not isinstance(item, bool) for item in raw):
            return tuple(raw)
        raise _wrong("a list of whole numbers, like [0, 1]", raw)
    if not isinstance(raw, str):
        raise _wrong("text in quotes", raw)
    text_parsers: dict[object, Callable[[str], object]] = {
        str: str,
        Path: Path,
        Secret: Secret,
        timedelta: parse_duration,
        time: parse_clock,
        ZoneInfo: parse_timezone,
        Days: Days.parse,
    }
    return text_parsers[hint](raw)
