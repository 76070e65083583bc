"""The shared corpus of real paper records (tests/data/papers.json), given arXiv ids, authors and days, and
turned into Hugging Face Daily Papers items and arXiv Atom entries.

The records carry no ids: ids are assigned per distinct title (so the five titles listed twice share one id,
as the same paper seen twice does). Each search page of the corpus becomes one Daily Papers day, so a
duplicated title is the same paper listed on two days. Records with a `published` date become current-shape
HF items; the sparse ones (all on page 002) become 2024-shape items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from paperboy.models import Paper

DATA = Path(__file__).resolve().parent.parent / "data" / "papers.json"
#: the Daily Papers day of each corpus page; page 002 holds the sparse records, served in the 2024 shape
DAYS = {"000": date(2025, 1, 15), "001": date(2025, 1, 16), "002": date(2024, 6, 3)}


@dataclass(frozen=True, slots=True)
class CorpusPaper:
    id: str
    title: str
    summary: str
    authors: tuple[str, ...]
    organization: str | None
    published: date | None
    upvotes: int
    page: str

    @property
    def day(self) -> date:
        return DAYS[self.page]


@cache
def corpus() -> tuple[CorpusPaper, ...]:
    records = json.loads(DATA.read_text(encoding="utf-8"))
    ids: dict[str, str] = {}
    papers = []
    for index, record in enumerate(records):
        paper_id = ids.setdefault(record["title"], f"2501.{len(ids) + 1:05d}")
        n_authors = record["n_authors"] or 2
        papers.append(
            CorpusPaper(
                id=paper_id,
                title=record["title"],
                summary=record["summary"],
                authors=tuple(f"Author{index} Person{k}" for k in range(n_authors)),
                organization=record["organization"],
                published=date.fromisoformat(record["published"]) if record["published"] else None,
                upvotes=record["upvotes"],
                page=record["page"],
            )
        )
    return tuple(papers)


def by_day() -> dict[date, list[CorpusPaper]]:
    days: dict[date, list[CorpusPaper]] = {}
    for paper in corpus():
        days.setdefault(paper.day, []).append(paper)
    return days


def duplicated_titles() -> list[str]:
    seen: dict[str, int] = {}
    for paper in corpus():
        seen[paper.title] = seen.get(paper.title, 0) + 1
    return [title for title, count in seen.items() if count > 1]


def hf_item(paper: CorpusPaper, **paper_overrides: Any) -> dict[str, Any]:
    """A Daily Papers item: the current shape for full records, the 2024 shape for sparse ones."""
    authors = [{"name": name, "hidden": False, "_id": f"a{i}"} for i, name in enumerate(paper.authors)]
    if paper.published is None:
        inner = {
            "id": paper.id,
            "authors": authors,
            "publishedAt": "2024-06-01T00:00:00.000Z",
            "title": paper.title,
            "summary": paper.summary,
            "upvotes": paper.upvotes,
        }
        return {"paper": inner | paper_overrides, "mediaUrl": "https://cdn.example/thumb.png"}
    published = f"{paper.published.isoformat()}T00:00:00.000Z"
    inner = {
        "id": paper.id,
        "authors": authors,
        "publishedAt": published,
        "submittedOnDailyAt": f"{paper.day.isoformat()}T08:00:00.000Z",
        "title": paper.title,
        "summary": paper.summary,
        "upvotes": paper.upvotes,
        "discussionId": f"d{paper.id}",
    }
    item: dict[str, Any] = {
        "paper": inner | paper_overrides,
        "title": paper.title,
        "summary": paper.summary,
        "publishedAt": published,
        "thumbnail": "https://cdn.example/thumb.png",
        "numComments": 1,
        "submittedBy": {"name": "someone", "fullname": "Some One"},
        "isAuthorParticipating": False,
        "mediaUrls": [],
    }
    if paper.organization:
        name, _, fullname = paper.organization.partition(" ")
        item["organization"] = {"name": name, "fullname": fullname or name}
    return item


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One arXiv result, as the fake arXiv serves it."""

    id: str  # with version, e.g. 2501.00001v2
    title: str
    summary: str
    authors: tuple[str, ...]
    published: str  # 2025-01-16T18:00:00Z
    categories: tuple[str, ...] = ("cs.LG",)

    @property
    def submitted(self) -> date:
        return date.fromisoformat(self.published[:10])


