"""The layers hold: sources, store and query at the bottom; the core above them; the adapters above the core;
the composition root (`wiring`), `app` and the CLI on top. Arrows point down only.

Checked twice: statically, every `import` statement of every module (function-level and TYPE_CHECKING ones
too), and by importing modules in a fresh interpreter (`python -c`) and looking at `sys.modules`, which also
catches what a module drags in through others.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "paperboy"

TOP = {"cli", "app", "entry", "__main__", "wiring"}
ADAPTERS = {"adapters"}
CORE = {
    "ingest", "digest", "delivery", "subscriptions", "service", "planning", "scheduler", "health",
    "runtime", "sinks", "run_lock", "links", "bylines", "heartbeat", "feeds", "ratings",
    "learning", "taste",
}  # fmt: skip
#: the bottom: the three packages, and the values and helpers every layer shares (`schedule` is the Schedule
#: value a subscription holds, with its arithmetic: models and the store need it)
BOTTOM = {
    "sources", "store", "query", "models", "errors", "config", "clock", "timespec", "arxiv_ids", "log", "metrics",
    "retry", "http", "dedup", "schedule", "reach", "pace",
}  # fmt: skip
PLATFORM_SDKS = ("discord", "slack_bolt", "slack_sdk")


def layer_of(part: str) -> str:
    for name, members in (("top", TOP), ("adapters", ADAPTERS), ("core", CORE), ("bottom", BOTTOM)):
        if part in members:
            return name
    raise AssertionError(f"paperboy.{part} is in no layer: add it to one in tests/test_layers.py")


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts == ("__init__",):
            continue
        found.append((".".join(("paperboy", *parts)).removesuffix(".__init__"), path))
    return found


def imported(path: Path) -> set[str]:
    """Every `paperboy.X` module (its first part) that `path` imports, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] if node.module != "paperboy" else [f"paperboy.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        names |= {t.split(".")[1] for t in targets if t.startswith("paperboy.")}
    return names


def own_part(module: str) -> str:
    return module.split(".")[1]


def test_every_module_has_a_layer() -> None:
    for module, _ in modules():
        layer_of(own_part(module))


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_imports_point_down_only(module: str, path: Path) -> None:
    order = ["bottom", "core", "adapters", "top"]
    mine = order.index(layer_of(own_part(module)))
    upward = sorted(part for part in imported(path) if order.index(layer_of(part)) > mine)
    assert not upward, f"{module} imports from a layer above it: {', '.join('paperboy.' + p for p in upward)}"


@pytest.mark.parametrize(("module", "path"), [m for m in modules() if own_part(m[0]) in ADAPTERS])
def test_adapters_import_neither_the_store_nor_the_runtime(module: str, path: Path) -> None:
    assert not imported(path) & {"store", "runtime"}, f"{module} reaches past its narrow services"


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running `code`."""
    run = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded: list[str] = json.loads(run.stdout.splitlines()[-1])
    return loaded


def test_core_and_bottom_load_no_adapter_and_no_platform_sdk() -> None:
    below = [m for m, _ in modules() if layer_of(own_part(m)) in ("core", "bottom")]
    loaded = loaded_after("\n".join(f"import {m}" for m in below))
    assert [m for m in loaded if m.startswith(("paperboy.adapters", "paperboy.wiring", "paperboy.cli"))] == []
    assert [m for m in loaded if m.split(".")[0] in PLATFORM_SDKS] == []


def test_the_command_line_and_search_load_no_platform_sdk(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "papers.db"}"\n', encoding="utf-8")
    loaded = loaded_after(
        "import contextlib, io\n"
        "from paperboy.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--config', {str(config)!r}, 'search', 'diffusion']) == 0"
    )
    assert [m for m in loaded if m.split(".")[0] in (*PLATFORM_SDKS, "aiohttp")] == []


def test_webhook_and_console_digests_load_no_platform_sdk() -> None:
    loaded = loaded_after(
        "import asyncio, httpx\n"
        "from paperboy.config import Settings\n"
        "from paperboy.wiring.sinks import build_sinks\n"
        "async def main():\n"
        "    async with httpx.AsyncClient() as client:\n"
        "        sinks = build_sinks(Settings(), client, None)\n"
        "        assert {p.value for p in sinks} == {'console', 'webhook'}\n"
        "asyncio.run(main())"
    )
    assert [m for m in loaded if m.split(".")[0] in PLATFORM_SDKS] == []
