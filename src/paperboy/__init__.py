"""paperboy: the day's machine-learning papers, delivered to Discord and Slack channels."""

from __future__ import annotations

__version__ = "0.1.0"
