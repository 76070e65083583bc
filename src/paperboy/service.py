"""The facade the CLI and the chat adapters call. It speaks in values (`Paper`, `SearchHit`), never in SQL."""

from __future__ import annotations

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.errors import PaperNotFound, QueryError
from paperboy.models import Paper, SearchHit
from paperboy.store import Store

MAX_QUERY_LENGTH = 500
MAX_LIMIT = 100


class PaperService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Papers matching every word of `query`, best first."""
        if len(query) > MAX_QUERY_LENGTH:
            raise QueryError(f"the search is {len(query)} characters long; keep it under {MAX_QUERY_LENGTH}")
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
        return await self._store.papers.search_words(query, limit)

    async def paper(self, text: str) -> Paper:
        """The paper with arXiv id `text` (any usual spelling: `2401.12345v2`, `arXiv:…`, an abs URL)."""
        arxiv_id = parse_arxiv_id(text)
        paper = await self._store.papers.get(arxiv_id.base)
        if paper is None:
            raise PaperNotFound(
                f"paper {arxiv_id.base} is not in the database yet; fetch its day with "
                "`paperboy fetch --date YYYY-MM-DD`, or check the id"
            )
        return paper
