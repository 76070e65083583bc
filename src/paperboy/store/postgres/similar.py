"""A paper's words for similar papers on PostgreSQL (`store/similarity.py`), with how many papers hold each.

The paper's words are the lexemes of its stored `document`, already stemmed, with their weights saying where
each stands (A title, B keywords, D abstract; C, the authors, is left out).

How many papers hold a word: `ts_stat` reads every document (seconds at a million papers). Instead, the
planner's statistics (`ANALYZE`, run by autovacuum) list the most common lexemes of `document` with their
share of the papers (`pg_stats.most_common_elems`): a listed word is held by that share of the papers, which
on a table large enough to matter is far above `similarity.MAX_PAPERS`, so it is not chosen and costs nothing.
Only the other words are counted through the GIN index, each stopping at `similarity.MAX_PAPERS + 1`: rare
words, cheap to count.
"""

from __future__ import annotations

import re
from collections import defaultdict

from paperboy.store import similarity
from paperboy.store.engine import Queries

_WEIGHTS = {"A": similarity.TITLE_TF, "B": similarity.KEYWORD_TF, "D": similarity.ABSTRACT_TF}
#: a lexeme written as itself inside a quoted tsquery operand (no quote, backslash or space to escape)
_PLAIN = re.compile(r"[^\W_]+")
_LEXEMES = (
    "SELECT l.lexeme, l.weights FROM papers p, unnest(p.document) AS l(lexeme, positions, weights) WHERE p.id = ?"
)
#: the planner's share of the papers holding each of the given lexemes that it lists as most common
_LISTED = (
    "SELECT e.lexeme, e.share * greatest(c.reltuples, 0) FROM pg_stats s "
    "CROSS JOIN LATERAL unnest(CAST(CAST(s.most_common_elems AS text) AS text[]), s.most_common_elem_freqs) "
    "AS e(lexeme, share) JOIN pg_class c ON c.oid = CAST('papers' AS regclass) "
    "WHERE s.schemaname = current_schema() AND s.tablename = 'papers' AND s.attname = 'document' "
    "AND e.lexeme = ANY(CAST(? AS text[]))"
)
_COUNTS = (
    "SELECT t.q, (SELECT count(*) FROM (SELECT 1 FROM papers p WHERE p.document @@ CAST(t.q AS tsquery) "
    f"LIMIT {similarity.MAX_PAPERS + 1}) AS found) FROM unnest(CAST(? AS text[])) AS t(q)"
)


async def words(db: Queries, paper_id: str, common: similarity.CommonWords) -> list[similarity.Word] | None:
    """Paper `paper_id`'s lexemes worth counting (`similarity.to_count`) with how many papers hold each (up to
    `similarity.MAX_PAPERS + 1`, or the planner's figure; not counted again for the `common` ones); None when
    there is no such paper."""
    rows = await db.fetchall(_LEXEMES, (paper_id,))
    if not rows:
        return None if await db.fetchone("SELECT 1 FROM papers WHERE id = ?", (paper_id,)) is None else []
    counts: dict[str, float] = defaultdict(float)
    for lexeme, weights in rows:
        if _PLAIN.fullmatch(lexeme) and similarity.worth_counting(lexeme):
            for weight in weights:
                counts[lexeme] += _WEIGHTS.get(weight, 0.0)
    counted = similarity.to_count({lexeme: tf for lexeme, tf in counts.items() if tf})
    known = [similarity.common(lexeme, lexeme, counts[lexeme]) for lexeme in counted if lexeme in common]
    found = await _words(db, {lexeme: counts[lexeme] for lexeme in counted if lexeme not in common})
    common.add(found)
    return known + found


async def _words(db: Queries, counts: dict[str, float]) -> list[similarity.Word]:
    """The lexemes with how many papers hold them: the planner's figure for the most common, else counted."""
    if not counts:
        return []
    held = {str(lexeme): int(n) for lexeme, n in await db.fetchall(_LISTED, (list(counts),))}
    # counted anywhere in the document: a weight would make the index check each paper
    unlisted = [f"'{lexeme}'" for lexeme in counts if lexeme not in held]
    found = {str(q)[1:-1]: int(n) for q, n in await db.fetchall(_COUNTS, (unlisted,))} if unlisted else {}
    return [
        similarity.Word(lexeme, lexeme, tf, held.get(lexeme, found.get(lexeme, 0))) for lexeme, tf in counts.items()
    ]
