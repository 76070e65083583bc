"""What deploy/ holds is consistent with the code."""

from __future__ import annotations

import re
from pathlib import Path

from paperboy.adapters.slack_oauth import SCOPES

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
