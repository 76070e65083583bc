"""`python -m paperboy` runs the CLI."""

from __future__ import annotations

from paperboy.entry import main

raise SystemExit(main())
