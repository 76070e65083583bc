"""arXiv: the Atom API for the configured categories, one submission day at a time, newest first, paged.

`GET {base_url}/api/query?search_query=(cat:cs.LG OR …) AND submittedDate:[D0000 TO D2359]&sortBy=…`.
Elements are matched by namespace, not position. An error comes back as a feed whose one entry is titled
"Error". arXiv's terms allow one request every 3 seconds on one connection: a `Pacer` enforces that.

A page holds up to `page_size` (2,000) entries, so it is parsed in a worker thread, not on the event loop. The
parser is defusedxml's: a document with a DTD (the way in for entity expansion, "billion laughs", and external
entities) is refused with a `SourceError` before anything is expanded or fetched. arXiv never sends one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import httpx
from defusedxml import DefusedXmlException

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.config import ArxivSettings, HttpSettings
from paperboy.dedup import merge_sightings
from paperboy.errors import Fault, InvalidPaperId, SourceError
from paperboy.http import Endpoint, Pacer, get_parsed
from paperboy.models import FetchedDay, Paper
from paperboy.sources.parsing import clean_text, optional_datetime, optional_int

log = logging.getLogger(__name__)

NAME = "arxiv"
MAX_PAGES = 100
_ENDPOINT = Endpoint("arXiv", "sources.arxiv.base_url")
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


@dataclass(frozen=True, slots=True)
class FeedPage:
    papers: tuple[Paper, ...]
    entries: int
    total: int | None
    skipped: int


class ArxivSource:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, settings: ArxivSettings, http: HttpSettings) -> None:
        self._client = client
        self._settings = settings
        self._http = http
        self._pacer = Pacer(settings.request_interval.total_seconds())

    def query_for(self, day: date) -> str:
        categories = " OR ".join(f"cat:{c}" for c in self._settings.categories)
        stamp = day.strftime("%Y%m%d")
        return f"({categories}) AND submittedDate:[{stamp}0000 TO {stamp}2359]"

    async def fetch_day(self, day: date) -> FetchedDay:
        sightings: list[Paper] = []
        skipped = 0
        start = 0
        size = self._settings.page_size
        for _ in range(MAX_PAGES):
            page = await self._fetch_page(day, start)
            skipped += page.skipped
            sightings.extend(page.papers)
            start += page.entries
            if page.entries < size or (page.total is not None and start >= page.total):
                break
        # a paper listed twice (two versions) is one paper, by the same rule the store uses
        return FetchedDay(source=NAME, day=day, papers=tuple(merge_sightings(sightings)), skipped=skipped)

    async def probe(self) -> str:
        page = await self._get({"search_query": f"cat:{self._settings.categories[0]}", "max_results": 1})
        return f"answered with {page.entries} entry" if page.entries == 1 else f"answered with {page.entries} entries"

    async def _fetch_page(self, day: date, start: int) -> FeedPage:
        params: dict[str, str | int] = {
            "search_query": self.query_for(day),
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": start,
            "max_results": self._settings.page_size,
        }
        return await self._get(params)

    async def _get(self, params: dict[str, str | int]) -> FeedPage:
        url = self._settings.base_url.rstrip("/") + "/api/query"
        return await get_parsed(
            self._client,
            url,
            params=params,
            parse=_parse_response,
            endpoint=_ENDPOINT,
            policy=self._http,
            pacer=self._pacer,
            parse_in_thread=True,
        )


def _parse_response(response: httpx.Response) -> FeedPage:
    if response.status_code >= 400 and b"<feed" not in response.content[:2000]:
        raise SourceError(
            f"arXiv answered {response.status_code} for {response.url.path}; check sources.arxiv.base_url"
        )
    return parse_feed(response.content)


def parse_feed(xml: bytes) -> FeedPage:
    """An Atom page of arXiv results. Raises `SourceError` for an error feed or a document with a DTD (a
    permanent fault: asking again gets the same document), `ValueError` for broken XML (a body cut off)."""
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except SafeET.ParseError as error:
        raise ValueError(f"not valid XML: {error}") from None
    except DefusedXmlException:
        # caught apart from ValueError (its base), which would be retried as a body cut off: this is no accident
        raise SourceError(
            "arXiv answered XML with a document type declaration, which paperboy refuses to read "
            "(it can expand entities without end or read other files); check sources.arxiv.base_url",
            fault=Fault.PERMANENT,
        ) from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise ValueError("not an Atom feed")
    entries = root.findall("atom:entry", _NS)
    for entry in entries:
        if _is_error(entry):
            message = clean_text(entry.findtext("atom:summary", "", _NS)) or "unknown error"
            raise SourceError(f"arXiv refused the query: {message}")
    papers: list[Paper] = []
    skipped = 0
    for index, entry in enumerate(entries):
        try:
            papers.append(parse_entry(entry))
        except (InvalidPaperId, ValueError) as error:
            skipped += 1
            log.warning("skipped arXiv entry %d: %s", index, error)
    total = optional_int(root.findtext("opensearch:totalResults", None, _NS))
    return FeedPage(papers=tuple(papers), entries=len(entries), total=total, skipped=skipped)


def _is_error(entry: Element) -> bool:
    entry_id = entry.findtext("atom:id", "", _NS)
    return "/api/errors" in entry_id or clean_text(entry.findtext("atom:title", "", _NS)) == "Error"


def parse_entry(entry: Element) -> Paper:
    arxiv_id = parse_arxiv_id(entry.findtext("atom:id", "", _NS))
    title = clean_text(entry.findtext("atom:title", "", _NS))
    if not title:
        raise ValueError(f"entry {arxiv_id} has no title")
    primary = entry.find("arxiv:primary_category", _NS)
    categories = [c.get("term", "") for c in entry.findall("atom:category", _NS)]
    if primary is not None and primary.get("term"):
        categories.insert(0, primary.get("term", ""))
    return Paper(
        id=arxiv_id.base,
        version=arxiv_id.version,
        title=title,
        abstract=clean_text(entry.findtext("atom:summary", "", _NS)),
        authors=tuple(
            name
            for name in (clean_text(a.findtext("atom:name", "", _NS)) for a in entry.findall("atom:author", _NS))
            if name
        ),
        published_at=optional_datetime(entry.findtext("atom:published", None, _NS)),
        categories=tuple(dict.fromkeys(c for c in categories if c)),
        sources=frozenset({NAME}),
    )
