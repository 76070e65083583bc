"""What deploy/ holds is consistent with the code."""

from __future__ import annotations

from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_slack_manifest_declares_the_command_and_every_scope_used() -> None:
    manifest = (DEPLOY / "slack-manifest.yml").read_text(encoding="utf-8")
    assert "- command: /papers" in manifest
    scopes = {
        line.split("#")[0].strip().removeprefix("- ") for line in manifest.splitlines() if line.strip().startswith("- ")
    }
    assert {"commands", "chat:write", "users:read", "channels:history", "groups:history"} <= scopes
    assert "socket_mode_enabled: true" in manifest
