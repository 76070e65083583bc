"""The facade the CLI and the chat adapters call. It speaks in values (`Paper`, `SearchPage`), never in SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.errors import PaperNotFound, QueryError
from paperboy.ingest import last_fetched
from paperboy.metrics import SEARCH_SECONDS
from paperboy.models import Paper, SearchPage, Sort
from paperboy.query import Node, hints, parse
from paperboy.query.ast import And, Match, MatchField, Not, Or, walk
from paperboy.store import Store

MAX_LIMIT = 100
#: deep pages are refused: nobody reads result 10,000, and OFFSET costs grow with it
MAX_OFFSET = 1_000


class PaperService:
    def __init__(self, store: Store, today: Callable[[], date] | None = None) -> None:
        self._store = store
        self._today = today or (lambda: datetime.now(UTC).date())

    async def search(self, text: str, *, sort: Sort = Sort.RELEVANCE, limit: int = 10, offset: int = 0) -> SearchPage:
        """A page of the papers matching the query `text` (the query language: `query/parser.py`), with hints for
        whoever typed it: lower-case operators (`query/hints.py`), and a paper asked for by its id alone (`2401.12345`,
        an arXiv or Hugging Face link) that is not in the database, said as `paper` says it."""
        _check_page(limit, offset)
        query = parse(text)
        await self._refuse_unknown_digests(query)
        with SEARCH_SECONDS.time():
            page = await self._store.papers.search(query, sort=sort, limit=limit, offset=offset, today=self._today())
        notes = hints(text)
        if isinstance(query, Match) and query.field is MatchField.ID and not page.hits and offset == 0:
            notes += (_not_in_database(query.value),)
        if (
            not page.hits
            and offset == 0
            and _names_a_category(query)
            and await last_fetched(self._store, "arxiv") is None
        ):
            notes += (NO_CATEGORIES,)
        return replace(page, hints=notes) if notes else page

    async def _refuse_unknown_digests(self, query: Node) -> None:
        """`more:123` for a digest that does not exist is said as such, not as a search that matched nothing."""
        for number in sorted(set(_digest_numbers(query))):
            if await self._store.ledger.get(number) is None:
                raise QueryError(
                    f'there is no digest {number}; more: takes the number a digest\'s "and N more" line shows, '
                    "like more:123"
                )

    async def paper(self, text: str) -> Paper:
        """The paper with arXiv id `text` (any usual spelling: `2401.12345v2`, `arXiv:…`, an abs URL)."""
        arxiv_id = parse_arxiv_id(text)
        paper = await self._store.papers.get(arxiv_id.base)
        if paper is None:
            raise PaperNotFound(_not_in_database(arxiv_id.base))
        return paper

    async def similar(self, text: str, *, limit: int = 10, offset: int = 0) -> SearchPage:
        """A page of the papers most like the paper with arXiv id `text` (any spelling `paper` takes), best
        first, itself left out."""
        _check_page(limit, offset)
        paper = await self.paper(text)
        with SEARCH_SECONDS.time():  # a search too, by other words
            return await self._store.papers.similar(paper.id, limit=limit, offset=offset)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"the offset must be between 0 and {MAX_OFFSET}, not {offset}; narrow the search instead")


def _not_in_database(paper_id: str) -> str:
    return (
        f"paper {paper_id} is not in the database yet; fetch its day with `paperboy fetch --date YYYY-MM-DD`, "
        "or check the id"
    )


#: said when a search by category finds nothing on a database no arXiv fetch has filled: Hugging Face's
#: papers carry no categories, so `cat:` cannot match any of them
NO_CATEGORIES = (
    "no paper here has categories yet: they come from arXiv, which paperboy has not fetched; enable "
    "[sources.arxiv] (with its categories) and fetch"
)


def _names_a_category(node: Node) -> bool:
    return any(isinstance(leaf, Match) and leaf.field is MatchField.CATEGORY for leaf in walk(node))


def _digest_numbers(node: Node) -> list[int]:
    """The digests a query's `more:` terms name, wherever they stand in it."""
    match node:
        case Match(MatchField.MORE, value):
            return [int(value)]
        case Not(item):
            return _digest_numbers(item)
        case And(items) | Or(items):
            return [number for item in items for number in _digest_numbers(item)]
    return []
