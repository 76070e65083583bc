"""Hugging Face Daily Papers: `GET {base_url}/api/daily_papers?date=YYYY-MM-DD`, paged, into `Paper` values.

Two response shapes exist: the current one (top-level `title`, `numComments`, `organization`; `paper` with
`ai_summary`, `githubRepo` …) and the 2024 one (only `paper{id, authors, publishedAt, title, summary,
upvotes}`). Every optional field may be missing. A day with no data may answer `{"error": …}`: no papers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.config import HttpSettings, HuggingFaceSettings
from paperboy.dedup import merge_sightings
from paperboy.errors import InvalidPaperId, SourceError
from paperboy.http import Endpoint, SourceUnavailable, get_parsed
from paperboy.models import FetchedDay, Paper
from paperboy.sources.parsing import clean_text, optional_datetime, optional_int, optional_text, text_list

log = logging.getLogger(__name__)

NAME = "huggingface"
#: a guard against a server that ignores `p` and repeats its first page forever
MAX_PAGES = 50
_ENDPOINT = Endpoint("Hugging Face", "sources.huggingface.base_url")


@dataclass(frozen=True, slots=True)
class _Page:
    items: tuple[Any, ...]
    error: str | None = None


class HuggingFaceSource:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, settings: HuggingFaceSettings, http: HttpSettings) -> None:
        self._client = client
        self._settings = settings
        self._http = http

    async def fetch_day(self, day: date) -> FetchedDay:
        sightings: list[Paper] = []
        seen: set[str] = set()
        skipped = 0
        size = self._settings.page_size
        for page_number in range(MAX_PAGES):
            page = await self._fetch_page(day, page_number)
            if page.error is not None:
                log.info("Hugging Face has no papers for %s (%s)", day, page.error)
                break
            added = 0
            for index, item in enumerate(page.items):
                try:
                    paper = parse_item(item, day)
                except (InvalidPaperId, KeyError, TypeError, ValueError) as error:
                    skipped += 1
                    log.warning("skipped item %d of Hugging Face %s page %d: %s", index, day, page_number, error)
                    continue
                added += paper.id not in seen
                seen.add(paper.id)
                sightings.append(paper)
            if len(page.items) < size or added == 0:
                break
        # a paper listed twice (a v2 copy and the v1 copy) is one paper, by the same rule the store uses
        return FetchedDay(source=NAME, day=day, papers=tuple(merge_sightings(sightings)), skipped=skipped)

    async def probe(self) -> str:
        page = await self._get({"limit": 1})
        return "answered with an error object" if page.error else "answered with a list of papers"

    async def _fetch_page(self, day: date, page_number: int) -> _Page:
        params: dict[str, str | int] = {"date": day.isoformat(), "limit": self._settings.page_size}
        if page_number:
            params["p"] = page_number
        return await self._get(params)

    async def _get(self, params: dict[str, str | int]) -> _Page:
        headers = {"Authorization": f"Bearer {self._settings.token.reveal()}"} if self._settings.token else {}
        url = self._settings.base_url.rstrip("/") + "/api/daily_papers"
        return await get_parsed(
            self._client,
            url,
            params=params,
            headers=headers,
            parse=_parse_page,
            endpoint=_ENDPOINT,
            policy=self._http,
        )


def _parse_page(response: httpx.Response) -> _Page:
    status = response.status_code
    if status in (401, 403):
        raise SourceUnavailable(
            f"Hugging Face refused the request ({status}); check HF_TOKEN (sources.huggingface.token), "
            "or leave it empty to fetch anonymously"
        )
    try:
        body = json.loads(response.content)
    except ValueError as error:
        if status >= 400:
            raise SourceUnavailable(
                f"Hugging Face answered {status} for {response.url.path}; check sources.huggingface.base_url"
            ) from None
        raise ValueError(f"not valid JSON: {error}") from None
    if isinstance(body, dict) and "error" in body:
        return _Page(items=(), error=clean_text(str(body["error"])) or "error")
    if status >= 400:
        raise SourceError(f"Hugging Face answered {status} with an unexpected body; try again later")
    if not isinstance(body, list):
        raise SourceError(f"Hugging Face sent {type(body).__name__} where a list of papers was expected")
    return _Page(items=tuple(body))


def parse_item(item: Any, day: date) -> Paper:
    """One Daily Papers entry (either shape) as a `Paper` seen on `day`."""
    if not isinstance(item, Mapping):
        raise TypeError(f"an entry is {type(item).__name__}, not an object")
    paper = item["paper"]
    if not isinstance(paper, Mapping):
        raise TypeError("the entry's paper is not an object")
    arxiv_id = parse_arxiv_id(str(paper["id"]))
    title = clean_text(item.get("title")) or clean_text(paper.get("title"))
    if not title:
        raise ValueError(f"paper {arxiv_id} has no title")
    authors = tuple(
        name
        for name in (clean_text(a.get("name")) for a in paper.get("authors") or () if isinstance(a, Mapping))
        if name
    )
    return Paper(
        id=arxiv_id.base,
        version=arxiv_id.version,
        title=title,
        abstract=clean_text(paper.get("summary")) or clean_text(item.get("summary")),
        authors=authors,
        published_at=optional_datetime(paper.get("publishedAt")) or optional_datetime(item.get("publishedAt")),
        daily_date=day,
        upvotes=optional_int(paper.get("upvotes")),
        comments=optional_int(item.get("numComments")),
        ai_summary=optional_text(paper.get("ai_summary")),
        ai_keywords=text_list(paper.get("ai_keywords")),
        github_repo=optional_text(paper.get("githubRepo")),
        github_stars=optional_int(paper.get("githubStars")),
        project_page=optional_text(paper.get("projectPage")),
        organization=_organization(item.get("organization") or paper.get("organization")),
        sources=frozenset({NAME}),
    )


def _organization(value: object) -> str | None:
    if isinstance(value, Mapping):
        return optional_text(value.get("fullname")) or optional_text(value.get("name"))
    return optional_text(value)
