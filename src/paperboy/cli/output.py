"""How the CLI shows papers: as JSON for scripts, as short text for people."""

from __future__ import annotations

import codecs
import json
import os
import sys
import textwrap
from collections.abc import Iterable
from typing import Any, TextIO

from paperboy.bylines import short_authors
from paperboy.links import CODE, paper_links
from paperboy.models import MARK_END, MARK_START, Paper, SearchHit

#: a matched word on a terminal: bold on, bold off (SGR 22, which leaves other styles alone)
BOLD, NOT_BOLD = "\x1b[1m", "\x1b[22m"


def paper_json(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "title": paper.title,
        "upvotes": paper.upvotes or 0,
        "url": paper.url,
        "arxiv_url": paper.arxiv_url,
        "pdf_url": paper.pdf_url,
        "code_url": paper.code_url,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "daily_date": paper.daily_date.isoformat() if paper.daily_date else None,
        "comments": paper.comments,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
        "organization": paper.organization,
        "categories": list(paper.categories),
        "version": paper.version,
        "sources": sorted(paper.sources),
        "first_seen_at": paper.first_seen_at.isoformat() if paper.first_seen_at else None,
        "updated_at": paper.updated_at.isoformat() if paper.updated_at else None,
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    # `**word**`, as the README shows: scripts read the marks, whatever shows them
    partial = {"words": hit.partial.held, "of": hit.partial.of} if hit.partial is not None else None
    return paper_json(hit.paper) | {"score": round(hit.score, 4), "snippet": hit.snippet.marked(), "partial": partial}


def styled(stream: TextIO) -> bool:
    """Whether `stream` shows bold: a terminal, unless `$NO_COLOR` is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def print_hints(hints: Iterable[str]) -> None:
    """What paperboy noticed about a query (`did you mean OR?`), on stderr: stdout stays the answer."""
    for hint in hints:
        print(f"paperboy: hint: {hint}", file=sys.stderr)


def print_json(value: object) -> None:
    # JSON's own escapes where the output cannot hold every character: the escapes above are not JSON's
    json.dump(value, sys.stdout, ensure_ascii=not _holds_any_text(sys.stdout), indent=2)
    sys.stdout.write("\n")


def _holds_any_text(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None)
    return encoding is None or codecs.lookup(encoding).name.startswith("utf")


def hit_text(rank: int, hit: SearchHit, *, bold: bool = False) -> str:
    """A search result for people: rank and title, byline, link, and the snippet with its matched words in bold
    (`bold`: for a terminal) or plain."""
    paper = hit.paper
    when = paper.daily_date or (paper.published_at.date() if paper.published_at else None)
    meta = " · ".join(
        part
        for part in (short_authors(paper.authors), when.isoformat() if when else "", f"▲ {paper.upvotes or 0}")
        if part
    )
    lines = [f"{rank:>2}. {paper.title}", f"    {meta}", f"    {paper.url}"]
    if hit.snippet.text:
        wrapped = textwrap.wrap(hit.snippet.text, 100, initial_indent="    ", subsequent_indent="    ")
        lines += _emphasised(wrapped) if bold else [_unmarked(line) for line in wrapped]
    return "\n".join(lines)


def _unmarked(line: str) -> str:
    return line.replace(MARK_START, "").replace(MARK_END, "")


def _emphasised(lines: list[str]) -> list[str]:
    """Marked words in bold, line by line: a mark that a line break cuts is closed at the line's end and opened
    again on the next, so the indent between stays plain (a pager shows each line on its own)."""
    shown: list[str] = []
    open_mark = False
    for line in lines:
        indent, text = line[: len(line) - len(line.lstrip())], line.lstrip()
        text = (MARK_START if open_mark else "") + text
        open_mark = text.rfind(MARK_START) > text.rfind(MARK_END)
        text += MARK_END if open_mark else ""
        shown.append(indent + text.replace(MARK_START, BOLD).replace(MARK_END, NOT_BOLD))
    return shown


def paper_text(paper: Paper) -> str:
    lines = [paper.title, "=" * min(len(paper.title), 80)]
    facts = [
        ("id", paper.id + (f" (v{paper.version})" if paper.version else "")),
        ("authors", ", ".join(paper.authors) or "unknown"),
        ("organization", paper.organization),
        ("published", paper.published_at.date().isoformat() if paper.published_at else None),
        ("daily papers", paper.daily_date.isoformat() if paper.daily_date else None),
        ("upvotes", str(paper.upvotes) if paper.upvotes is not None else None),
        ("comments", str(paper.comments) if paper.comments is not None else None),
        ("categories", ", ".join(paper.categories) or None),
        *_link_facts(paper),
        ("project page", paper.project_page),
        ("keywords", ", ".join(paper.ai_keywords) or None),
    ]
    lines += [f"{label + ':':<14}{value}" for label, value in facts if value]
    if paper.ai_summary:
        lines += ["", "AI summary:", *textwrap.wrap(paper.ai_summary, 88)]
    if paper.abstract:
        lines += ["", *textwrap.wrap(paper.abstract, 88)]
    return "\n".join(lines)


def _link_facts(paper: Paper) -> list[tuple[str, str | None]]:
    """The paper's links as facts: `hugging face`, `arxiv`, `pdf`, and `code` with its GitHub stars."""
    stars = f" (★ {paper.github_stars})" if paper.github_stars else ""
    return [(link.label.lower(), link.url + (stars if link.label == CODE else "")) for link in paper_links(paper)]
