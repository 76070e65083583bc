"""Atom feeds: a channel's sent digests as a feed, read back as a feed reader reads it, served at a secret
address on the health server, and gone for good when the address is replaced."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import feedparser
import httpx
import pytest
import pytest_asyncio
from defusedxml import ElementTree

from paperboy.config import DigestSettings, HealthSettings, Settings
from paperboy.errors import NotSubscribed
from paperboy.feeds import FEED_DIGESTS, FeedAddress, atom_feed
from paperboy.health import serve_health
from paperboy.models import ChannelRef, DigestKind, DigestState, Paper, Platform
from paperboy.runtime import Runtime
from paperboy.store import Store
from paperboy.subscriptions import SubscriptionService
from paperboy.wiring.runtime import open_runtime
from tests.fakes.clock import FakeClock
from tests.fakes.running import free_port, serving, without_sources

pytestmark = pytest.mark.asyncio
NOW = datetime(2025, 1, 16, 9, 0, tzinfo=UTC)
LAB = ChannelRef(Platform.SLACK, "C0123", "T0456")
BASE = "https://paperboy.example.org"
PAPERS = [
    Paper(
        id=f"2501.0000{n}",
        title=f"Paper {n} & <friends>",
        abstract=f"We study thing {n}. It works.",
        authors=("Ada Author", "Bo Builder"),
        upvotes=10 * n,
        github_repo="https://github.com/lab/code" if n % 2 else None,
    )
    for n in range(1, 7)
]


def service(store: Store, base_url: str = BASE) -> SubscriptionService:
    return SubscriptionService(store, DigestSettings(), FakeClock(NOW), feed_base_url=base_url)


async def sent(store: Store, papers: list[Paper], at: datetime, left_out: list[Paper] = ()) -> int:  # type: ignore[assignment]
    planned = await store.ledger.plan(
        LAB, at.date(), [p.id for p in papers], [p.id for p in left_out], at, kind=DigestKind.NOW
    )
    assert planned is not None
    await store.ledger.mark(planned.id, DigestState.SENT, now=at)
    return planned.id


async def subscribed_with_digests(store: Store) -> FeedAddress:
    """LAB subscribed with a filter, given two digests (the second with a paper left out); its feed address."""
    await store.papers.upsert(PAPERS, now=NOW)
    await service(store).subscribe(LAB, by="U1", filter="diffusion OR thing")
    await sent(store, PAPERS[:2], NOW - timedelta(days=1))
    await sent(store, PAPERS[2:4], NOW, left_out=[PAPERS[4]])
    return await service(store).feed(LAB)


def parsed(document: bytes | None) -> Any:
    assert document is not None
    feed = feedparser.parse(document)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


async def test_a_feed_has_an_entry_per_paper_of_the_sent_digests_newest_first(store: Store) -> None:
    address = await subscribed_with_digests(store)
    feed = parsed(await atom_feed(store, address.token))
    assert [e.title for e in feed.entries] == [PAPERS[n].title for n in (2, 3, 0, 1)], "left-out papers are no entry"


async def test_a_feed_and_its_entries_have_the_ids_and_times_atom_asks_for(store: Store) -> None:
    address = await subscribed_with_digests(store)
    feed = parsed(await atom_feed(store, address.token))
    assert feed.feed.id.startswith("urn:uuid:")
    assert feed.feed.title == "paperboy: diffusion OR thing"
    assert feed.feed.updated_parsed[:6] == NOW.timetuple()[:6], "updated with the newest digest"
    ids = [entry.id for entry in feed.entries]
    assert all(i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == len(ids)
    assert [e.updated_parsed[:6] for e in feed.entries] == [NOW.timetuple()[:6]] * 2 + [
        (NOW - timedelta(days=1)).timetuple()[:6]
    ] * 2
    assert all(entry.published == entry.updated for entry in feed.entries)


ATOM = "{http://www.w3.org/2005/Atom}"


def atom_rule_breaches(document: bytes) -> list[str]:
    """What the document breaks of RFC 4287's rules for a feed and its entries (4.1.1, 4.1.2, 4.2.7.2): one id,
    title and updated each; an author on the feed or on every entry; at most one alternate link per entry; ids
    that are absolute IRIs, and times with their offset."""
    root = ElementTree.fromstring(document)
    found: list[str] = [] if root.tag == f"{ATOM}feed" else [f"the root is {root.tag}"]
    entries = root.findall(f"{ATOM}entry")
    for where, element in [("feed", root), *((f"entry {n}", e) for n, e in enumerate(entries))]:
        for name in ("id", "title", "updated"):
            if len(element.findall(f"{ATOM}{name}")) != 1:
                found.append(f"{where} has not exactly one {name}")
        identifier = element.findtext(f"{ATOM}id") or ""
        if not re.match(r"[a-z][a-z0-9+.-]*:", identifier):
            found.append(f"{where}'s id {identifier!r} is not an absolute IRI")
        if datetime.fromisoformat(element.findtext(f"{ATOM}updated") or "").tzinfo is None:
            found.append(f"{where}'s updated has no offset")
        if where != "feed":
            links = element.findall(f"{ATOM}link")
            alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
            if len(alternates) > 1:
                found.append(f"{where} has {len(alternates)} alternate links")
            if not element.findall(f"{ATOM}author") and not root.findall(f"{ATOM}author"):
                found.append(f"{where} has no author, nor has the feed")
    return found


async def test_a_feed_keeps_atoms_rules(store: Store) -> None:
    address = await subscribed_with_digests(store)
    document = await atom_feed(store, address.token)
    assert document is not None and atom_rule_breaches(document) == []


async def test_each_entry_links_what_the_digest_links(store: Store) -> None:
    address = await subscribed_with_digests(store)
    with_code, without_code = parsed(await atom_feed(store, address.token)).entries[:2]  # PAPERS[2], PAPERS[3]
    paper = PAPERS[2]
    assert with_code.link == paper.url, "the Hugging Face page is the entry's own"
    related = [(link.title, link.href) for link in with_code.links if link.rel == "related"]
    assert related == [("arXiv", paper.arxiv_url), ("PDF", paper.pdf_url), ("code", "https://github.com/lab/code")]
    assert [link.title for link in without_code.links] == ["Hugging Face", "arXiv", "PDF"]
    assert [author.name for author in with_code.authors] == ["Ada Author", "Bo Builder"]
    assert with_code.summary == "We study thing 3."
    assert f'<a href="{paper.arxiv_url}">arXiv</a>' in with_code.content[0].value


async def test_entries_keep_their_ids_when_the_address_is_replaced(store: Store) -> None:
    address = await subscribed_with_digests(store)
    before = parsed(await atom_feed(store, address.token))
    after = parsed(await atom_feed(store, (await service(store).replace_feed(LAB, by="U1")).token))
    assert after.feed.id == before.feed.id
    assert [e.id for e in after.entries] == [e.id for e in before.entries]


async def test_a_replaced_address_opens_nothing(store: Store) -> None:
    address = await subscribed_with_digests(store)
    new = await service(store).replace_feed(LAB, by="U1")
    assert new.token != address.token
    assert await atom_feed(store, address.token) is None
    assert await atom_feed(store, new.token) is not None


async def test_asking_again_gives_the_same_address(store: Store) -> None:
    address = await subscribed_with_digests(store)
    assert (await service(store).feed(LAB)).token == address.token


async def test_a_channel_without_digests_has_a_valid_empty_feed(store: Store) -> None:
    await service(store).subscribe(LAB, by="U1")
    feed = parsed(await atom_feed(store, (await service(store).feed(LAB)).token))
    assert feed.entries == [] and feed.feed.title == "paperboy: new papers"
    assert feed.feed.updated_parsed[:6] == NOW.timetuple()[:6], "updated when the feed was made"


async def test_a_feed_lists_only_the_last_digests(store: Store) -> None:
    await store.papers.upsert(PAPERS, now=NOW)
    await service(store).subscribe(LAB, by="U1")
    for n, paper in enumerate(PAPERS):  # six digests of one paper each
        await sent(store, [paper], NOW - timedelta(days=30 - n))
    feed = parsed(await atom_feed(store, (await service(store).feed(LAB)).token))
    assert len(feed.entries) == min(len(PAPERS), FEED_DIGESTS)
    assert feed.entries[0].title == PAPERS[-1].title


async def test_a_feed_holds_no_token(store: Store) -> None:
    address = await subscribed_with_digests(store)
    document = await atom_feed(store, address.token)
    assert document is not None and address.token.encode() not in document


async def test_a_channel_not_subscribed_has_no_feed(store: Store) -> None:
    with pytest.raises(NotSubscribed):
        await service(store).feed(LAB)
    with pytest.raises(NotSubscribed):
        await service(store).replace_feed(LAB, by="U1")


async def test_an_address_is_a_url_under_the_base_url_and_never_shows_its_token_in_a_repr() -> None:
    address = FeedAddress("s3cr3t-token", BASE + "/")
    assert address.url == f"{BASE}/feeds/s3cr3t-token.atom"
    assert "s3cr3t-token" not in repr(address)
    assert address.url in address.describe("/papers feed revoke")


async def test_without_a_base_url_the_address_says_what_to_set() -> None:
    address = FeedAddress("tok", "")
    assert address.url is None
    text = address.describe("/papers feed revoke")
    assert "/feeds/tok.atom" in text and "feeds.base_url" in text


@pytest_asyncio.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Runtime, str]]:
    """A runtime with its health server on a free port of 127.0.0.1; the server's base URL."""
    port = free_port()
    async with open_runtime(replace(without_sources(settings), health=HealthSettings(port=port))) as runtime:
        runtime.clock = FakeClock(NOW)
        async with serve_health(runtime):
            yield runtime, f"http://127.0.0.1:{port}"


