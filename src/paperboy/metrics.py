"""What paperboy counts while it runs, for Prometheus (served at `/metrics` by `health.py`).

The metrics live in paperboy's own registry rather than prometheus-client's global one, so that `/metrics`
shows paperboy's figures and the process collectors, nothing a library registered by the way.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

PAPERS_INGESTED = Counter(
    "paperboy_papers_ingested",
    "Papers a fetch stored, by source and by whether they were new or updated",
    ["source", "kind"],
    registry=REGISTRY,
)
FETCH_ERRORS = Counter(
    "paperboy_fetch_errors", "Days a source could not be fetched, after retries", ["source"], registry=REGISTRY
)
DIGESTS = Counter(
    "paperboy_digests",
    "Digests by platform and outcome: sent, empty, retry (tried again at a later run), failed (given up: "
    "tries used up, or paperboy's bug), paused (refused for good: the channel is paused)",
    ["platform", "outcome"],
    registry=REGISTRY,
)
MESSAGES = Counter(
    "paperboy_messages",
    "Chat messages by platform: sent, or failed (a digest the platform refused)",
    ["platform", "result"],
    registry=REGISTRY,
)
SEARCH_SECONDS = Histogram(
    "paperboy_search_seconds",
    "Time to answer a search",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("paperboy_digest_queue_depth", "Digests being sent or waiting for their turn", registry=REGISTRY)
