"""The facade adapters call: query text in, a page of papers out, bad input refused in words."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import pytest_asyncio

from paperboy.config import Settings
from paperboy.errors import InvalidPaperId, PaperNotFound, QueryError
from paperboy.http import make_client
from paperboy.ingest import ingest
from paperboy.models import ChannelRef, DigestKind, Platform, Sort
from paperboy.service import MAX_LIMIT, MAX_OFFSET, NO_CATEGORIES, PaperService
from paperboy.sources.arxiv import ArxivSource
from paperboy.store import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.corpus import atom_entry, corpus, corpus_papers

pytestmark = pytest.mark.asyncio
PAPERS = corpus_papers()


@pytest_asyncio.fixture
async def service(store: Store) -> PaperService:
    await store.papers.upsert(PAPERS)
    return PaperService(store, today=lambda: date(2025, 1, 17))


async def test_search_parses_the_query_text(service: PaperService) -> None:
    page = await service.search('title:diffusion -"text-to-image"', sort=Sort.NEWEST, limit=5)
    assert page.hits and all("diffusion" in hit.paper.title.lower() for hit in page.hits)


async def test_relative_dates_count_from_the_services_today(service: PaperService) -> None:
    page = await service.search("since:1d", limit=100)
    assert {hit.paper.daily_date for hit in page.hits} == {date(2025, 1, 16)}


async def test_a_bad_query_is_a_query_error(service: PaperService) -> None:
    with pytest.raises(QueryError, match="unclosed quote at column 1"):
        await service.search('"flow')


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
async def test_a_limit_out_of_range_is_refused(service: PaperService, limit: int) -> None:
    with pytest.raises(QueryError, match=f"the limit must be between 1 and {MAX_LIMIT}"):
        await service.search("model", limit=limit)


@pytest.mark.parametrize("offset", [-1, MAX_OFFSET + 1])
async def test_an_offset_out_of_range_is_refused(service: PaperService, offset: int) -> None:
    with pytest.raises(QueryError, match=f"the offset must be between 0 and {MAX_OFFSET}"):
        await service.search("model", offset=offset)


async def test_paper_by_any_spelling(service: PaperService) -> None:
    assert (await service.paper(f"arXiv:{PAPERS[0].id}v2")).id == PAPERS[0].id


async def test_paper_with_a_bad_id(service: PaperService) -> None:
    with pytest.raises(InvalidPaperId):
        await service.paper("nope")


async def test_paper_not_yet_fetched(service: PaperService) -> None:
    with pytest.raises(PaperNotFound, match="is not in the database yet"):
        await service.paper("2401.99999")


async def test_more_of_a_digest_that_does_not_exist_says_so(service: PaperService) -> None:
    with pytest.raises(QueryError, match=r"^there is no digest 123; more: takes the number"):
        await service.search("more:123")
    with pytest.raises(QueryError, match="there is no digest 7;"):
        await service.search("diffusion OR -more:7")


async def test_more_of_a_digest_lists_what_it_left_out(service: PaperService, store: Store) -> None:
    ref = ChannelRef(Platform.CONSOLE, "lab")
    now = datetime(2025, 1, 17, tzinfo=UTC)
    kept, left_out = [PAPERS[0].id], [PAPERS[1].id, PAPERS[2].id]
    digest = await store.ledger.plan(ref, now.date(), kept, left_out, now, kind=DigestKind.NOW)
    assert digest is not None
    page = await service.search(f"more:{digest.id}")
    assert [hit.paper.id for hit in page.hits] == left_out


@pytest.mark.parametrize(
    "spelling",
    ["{id}", "arXiv:{id}", "{id}v2", "https://arxiv.org/abs/{id}", "https://huggingface.co/papers/{id}", " {id} "],
)
async def test_a_query_that_is_only_an_id_or_a_link_finds_that_paper_alone(
    service: PaperService, spelling: str
) -> None:
    page = await service.search(spelling.format(id=PAPERS[3].id))
    assert [hit.paper.id for hit in page.hits] == [PAPERS[3].id]
    assert page.hints == ()


async def test_an_id_alone_that_is_not_in_the_database_says_so(service: PaperService) -> None:
    page = await service.search("2401.99999")
    assert page.hits == ()
    assert page.hints == (
        "paper 2401.99999 is not in the database yet; fetch its day with `paperboy fetch --date YYYY-MM-DD`, "
        "or check the id",
    )


async def test_a_lower_case_or_is_searched_as_a_word_with_a_hint(service: PaperService) -> None:
    page = await service.search("diffusion or video", limit=100)
    as_words = await service.search('diffusion video "or"', limit=100)
    assert [hit.paper.id for hit in page.hits] == [hit.paper.id for hit in as_words.hits]
    assert as_words.hints == ()
    assert len(page.hints) == 1 and page.hints[0].startswith("did you mean OR? ")


async def test_similar_takes_any_spelling_of_the_id_and_leaves_the_paper_out(service: PaperService) -> None:
    paper = PAPERS[2]
    page = await service.similar(f"https://arxiv.org/abs/{paper.id}v1", limit=5)
    assert page.hits and paper.id not in [hit.paper.id for hit in page.hits]


async def test_similar_to_an_unknown_paper_says_so(service: PaperService) -> None:
    with pytest.raises(PaperNotFound, match=r"paper 2912\.99999 is not in the database yet"):
        await service.similar("2912.99999")


async def test_similar_pages_are_limited_as_searches_are(service: PaperService) -> None:
    with pytest.raises(QueryError, match=f"the offset must be between 0 and {MAX_OFFSET}"):
        await service.similar(PAPERS[0].id, offset=MAX_OFFSET + 1)


async def test_a_category_search_on_papers_without_categories_says_where_they_come_from(
    service: PaperService,
) -> None:
    page = await service.search("cat:hep-th")
    assert page.hits == () and page.hints == (NO_CATEGORIES,)


async def test_a_category_search_after_an_arxiv_fetch_finds_no_need_to_say_so(
    service: PaperService, store: Store, settings: Settings, arxiv_server: FakeArxiv
) -> None:
    paper = corpus()[0]
    arxiv_server.entries = [atom_entry(paper, categories=("cs.LG",))]
    async with make_client(settings.http) as client:
        report = await ingest(store, ArxivSource(client, settings.sources.arxiv, settings.http), [paper.day])
    assert not report.errors
    page = await service.search("cat:hep-th")
    assert page.hits == () and page.hints == ()