def atom_entry(paper: CorpusPaper, version: int = 1, categories: tuple[str, ...] = ("cs.LG",)) -> AtomEntry:
    return AtomEntry(
        id=f"{paper.id}v{version}",
        title=paper.title,
        summary=paper.summary,
        authors=paper.authors,
        published=f"{paper.day.isoformat()}T17:30:00Z",
        categories=categories,
    )


def atom_feed(entries: list[AtomEntry], total: int, start: int) -> str:
    """An arXiv API response. Elements are namespaced; `entry` children come in a shuffled order on purpose."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
        ' xmlns:arxiv="http://arxiv.org/schemas/atom">',
        "<title>ArXiv Query</title>",
        f"<opensearch:totalResults>{total}</opensearch:totalResults>",
        f"<opensearch:startIndex>{start}</opensearch:startIndex>",
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>",
    ]
    for entry in entries:
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in entry.authors)
        categories = "".join(f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in entry.categories)
        parts.append(
            "<entry>"
            f"<updated>{entry.published}</updated>"
            f"<title>{escape(entry.title)}</title>"
            f"<id>http://arxiv.org/abs/{entry.id}</id>"
            f"<summary>  {escape(entry.summary)}\n</summary>"
            f"<published>{entry.published}</published>"
            f"{authors}"
            f'<arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages</arxiv:comment>'
            f'<link href="http://arxiv.org/abs/{entry.id}" rel="alternate" type="text/html"/>'
            f'<link title="pdf" href="http://arxiv.org/pdf/{entry.id}" rel="related" type="application/pdf"/>'
            f'<arxiv:primary_category term="{entry.categories[0]}" scheme="http://arxiv.org/schemas/atom"/>'
            f"{categories}"
            "</entry>"
        )
    parts.append("</feed>")
    return "\n".join(parts)


def atom_error_feed(message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        "<title>ArXiv Query</title><opensearch:totalResults>1</opensearch:totalResults>"
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title>"
        f"<summary>{escape(message)}</summary><updated>2025-01-16T00:00:00-05:00</updated>"
        '<link href="http://arxiv.org/api/errors#incorrect_id_format" rel="alternate" type="text/html"/>'
        "<author><name>arXiv api core</name></author></entry></feed>"
    )


def atom_entity_expansion_feed() -> str:
    """A feed whose title expands to 10⁹ "lol"s ("billion laughs") if the parser expands entities."""
    laughs = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<!DOCTYPE feed [{''.join(laughs)}]>"
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>'
    )


def atom_external_entity_feed() -> str:
    """A feed whose title is a local file's content if the parser resolves external entities."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>'
    )


#: arXiv categories given to corpus papers in turn (the corpus itself has none)
CATEGORIES = (("cs.LG",), ("cs.CL", "cs.LG"), ("cs.CV",))


def corpus_papers() -> list[Paper]:
    """The corpus as stored papers, one per distinct title, with the fields the records lack filled in
    deterministically: every third paper has code, categories rotate, the org is the record's."""
    papers: dict[str, Paper] = {}
    for n, record in enumerate(corpus()):
        if record.id in papers:
            continue
        papers[record.id] = Paper(
            id=record.id,
            title=record.title,
            abstract=record.summary,
            authors=record.authors,
            published_at=datetime(record.published.year, record.published.month, record.published.day, tzinfo=UTC)
            if record.published
            else None,
            daily_date=record.day,
            upvotes=record.upvotes,
            github_repo=f"https://github.com/example/repo{n}" if n % 3 == 0 else None,
            github_stars=n * 10 if n % 3 == 0 else None,
            organization=record.organization,
            categories=CATEGORIES[n % 3],
            sources=frozenset({"huggingface"}),
        )
    return list(papers.values())