async def test_the_health_server_serves_a_feed_as_atom(served: tuple[Runtime, str]) -> None:
    runtime, base = served
    address = await subscribed_with_digests(runtime.store)
    async with httpx.AsyncClient() as client:
        response = await client.get(base + address.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert "private" in response.headers["cache-control"]
    assert len(parsed(response.content).entries) == 4


async def test_an_unknown_or_revoked_token_gets_a_bare_404(served: tuple[Runtime, str]) -> None:
    runtime, base = served
    address = await subscribed_with_digests(runtime.store)
    await service(runtime.store).replace_feed(LAB, by="U1")
    async with httpx.AsyncClient() as client:
        revoked = await client.get(base + address.path)
        unknown = await client.get(base + "/feeds/never-issued.atom")
        no_route = await client.get(base + "/feeds/nothing-here")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.text == unknown.text == no_route.text, "a revoked token looks like any path that is not there"


async def test_serving_a_feed_logs_no_token(served: tuple[Runtime, str], caplog: pytest.LogCaptureFixture) -> None:
    runtime, base = served
    address = await subscribed_with_digests(runtime.store)
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as client:
        await client.get(base + address.path)
        await client.get(base + "/feeds/never-issued.atom")
    # the client's own lines (httpx) say what it asked for; aiosqlite's debug lines quote every query's
    # parameters, and paperboy's logging keeps it at WARNING at every verbosity (log.py)
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "aiosqlite"))]
    assert not [line for line in server_side if address.token in line or "never-issued" in line]


