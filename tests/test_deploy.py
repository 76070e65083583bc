"""What deploy/ holds is consistent with the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from paperboy.adapters.slack_oauth import SCOPES
from paperboy.config import NON_SETTING_ENV, SECRET_ENV, env_variable, setting_keys

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_slack_manifest_declares_the_command_and_every_scope_used() -> None:
    manifest = (DEPLOY / "slack-manifest.yml").read_text(encoding="utf-8")
    assert "- command: /papers" in manifest
    scopes = {
        line.split("#")[0].strip().removeprefix("- ") for line in manifest.splitlines() if line.strip().startswith("- ")
    }
    assert set(SCOPES) <= scopes, "the scopes an OAuth install asks for are the manifest's"
    assert {"app_uninstalled", "tokens_revoked"} <= scopes, "uninstalls reach paperboy, so it forgets the token"
    assert "socket_mode_enabled: true" in manifest


def test_the_image_runs_as_a_user_and_checks_its_health() -> None:
    dockerfile = (DEPLOY.parent / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER paperboy\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    [port] = re.findall(r"http://127\.0\.0\.1:(\d+)/healthz", dockerfile)
    assert f'"--health-port", "{port}"' in dockerfile, "the health check asks the port paperboy serves"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yml").read_text(encoding="utf-8"))
    return loaded


def replicas() -> dict[str, dict[str, Any]]:
    """The compose file's paperboy services (built from the repository), by name."""
    return {name: service for name, service in compose()["services"].items() if "build" in service}


def test_the_compose_file_keeps_postgresql_in_a_volume_and_checks_it_is_ready() -> None:
    db = compose()["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_the_compose_file_runs_two_replicas_built_here_each_checking_its_health() -> None:
    dockerfile = (DEPLOY.parent / "Dockerfile").read_text(encoding="utf-8")
    [port] = re.findall(r'"--health-port", "(\d+)"', dockerfile)
    assert len(replicas()) == 2
    for name, service in replicas().items():
        assert (DEPLOY / service["build"]["context"] / "Dockerfile").resolve() == DEPLOY.parent / "Dockerfile", name
        assert f"http://127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"]), name
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        url = service["environment"]["PAPERBOY_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@db:5432/" in url, name


def test_the_compose_file_takes_every_secret_from_the_environment() -> None:
    secrets = {*SECRET_ENV, "POSTGRES_PASSWORD", "PAPERBOY_DATABASE_URL"}
    services = compose()["services"].values()
    given = {name: value for service in services for name, value in service.get("environment", {}).items()}
    assert set(SECRET_ENV) <= set(given), "each secret can be passed on"
    for name in secrets & set(given):
        assert re.search(r"\$\{[A-Z_]+:[-?]", given[name]), f"{name} is written in the file, not taken from outside"


def test_every_paperboy_variable_in_the_compose_file_is_a_setting() -> None:
    known = {env_variable(key) for key in setting_keys()} | set(SECRET_ENV) | set(NON_SETTING_ENV)
    for name, service in replicas().items():
        unknown = {variable for variable in service["environment"] if variable not in known}
        assert not unknown, f"{name} passes {unknown}, which paperboy does not read"


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="docker compose is not installed",
)
def test_docker_compose_reads_the_compose_file() -> None:
    checked = subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "POSTGRES_PASSWORD": "example"},
    )
    assert checked.returncode == 0, checked.stderr
