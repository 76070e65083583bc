"""How search results are ranked: the one place to tune it.

    score = relevance × upvote boost × recency boost

- relevance: bm25 over the full-text index (SQLite's, sign flipped so that higher is better), with a word in
  the title worth `TITLE_WEIGHT` words in the abstract; on PostgreSQL, `ts_rank` with the same weights (it has
  no bm25: see `store/postgres/search.py`). A search with no words (`upvotes>=50`) has relevance 1.
- upvote boost: 1 + UPVOTE_BOOST · u / (u + UPVOTE_HALF): 1.0 for no upvotes, half the boost at
  `UPVOTE_HALF` upvotes, never above 1 + UPVOTE_BOOST. It saturates, so a hugely upvoted paper cannot bury
  a better match.
- recency boost: 1 + RECENCY_BOOST · RECENCY_HALF / (RECENCY_HALF + age in days): the full boost today, half
  of it after `RECENCY_HALF` days, fading towards none.

A search matching more than `CANDIDATES` papers ranks its `CANDIDATES` newest matches (by when they were
stored): scoring every match of a common word in a million papers would take a second, and the recency boost
favours the newest anyway.

SQLite's bm25 first counts every paper that holds each of the query's words, in the whole index: tens of
milliseconds for a common word in a million papers. So a broad search (one of its words is in more than
`BM25_MAX_PAPERS` papers) is ranked by title coverage instead: 1 + TITLE_COVERAGE · (share of the query's
words in the title). Searches for rarer words, and every search on a database of a few thousand papers,
are ranked by bm25.

A search of several plain words lists the papers holding all of them first; when they fill less than the page,
it goes on with partial matches, most words first, down to papers holding `PARTIAL_SHARE` of the words
(rounded up: 1 of 2, 2 of 3, 2 of 4), each tier ranked as above, among the papers of the last `PARTIAL_DAYS`
days (see `store/partial.py`).

Stemming finds "complex" for "complexity"; the word as typed ranks first: relevance × (1 + EXACT_BONUS · share of
the query's words and phrases found as typed in the title or abstract). Only words of ASCII letters and digits,
not word starts, are checked (`exact_forms`), on the few hundred candidates only, and as text (`LIKE '%word%'`,
any case): cheap, and a longer form holds the shorter ("models" holds "model"), so typing the longer form is
what tells them apart.

Both boosts are multipliers of at most 1.2 and 1.1: they reorder close matches, never a clear winner.
"""

from __future__ import annotations

from paperboy.query.ast import Node, Phrase, Term, TextField, positive_leaves
from paperboy.query.parser import WORD_CHARS

TITLE_WEIGHT = 10.0
ABSTRACT_WEIGHT = 1.0
AUTHORS_WEIGHT = 3.0
KEYWORDS_WEIGHT = 2.0

UPVOTE_BOOST = 0.2
UPVOTE_HALF = 20.0

RECENCY_BOOST = 0.1
RECENCY_HALF = 30.0

CANDIDATES = 500
BM25_MAX_PAPERS = 5_000
TITLE_COVERAGE = 1.0

PARTIAL_SHARE = 0.5
PARTIAL_DAYS = 365

EXACT_BONUS = 0.2


def bm25(fts_table: str) -> str:
    """The SQL for bm25 with the column weights above, sign flipped: higher is better."""
    weights = ", ".join(str(w) for w in (TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHORS_WEIGHT, KEYWORDS_WEIGHT))
    return f"-bm25({fts_table}, {weights})"


def boosts(upvotes: str, paper_day: str, today_param: str, *, dialect: str = "sqlite") -> str:
    """The SQL for the product of both boosts, given SQL for the upvotes, the paper's day (ISO text) and today's
    date (ISO text), in the SQL of `dialect` ("sqlite" or "postgresql"): the same numbers on both engines."""
    upvote = f"(1.0 + {UPVOTE_BOOST} * coalesce({upvotes}, 0) / (coalesce({upvotes}, 0) + {UPVOTE_HALF}))"
    if dialect == "postgresql":
        # no julianday: a date minus a date is a whole number of days, as julianday's difference of two days is
        age = f"greatest(CAST({today_param} AS date) - CAST({paper_day} AS date), 0)"
    else:
        age = f"max(julianday({today_param}) - julianday({paper_day}), 0.0)"
    recency = f"(1.0 + {RECENCY_BOOST} * {RECENCY_HALF} / ({RECENCY_HALF} + coalesce({age}, 3650.0)))"
    if dialect == "postgresql":
        # PostgreSQL computes the constants above as exact numerics: the score is a float, as on SQLite
        return f"CAST({upvote} * {recency} AS double precision)"
    return f"{upvote} * {recency}"


def title_coverage(in_title: list[str]) -> str:
    """The SQL for a broad search's relevance, given one SQL truth value per query word: is it in the title."""
    if not in_title:
        return "1.0"
    return f"(1.0 + {TITLE_COVERAGE} * ({' + '.join(in_title)}) / {float(len(in_title))})"


def exact_forms(node: Node) -> tuple[str, ...]:
    """The words and phrases of `node` whose typed form the exact-form bonus looks for (positive, not word starts,
    in any field or the title or abstract, made of ASCII letters and digits) as `LIKE` patterns, any one character
    between their tokens: `test-time` and `"test time"` are `%test_time%`, which "test-time" and "test time" hold."""
    found: dict[str, None] = {}
    for leaf in positive_leaves(node) if EXACT_BONUS else ():
        if isinstance(leaf, Term | Phrase) and not leaf.prefix and leaf.field in _EXACT_FIELDS:
            tokens = WORD_CHARS.findall(leaf.text.lower())
            if tokens and all(token.isascii() for token in tokens):
                found["%" + "_".join(tokens) + "%"] = None
    return tuple(found)


_EXACT_FIELDS = (None, TextField.TITLE, TextField.ABSTRACT)


def exact_bonus(found: list[str]) -> str:
    """The SQL for the exact-form multiplier, given one SQL truth value (0 or 1) per form of `exact_forms`."""
    if not found or not EXACT_BONUS:
        return "1.0"
    return f"(1.0 + {EXACT_BONUS} * ({' + '.join(found)}) / {float(len(found))})"
