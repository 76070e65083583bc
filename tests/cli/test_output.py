"""How the CLI shows a search hit's snippet: bold matched words on a terminal, plain words elsewhere."""

from __future__ import annotations

from paperboy.cli.output import BOLD, NOT_BOLD, hit_text
from paperboy.models import MARK_END, MARK_START, Paper, SearchHit, Snippet

PAPER = Paper(id="2501.00001", title="A paper", abstract="…")


def snippet_lines(text: str, *, bold: bool) -> list[str]:
    return hit_text(1, SearchHit(PAPER, 1.0, Snippet(text)), bold=bold).splitlines()[3:]


def test_plain_text_has_no_marks() -> None:
    assert snippet_lines(f"we scale {MARK_START}diffusion{MARK_END} models", bold=False) == [
        "    we scale diffusion models"
    ]


def test_bold_wraps_each_matched_word() -> None:
    assert snippet_lines(f"we scale {MARK_START}diffusion{MARK_END} models", bold=True) == [
        f"    we scale {BOLD}diffusion{NOT_BOLD} models"
    ]


def test_a_mark_cut_by_a_line_break_is_closed_and_opened_again() -> None:
    words = " ".join(["word"] * 18)  # 18 × 5 characters: the phrase starts near the end of the first line
    lines = snippet_lines(f"{words} {MARK_START}flow matching at scale{MARK_END} done", bold=True)
    assert len(lines) == 2
    assert lines[0].endswith(NOT_BOLD) and lines[0].count(BOLD) == 1
    assert lines[1].startswith(f"    {BOLD}") and lines[1].count(NOT_BOLD) == 1
