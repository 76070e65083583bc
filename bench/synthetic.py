"""Synthetic papers for benchmarks: the words of the test corpus, at real lengths, in any number.

Titles of 6–14 words and abstracts of 120–220 (about 1,350 characters; the corpus averages 1,480) are drawn
from the corpus' own words with their real frequencies, so common words are common and rare ones rare.
Papers are dated 500 a day going forward from 2021-01-01, with few upvotes for most and many for some.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from paperboy.models import Paper

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "papers.json"
START = date(2021, 1, 1)
PER_DAY = 500
ORGS = (None, None, None, "nvidia NVIDIA", "google Google", "meta-llama Meta Llama", "allenai Ai2")
STOP = {"with", "from", "that", "this", "into", "over", "their", "these", "which", "while", "such", "also", "than"}
CATEGORIES = (("cs.LG",), ("cs.CL", "cs.LG"), ("cs.CV",), ("cs.AI",), ("stat.ML", "cs.LG"))


@cache
def corpus_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return records


@cache
def vocabulary() -> list[str]:
    """Every word of the corpus' titles and abstracts, as often as it occurs there."""
    text = " ".join(f"{r['title']} {r['summary']}" for r in corpus_records())
    return re.findall(r"[A-Za-z][A-Za-z-]{2,}", text)


def paper_day(n: int) -> date:
    return START + timedelta(days=n // PER_DAY)


def paper_id(n: int) -> str:
    """Unique new-style ids: a "month" of 100,000 papers each."""
    month = n // 100_000
    return f"{21 + month // 12:02d}{month % 12 + 1:02d}.{n % 100_000:05d}"


def synthetic_papers(count: int, start: int = 0, seed: int = 7) -> Iterator[Paper]:
    rng = random.Random(seed + start)
    words = vocabulary()
    for n in range(start, start + count):
        day = paper_day(n)
        stars = rng.randint(0, 5000) if n % 3 == 0 else None
        yield Paper(
            id=paper_id(n),
            title=" ".join(rng.choices(words, k=rng.randint(6, 14))).capitalize(),
            abstract=" ".join(rng.choices(words, k=rng.randint(120, 220))) + ".",
            authors=tuple(f"{rng.choice(words)} {rng.choice(words)}" for _ in range(rng.randint(2, 9))),
            published_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
            daily_date=day,
            upvotes=min(int(rng.paretovariate(1.2)) - 1, 2000),
            comments=rng.randint(0, 20),
            ai_keywords=tuple(rng.choices(words, k=5)),
            github_repo=f"https://github.com/org/repo{n}" if stars is not None else None,
            github_stars=stars,
            organization=rng.choice(ORGS),
            categories=rng.choice(CATEGORIES),
            sources=frozenset({"huggingface"}),
        )


def content_words() -> tuple[list[str], list[int]]:
    counts = Counter(w.lower() for w in vocabulary() if len(w) >= 4 and w.lower() not in STOP and w.isalpha())
    words = list(counts)
    return words, [counts[w] for w in words]


def queries(n: int, seed: int = 3) -> list[tuple[str, str]]:
    """`n` (kind, query) pairs, the same every run."""
    rng = random.Random(seed)
    words, weights = content_words()

    def pick(k: int = 1) -> list[str]:
        return rng.choices(words, weights, k=k)

    def phrase() -> str:
        title = str(rng.choice(corpus_records())["title"])
        parts = [w for w in re.findall(r"[A-Za-z]{3,}", title)]
        at = rng.randrange(max(1, len(parts) - 1))
        return '"' + " ".join(parts[at : at + 2]) + '"'

    makers = [
        ("1 word", lambda: pick()[0]),
        ("2 words", lambda: " ".join(pick(2))),
        ("3 words", lambda: " ".join(pick(3))),
        ("4 words", lambda: " ".join(pick(4))),
        ("phrase", phrase),
        ("OR", lambda: " OR ".join(pick(2))),
        ("exclusion", lambda: f"{pick()[0]} -{pick()[0]}"),
        ("title:", lambda: f"title:{pick()[0]}"),
        ("cat:", lambda: f"{pick()[0]} cat:cs.CL"),
        ("upvotes>=", lambda: f"{' '.join(pick(2))} upvotes>=10"),
        ("since:", lambda: f"{pick()[0]} since:30d"),
        ("org:+code:", lambda: f"{pick()[0]} org:nvidia code:yes"),
    ]
    return [(kind, make()) for kind, make in (makers[i % len(makers)] for i in range(n))]
