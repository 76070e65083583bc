"""Start-up benchmark: how long whole `paperboy` processes take, from exec to exit, next to `python -c pass`
in the same run (the interpreter's own start, which no change of ours can remove).

    python bench/startup.py [--runs 20] [--db bench/.data/search-100000.db]

Each command runs `--runs` times in turn (interleaved, so a busy moment of the machine touches every command
alike) and the median is reported. `paperboy search` runs against a 100,000-paper database built once (the
synthetic papers of bench/search.py) and kept. Targets on the reference machine (bench/README.md):
`paperboy --help` <= 0.25 s, `paperboy search` on 100k papers <= 0.4 s, `paperboy fetch --help` <= 0.25 s.
The script also reports which platform SDKs each command loaded (none, for these three).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from search import build

HERE = Path(__file__).resolve().parent
SDKS = ("discord", "slack_bolt", "slack_sdk", "aiohttp")
TARGETS = {"paperboy --help": 0.25, "paperboy search diffusion": 0.4, "paperboy fetch --help": 0.25}


def paperboy() -> str:
    found = shutil.which("paperboy", path=str(Path(sys.executable).parent)) or shutil.which("paperboy")
    if found is None:
        raise SystemExit("paperboy is not installed in this environment: pip install -e '.[test]'")
    return found


def commands(db: Path, config: Path) -> dict[str, list[str]]:
    exe = paperboy()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "paperboy --help": [exe, "--help"],
        "paperboy search diffusion": [exe, "--config", str(config), "search", "diffusion"],
        "paperboy fetch --help": [exe, "fetch", "--help"],
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def sdks_loaded(argv: list[str], env: dict[str, str]) -> list[str]:
    """The platform SDKs a command imports, from `python -X importtime`'s log."""
    if argv[0] == sys.executable:
        return []
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sys; from paperboy.entry import main; sys.exit(main())",
         *argv[1:]],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}
    return sorted(names & set(SDKS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, default=HERE / ".data" / "search-100000.db")
    args = parser.parse_args()
    asyncio.run(build(args.db, 100_000))
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text(f'[database]\npath = "{args.db}"\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "SLACK_", "DISCORD_"))}
        runs = commands(args.db, config)
        for argv in runs.values():  # warm the page cache and the bytecode cache first
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, argv in runs.items():
                times[name].append(timed(argv, env))
        print(f"python {platform.python_version()}, {platform.machine()}, {sys.platform}, {os.cpu_count()} cpus")
        print(f"{args.runs} runs each, whole process, median (min-max):")
        missed = []
        for name, values in times.items():
            median = statistics.median(values)
            target = TARGETS.get(name)
            verdict = "" if target is None else (f"  target <= {target} s: " + ("ok" if median <= target else "MISSED"))
            loaded = sdks_loaded(runs[name], env)
            print(f"  {name:<28} {median:.3f} s ({min(values):.3f}-{max(values):.3f}){verdict}"
                  f"{'  loads ' + ', '.join(loaded) if loaded else ''}")  # fmt: skip
            if target is not None and (median > target or loaded):
                missed.append(name)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