async def test_a_feed_keeps_to_its_own_channel(store: Store) -> None:
    address = await subscribed_with_digests(store)
    other = ChannelRef(Platform.SLACK, "C0999", "T0456")
    await service(store).subscribe(other, by="U1")
    planned = await store.ledger.plan(other, date(2025, 1, 16), [PAPERS[5].id], [], NOW, kind=DigestKind.NOW)
    assert planned is not None
    await store.ledger.mark(planned.id, DigestState.SENT, now=NOW)
    titles = [e.title for e in parsed(await atom_feed(store, address.token)).entries]
    assert PAPERS[5].title not in titles
    other_titles = [e.title for e in parsed(await atom_feed(store, (await service(store).feed(other)).token)).entries]
    assert other_titles == [PAPERS[5].title]


async def test_paperboy_run_serves_feeds_on_its_health_port(settings: Settings) -> None:
    port = free_port()
    async with await Store.open(settings.database.target) as store:
        address = await subscribed_with_digests(store)
    run = replace(without_sources(settings), health=HealthSettings(port=port))
    async with serving(run), httpx.AsyncClient() as client, asyncio.timeout(10):
        while True:
            try:
                response = await client.get(f"http://127.0.0.1:{port}{address.path}")
                break
            except httpx.ConnectError:  # the health server is not listening yet
                await asyncio.sleep(0.02)
    assert response.status_code == 200
    assert len(parsed(response.content).entries) == 4
