"""The links shown with a paper, in the one order every renderer uses; each renderer writes them in its own
markup (Slack `<url|label>`, Discord `[label](url)`, bare URLs on the console).

A paper's page on Hugging Face comes first, then its arXiv abstract, the PDF, and the code when there is some.
A search result leaves out the Hugging Face page: its title already links there, and a page of results is
kept short. A digest and a single paper show every link; a digest also says how to find the papers like each
one (`similar`): the command that lists them, as the reader can type it where the digest is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

HUGGING_FACE = "Hugging Face"
ARXIV = "arXiv"
PDF = "PDF"
CODE = "code"
SIMILAR = "similar"


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


class Linked(Protocol):
    """What links are made from: a `Paper` or a digest's `DigestItem`."""

    @property
    def url(self) -> str: ...

    @property
    def arxiv_url(self) -> str: ...

    @property
    def pdf_url(self) -> str: ...

    @property
    def code_url(self) -> str | None: ...


def paper_links(paper: Linked, *, page: bool = True) -> tuple[Link, ...]:
    """The paper's links in order; `page=False` leaves out the Hugging Face page (for search results)."""
    links = [Link(HUGGING_FACE, paper.url)] if page else []
    links += [Link(ARXIV, paper.arxiv_url), Link(PDF, paper.pdf_url)]
    if paper.code_url:
        links.append(Link(CODE, paper.code_url))
    return tuple(links)


def search_command(query: str, *, chat: bool = True) -> str:
    """The command that runs the search `query`: `/papers search …` in a chat, else the CLI's."""
    return f"/papers search {query}" if chat else f"paperboy search {query}"


def similar_command(paper_id: str, *, chat: bool = True) -> str:
    """The command that lists the papers like `paper_id`: `/papers similar ID` in a chat, else the CLI's."""
    return f"/papers similar {paper_id}" if chat else f"paperboy similar {paper_id}"
