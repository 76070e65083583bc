"""`python -m paperboy` runs the CLI."""

from __future__ import annotations

from paperboy.cli import main

raise SystemExit(main())
