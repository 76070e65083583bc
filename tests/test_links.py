"""A paper's links: one order for every renderer."""

from __future__ import annotations

from dataclasses import replace

from paperboy.digest import item
from paperboy.links import Link, paper_links
from paperboy.models import Paper

PAPER = Paper(id="2501.00001", title="A paper", github_repo="https://github.com/x/y")


def test_a_paper_links_its_page_abstract_pdf_and_code_in_that_order() -> None:
    assert paper_links(PAPER) == (
        Link("Hugging Face", "https://huggingface.co/papers/2501.00001"),
        Link("arXiv", "https://arxiv.org/abs/2501.00001"),
        Link("PDF", "https://arxiv.org/pdf/2501.00001"),
        Link("code", "https://github.com/x/y"),
    )


def test_a_paper_without_code_has_no_code_link() -> None:
    assert [link.label for link in paper_links(replace(PAPER, github_repo=None))] == ["Hugging Face", "arXiv", "PDF"]


def test_a_search_result_leaves_out_the_page_its_title_links() -> None:
    assert [link.label for link in paper_links(PAPER, page=False)] == ["arXiv", "PDF", "code"]


def test_a_digest_item_has_the_links_of_its_paper() -> None:
    assert paper_links(item(PAPER)) == paper_links(PAPER)
