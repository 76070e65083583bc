"""A paper's words for similar papers on SQLite (`store/similarity.py`), with how many papers hold each.

Words are stemmed as the index stems them by a scratch in-memory FTS5 table with the same tokenizer: each
distinct word of the paper is a row there, and its `fts5vocab` instance table says which stem each row holds.

How many papers hold a word is counted in the index itself, stopping at `similarity.MAX_PAPERS + 1`. FTS5
keeps no count per word: an `fts5vocab` table over the whole index (`row` kind) counts by reading the word's
every entry, 7 ms for "model" in 100,000 papers and ten times that in a million; a count that stops early
costs what the rare words cost, well under a millisecond each.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from paperboy.query.parser import WORD_CHARS
from paperboy.store import similarity
from paperboy.store.engine import Queries

_TOKENIZER = "porter unicode61 remove_diacritics 2"  # as papers_fts's (store/sqlite/migrations.py)
_COUNTS = (
    "SELECT j.value, (SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH j.value "
    f"LIMIT {similarity.MAX_PAPERS + 1})) FROM json_each(?) AS j"
)


def stems(words: Iterable[str]) -> dict[str, str]:
    """Each word → its stem, as papers_fts stems it."""
    unique = list(dict.fromkeys(words))
    with sqlite3.connect(":memory:") as scratch:
        scratch.execute(f"CREATE VIRTUAL TABLE w USING fts5(word, tokenize='{_TOKENIZER}')")
        scratch.execute("CREATE VIRTUAL TABLE v USING fts5vocab(w, instance)")
        scratch.executemany("INSERT INTO w (rowid, word) VALUES (?, ?)", enumerate(unique, 1))
        found = {int(doc): str(term) for term, doc in scratch.execute("SELECT term, doc FROM v")}
    scratch.close()
    return {word: found[n] for n, word in enumerate(unique, 1) if n in found}


def weighted_words(title: str, keywords: Iterable[str], abstract: str) -> dict[str, float]:
    """The paper's words (lower case) with their weighted counts (`similarity.TITLE_TF`, …)."""
    counts: dict[str, float] = defaultdict(float)
    for text, weight in (
        (title, similarity.TITLE_TF),
        (" ".join(keywords), similarity.KEYWORD_TF),
        (abstract, similarity.ABSTRACT_TF),
    ):
        for word in WORD_CHARS.findall(text.lower()):
            if similarity.worth_counting(word):
                counts[word] += weight
    return counts


async def words(db: Queries, paper_id: str, common: similarity.CommonWords) -> list[similarity.Word] | None:
    """Paper `paper_id`'s words worth counting (`similarity.to_count`), by stem, with how many papers hold each
    (up to `similarity.MAX_PAPERS + 1`; not counted again for the `common` ones); None when there is no such
    paper."""
    row = await db.fetchone("SELECT title, ai_keywords, abstract FROM papers WHERE id = ?", (paper_id,))
    if row is None:
        return None
    title, keywords, abstract = row
    return await _counted(db, weighted_words(title, json.loads(keywords or "[]"), abstract), common)


async def _counted(db: Queries, counts: dict[str, float], common: similarity.CommonWords) -> list[similarity.Word]:
    by_stem: dict[str, list[str]] = defaultdict(list)
    for word, stem in stems(counts).items():
        by_stem[stem].append(word)
    # a stem is searched for as its most frequent spelling in the paper, quoted: FTS5 stems it to the same stem
    spelled = {stem: max(spellings, key=lambda w: (counts[w], w)) for stem, spellings in by_stem.items()}
    tf = {spelled[stem]: sum(counts[w] for w in spellings) for stem, spellings in by_stem.items()}
    stem_of = {spelling: key for key, spelling in spelled.items()}
    counted = similarity.to_count(tf)
    known = [similarity.common(stem_of[w], w, tf[w]) for w in counted if stem_of[w] in common]
    asked = [w for w in counted if stem_of[w] not in common]
    rows = await db.fetchall(_COUNTS, (json.dumps([f'"{w}"' for w in asked]),)) if asked else []
    held = {str(q): int(n) for q, n in rows}
    found = [similarity.Word(stem_of[w], w, tf[w], held[f'"{w}"']) for w in asked]
    common.add(found)
    return known + found
