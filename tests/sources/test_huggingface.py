"""The Hugging Face Daily Papers source against a fake API on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import httpx
import pytest
import pytest_asyncio

from paperboy import errors
from paperboy.config import Secret, Settings
from paperboy.errors import SourceError
from paperboy.http import USER_AGENT, SourceUnavailable, make_client
from paperboy.sources.huggingface import HuggingFaceSource
from tests.fakes.corpus import by_day, corpus, hf_item
from tests.fakes.huggingface import PATH, FakeHuggingFace
from tests.fakes.server import Fault, RecordedRequest

DAY = date(2025, 1, 16)
pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(settings.http) as client:
        yield client


@pytest.fixture
def source(settings: Settings, client: httpx.AsyncClient) -> HuggingFaceSource:
    return HuggingFaceSource(client, settings.sources.huggingface, settings.http)


def first_pages(server: FakeHuggingFace) -> list[RecordedRequest]:
    return [r for r in server.requests_to(PATH) if "p" not in r.query]


async def test_fetches_every_paper_of_a_day(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    fetched = await source.fetch_day(DAY)
    assert sorted(p.id for p in fetched.papers) == ids
    assert all(p.daily_date == DAY and p.sources == {"huggingface"} for p in fetched.papers)


async def test_parses_current_shape_fields(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    paper = next(p for p in corpus() if p.organization)
    item = hf_item(
        paper,
        ai_summary="A short summary.",
        ai_keywords=["edge", "MoE"],
        githubRepo="https://github.com/x/y",
        githubStars=42,
        projectPage="https://x.github.io",
    )
    item["numComments"] = 3
    hf_server.days[DAY.isoformat()] = [item]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert parsed.title == paper.title
    assert parsed.authors == paper.authors
    assert parsed.upvotes == paper.upvotes and parsed.comments == 3
    assert parsed.ai_summary == "A short summary." and parsed.ai_keywords == ("edge", "MoE")
    assert parsed.github_repo == "https://github.com/x/y" and parsed.github_stars == 42
    assert parsed.project_page == "https://x.github.io"
    assert parsed.organization == paper.organization.split(" ", 1)[1]  # type: ignore[union-attr]
    assert parsed.published_at is not None and parsed.published_at.date() == paper.published


async def test_parses_the_2024_shape(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    sparse = next(p for p in corpus() if p.published is None)
    hf_server.days[DAY.isoformat()] = [hf_item(sparse)]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert (parsed.id, parsed.title, parsed.abstract) == (sparse.id, sparse.title, sparse.summary)
    assert parsed.comments is None and parsed.github_repo is None and parsed.ai_keywords == ()


async def test_tolerates_every_optional_field_missing(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.days[DAY.isoformat()] = [{"paper": {"id": "2501.00001", "title": "Only a title"}}]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert parsed.title == "Only a title"
    assert parsed.abstract == "" and parsed.authors == () and parsed.upvotes is None


async def test_title_line_breaks_and_double_spaces_collapse(
    hf_server: FakeHuggingFace, source: HuggingFaceSource
) -> None:
    item = {"paper": {"id": "2501.00002", "title": "Scaling Laws for Multimodal\n  Models", "summary": "a\n b"}}
    hf_server.days[DAY.isoformat()] = [item]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert parsed.title == "Scaling Laws for Multimodal Models"
    assert parsed.abstract == "a b"


async def test_top_level_title_wins_over_paper_title(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    item = {"title": "Clean Title", "paper": {"id": "2501.00003", "title": "Raw\n Title"}}
    hf_server.days[DAY.isoformat()] = [item]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert parsed.title == "Clean Title"


async def test_latex_in_titles_is_kept(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    item = {"paper": {"id": "2501.00004", "title": "MoE$^2$: Optimizing $\\ell_0$"}}
    hf_server.days[DAY.isoformat()] = [item]
    (parsed,) = (await source.fetch_day(DAY)).papers
    assert parsed.title == "MoE$^2$: Optimizing $\\ell_0$"


async def test_error_object_means_no_papers(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.days[DAY.isoformat()] = {"error": "No daily papers found for this date"}
    fetched = await source.fetch_day(DAY)
    assert fetched.papers == () and fetched.skipped == 0


async def test_empty_day_means_no_papers(source: HuggingFaceSource) -> None:
    assert (await source.fetch_day(DAY)).papers == ()


async def test_a_bad_item_is_skipped_and_the_rest_kept(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    good = [hf_item(p) for p in by_day()[DAY]]
    hf_server.days[DAY.isoformat()] = [
        {"paper": {"id": "not-an-id", "title": "x"}},
        "a string",
        {"no paper": 1},
        {"paper": {"id": "2501.00009"}},
        *good,
    ]
    fetched = await source.fetch_day(DAY)
    assert fetched.skipped == 4
    assert len(fetched.papers) == len(good)


async def test_pages_through_a_long_day(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    items = [hf_item(p) for p in corpus() if p.page == "002"][:45]  # page_size is 20 in tests: 3 pages
    hf_server.days[DAY.isoformat()] = items
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len({i["paper"]["id"] for i in items})
    assert [r.query.get("p") for r in hf_server.requests_to(PATH)] == [None, "1", "2"]


async def test_a_server_that_ignores_paging_does_not_loop(
    hf_server: FakeHuggingFace, source: HuggingFaceSource
) -> None:
    items = [hf_item(p) for p in corpus()[:20]]  # a full page
    hf_server.days[DAY.isoformat()] = items
    hf_server.ignore_paging = True
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len({i["paper"]["id"] for i in items})
    assert len(hf_server.requests_to(PATH)) == 2  # the second page added nothing new: stop


async def test_sends_token_as_bearer_and_names_itself(
    hf_server: FakeHuggingFace, settings: Settings, client: httpx.AsyncClient
) -> None:
    hf = replace(settings.sources.huggingface, token=Secret("hf_secret_value"))
    await HuggingFaceSource(client, hf, settings.http).fetch_day(DAY)
    (request,) = hf_server.requests_to(PATH)
    assert request.headers["Authorization"] == "Bearer hf_secret_value"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.query == {"date": "2025-01-16", "limit": "20"}


async def test_no_token_sends_no_authorization(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    await source.fetch_day(DAY)
    assert "Authorization" not in hf_server.requests_to(PATH)[0].headers


async def test_429_then_success_honours_retry_after(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, Fault(429, headers={"Retry-After": "1"}))
    started = time.monotonic()
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len(set(ids))
    assert time.monotonic() - started >= 0.9  # waited what Retry-After asked, not the 10 ms backoff
    assert len(first_pages(hf_server)) == 2


async def test_ratelimit_header_reset_is_honoured(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, Fault(429, headers={"RateLimit": '"api";r=0;t=1'}))
    started = time.monotonic()
    await source.fetch_day(DAY)
    assert time.monotonic() - started >= 0.9


async def test_500_twice_then_success(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, Fault(500), Fault(503))
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len(set(ids))
    assert len(first_pages(hf_server)) == 3


async def test_timeout_then_success(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, Fault(delay=1.5))  # the test client gives up after 0.5 s
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len(set(ids))


async def test_truncated_json_then_success(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    ids = hf_server.serve_corpus_day(DAY)
    hf_server.fail_next(PATH, Fault(body=b'[{"paper": {"id": "2501.0'))
    fetched = await source.fetch_day(DAY)
    assert len(fetched.papers) == len(set(ids))


async def test_persistent_500_gives_a_clear_error(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.fail_next(PATH, *[Fault(500)] * 4)
    with pytest.raises(SourceUnavailable) as error:
        await source.fetch_day(DAY)
    assert str(error.value) == "Hugging Face answered 500 Internal Server Error on all 4 tries; try again later"


async def test_persistent_429_gives_a_clear_error(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.fail_next(PATH, *[Fault(429)] * 4)
    with pytest.raises(SourceUnavailable) as error:
        await source.fetch_day(DAY)
    assert str(error.value) == "Hugging Face answered 429 Too Many Requests on all 4 tries; try again later"


async def test_persistent_timeout_gives_a_clear_error(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.fail_next(PATH, *[Fault(delay=1.0)] * 4)
    with pytest.raises(SourceUnavailable, match=r"did not answer within 0.5 s on all 4 tries; try again later"):
        await source.fetch_day(DAY)


async def test_persistent_truncated_json_gives_a_clear_error(
    hf_server: FakeHuggingFace, source: HuggingFaceSource
) -> None:
    hf_server.fail_next(PATH, *[Fault(body=b"[{")] * 4)
    with pytest.raises(SourceUnavailable, match=r"unreadable response \(not valid JSON"):
        await source.fetch_day(DAY)


async def test_retry_after_beyond_max_wait_fails_at_once(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.fail_next(PATH, Fault(429, headers={"Retry-After": "3600"}))
    with pytest.raises(SourceUnavailable, match=r"asks paperboy to wait 3600s"):
        await source.fetch_day(DAY)
    assert len(hf_server.requests_to(PATH)) == 1


async def test_refused_token_says_which_setting(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.fail_next(PATH, Fault(401))
    with pytest.raises(SourceUnavailable, match=r"refused the request \(401\); check HF_TOKEN"):
        await source.fetch_day(DAY)


async def test_a_404_is_not_retried(hf_server: FakeHuggingFace, source: HuggingFaceSource) -> None:
    hf_server.missing = True
    with pytest.raises(SourceUnavailable, match=r"answered 404 .*check sources.huggingface.base_url") as error:
        await source.fetch_day(DAY)
    assert len(hf_server.requests_to(PATH)) == 1
    assert errors.fault_of(error.value) is errors.Fault.PERMANENT


async def test_unreachable_server_names_the_config_key(settings: Settings, client: httpx.AsyncClient) -> None:
    hf = replace(settings.sources.huggingface, base_url="http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(SourceError) as error:
        await HuggingFaceSource(client, hf, settings.http).fetch_day(DAY)
    assert "cannot reach Hugging Face at http://127.0.0.1:9" in str(error.value)
    assert "check sources.huggingface.base_url" in str(error.value)
