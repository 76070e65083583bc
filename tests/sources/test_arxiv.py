"""The arXiv source against a fake Atom API on 127.0.0.1, and the Atom parser on hand-written feeds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from paperboy.config import Settings
from paperboy.errors import Fault, SourceError
from paperboy.http import make_client
from paperboy.sources.arxiv import ArxivSource, parse_feed
from tests.fakes.arxiv import PATH, FakeArxiv
from tests.fakes.corpus import (
    AtomEntry,
    atom_entity_expansion_feed,
    atom_entry,
    atom_error_feed,
    atom_external_entity_feed,
    atom_feed,
    corpus,
)

DAY = date(2025, 1, 16)


@pytest_asyncio.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(settings.http) as client:
        yield client


@pytest.fixture
def source(settings: Settings, client: httpx.AsyncClient) -> ArxivSource:
    return ArxivSource(client, settings.sources.arxiv, settings.http)


def entry(
    arxiv_id: str, day: date = DAY, categories: tuple[str, ...] = ("cs.LG",), title: str = "A title"
) -> AtomEntry:
    return AtomEntry(
        id=arxiv_id,
        title=title,
        summary="An abstract.",
        authors=("Ada Lovelace", "Alan Turing"),
        published=f"{day.isoformat()}T12:00:00Z",
        categories=categories,
    )


def test_parses_entries_by_namespace() -> None:
    paper = corpus()[0]
    feed = atom_feed([atom_entry(paper, version=2, categories=("cs.CV", "cs.LG"))], total=1, start=0)
    page = parse_feed(feed.encode())
    (parsed,) = page.papers
    assert (parsed.id, parsed.version) == (paper.id, 2)
    assert parsed.title == paper.title and parsed.abstract == paper.summary
    assert parsed.authors == paper.authors
    assert parsed.categories == ("cs.CV", "cs.LG")
    assert parsed.published_at == datetime(paper.day.year, paper.day.month, paper.day.day, 17, 30, tzinfo=UTC)
    assert parsed.sources == {"arxiv"} and parsed.upvotes is None
    assert page.total == 1


def test_old_style_and_versioned_ids() -> None:
    feed = atom_feed([entry("hep-th/9901001v3"), entry("math.GT/0309136"), entry("2401.12345v12")], 3, 0)
    ids = [(p.id, p.version) for p in parse_feed(feed.encode()).papers]
    assert ids == [("hep-th/9901001", 3), ("math.GT/0309136", None), ("2401.12345", 12)]


def test_an_error_feed_is_recognised() -> None:
    with pytest.raises(SourceError, match=r"^arXiv refused the query: malformed id$"):
        parse_feed(atom_error_feed("malformed id").encode())


def test_an_entry_with_a_bad_id_is_skipped() -> None:
    feed = atom_feed([entry("not/an/id"), entry("2401.12345")], 2, 0)
    page = parse_feed(feed.encode())
    assert [p.id for p in page.papers] == ["2401.12345"] and page.skipped == 1


def test_broken_xml_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not valid XML"):
        parse_feed(b"<feed><entry>")


def test_title_whitespace_collapses() -> None:
    feed = atom_feed([entry("2401.12345", title="Long title\n   over two lines")], 1, 0)
    assert parse_feed(feed.encode()).papers[0].title == "Long title over two lines"


@pytest.mark.asyncio
async def test_fetches_one_submission_day_of_the_configured_categories(
    arxiv_server: FakeArxiv, source: ArxivSource
) -> None:
    arxiv_server.entries = [
        entry("2501.00001"),
        entry("2501.00002", categories=("cs.CL",)),
        entry("2501.00003", categories=("math.AG",)),  # not a configured category
        entry("2501.00004", day=DAY - timedelta(days=1)),  # another day
    ]
    fetched = await source.fetch_day(DAY)
    assert sorted(p.id for p in fetched.papers) == ["2501.00001", "2501.00002"]
    query = arxiv_server.requests_to(PATH)[0].query
    assert (
        query["search_query"]
        == "(cat:cs.LG OR cat:cs.CL OR cat:cs.CV) AND submittedDate:[202501160000 TO 202501162359]"
    )
    assert (query["sortBy"], query["sortOrder"]) == ("submittedDate", "descending")


@pytest.mark.asyncio
async def test_pages_through_a_busy_day(arxiv_server: FakeArxiv, source: ArxivSource) -> None:
    arxiv_server.entries = [entry(f"2501.{n:05d}") for n in range(1, 46)]  # page size 20 in tests
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == 45
    assert [r.query["start"] for r in arxiv_server.requests_to(PATH)] == ["0", "20", "40"]


@pytest.mark.asyncio
async def test_requests_are_spaced_by_the_request_interval(
    arxiv_server: FakeArxiv, settings: Settings, client: httpx.AsyncClient
) -> None:
    arxiv_server.entries = [entry(f"2501.{n:05d}") for n in range(1, 46)]
    paced = replace(settings.sources.arxiv, request_interval=timedelta(seconds=0.3))
    await ArxivSource(client, paced, settings.http).fetch_day(DAY)
    gaps = [b - a for a, b in zip(arxiv_server.arrivals, arxiv_server.arrivals[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.29


@pytest.mark.asyncio
async def test_tries_that_got_no_connection_wait_only_for_the_backoff(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    closed = replace(settings.sources.arxiv, base_url="http://127.0.0.1:9", request_interval=timedelta(seconds=30))
    source = ArxivSource(client, closed, settings.http)  # 4 tries, 10 ms backoff
    async with asyncio.timeout(10):  # paced, the 3 retries would take 90 s: nothing reached arXiv
        with pytest.raises(SourceError, match=r"connection refused\) on all 4 tries"):
            await source.fetch_day(DAY)


@pytest.mark.asyncio
async def test_an_error_feed_from_the_server_is_a_clear_error(
    arxiv_server: FakeArxiv, settings: Settings, client: httpx.AsyncClient
) -> None:
    nothing = replace(settings.sources.arxiv, categories=("",))  # the fake answers a query without cat: with an error
    with pytest.raises(SourceError, match="arXiv refused the query: malformed query"):
        await ArxivSource(client, nothing, settings.http).fetch_day(DAY)


@pytest.mark.asyncio
@pytest.mark.parametrize("document", [atom_entity_expansion_feed(), atom_external_entity_feed()])
async def test_a_document_with_entities_is_refused_at_once(
    arxiv_server: FakeArxiv, source: ArxivSource, document: str
) -> None:
    arxiv_server.document = document
    with pytest.raises(SourceError, match="document type declaration, which paperboy refuses to read") as raised:
        await source.fetch_day(DAY)
    assert raised.value.fault is Fault.PERMANENT
    assert len(arxiv_server.requests_to(PATH)) == 1  # not retried: asking again gets the same document
