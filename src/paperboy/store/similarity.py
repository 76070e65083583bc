"""Similar papers ("more like this"): which of a paper's words say what it is about, the same on both engines.

A paper's distinctive words are those of its title, AI keywords and abstract that few other papers hold:
each word (as the engine's index stores it, stemmed) scores tf × idf, where tf counts it `TITLE_TF` times for
each time it is in the title and `KEYWORD_TF` times in the keywords (the words a paper is named by say more
than those it mentions on the way), and idf = log(1 + papers / papers holding it). The best `TERMS` are OR-ed
into a search of their own (`PaperStore.similar`), the paper itself left out: the search ranks the papers
holding most of them, and most of the rarest, first (bm25 on SQLite, ts_rank on PostgreSQL, with the weights
of `ranking`), in the time any search takes.

Counting: an engine counts a word's papers only up to `MAX_PAPERS + 1` (a count that stops there costs what
reading that many index entries costs, however common the word), and only for the `COUNTED` words likeliest
to be chosen (`to_count`). A word found common is remembered as such (`CommonWords`) and not counted again:
papers are added and hardly ever removed, so a common word stays common. Words in more papers than
`MAX_PAPERS` are chosen only when the paper has no rarer one, its `FEWEST` most frequent: a paper made of
common words is still like others. Never beside a rare word: a common word makes the search a broad one,
ranked among the newest matches by title words (`store/ranking.py`), which would bury the papers sharing
the rare words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: how much more a word counts for each time it is in the title, in the keywords, than in the abstract
TITLE_TF = 3.0
KEYWORD_TF = 2.0
ABSTRACT_TF = 1.0
#: the most words OR-ed into the search
TERMS = 12
#: the common words the search is given when the paper has no rare one
FEWEST = 4
#: a word is counted up to here: above it, it is a common word
MAX_PAPERS = 1_000
#: the most words whose papers are counted: the paper's words with the highest weighted counts, longer words
#: first among equals (a long word is more often a rare one)
COUNTED = 32
#: the shortest word worth choosing (shorter ones are mostly stop words, units and symbols)
SHORTEST = 3


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a paper: `key` as the index stores it, `query` as a search spells it (the query language),
    its weighted count in the paper (`tf`), and how many papers hold it (`papers`, up to `MAX_PAPERS + 1`)."""

    key: str
    query: str
    tf: float
    papers: int


#: English words that say nothing of a paper's subject: PostgreSQL's english configuration leaves them out of its
#: index (this is its list, less the words shorter than `SHORTEST`), while FTS5 indexes every word
_STOP_WORDS = """
about above after again against all and any are because been before being below between both but can did
does doing don down during each few for from further had has have having her here hers herself him himself
his how into its itself just more most myself nor not now off once only other our ours ourselves out over
own same she should some such than that the their theirs them themselves then there these they this those
through too under until very was were what when where which while who whom why will with you your yours
yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


class CommonWords:
    """The words (as an index stores them) found in more than `MAX_PAPERS` papers, remembered by the engine's
    index for as long as the process runs; at most `most` of them (then the first ones are forgotten)."""

    def __init__(self, most: int = 50_000) -> None:
        self._words: dict[str, None] = {}
        self._most = most

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def add(self, words: Iterable[Word]) -> None:
        """Remember the words of `words` counted as common."""
        for word in words:
            if word.papers > MAX_PAPERS:
                self._words[word.key] = None
        while len(self._words) > self._most:
            del self._words[next(iter(self._words))]


def common(key: str, query: str, tf: float) -> Word:
    """A word known to be common (`CommonWords`), as if counted again."""
    return Word(key, query, tf, MAX_PAPERS + 1)


def worth_counting(word: str) -> bool:
    """Whether a word of a paper (lower case) may be chosen at all: long enough, not a number, not a stop word."""
    return len(word) >= SHORTEST and not word.isdigit() and word not in STOP_WORDS


def to_count(tf: dict[str, float]) -> list[str]:
    """The words (of `tf`, word → weighted count) whose papers are worth counting (`COUNTED`)."""
    return sorted(tf, key=lambda word: (-tf[word], -len(word), word))[:COUNTED]


def distinctive(words: Iterable[Word], total: int) -> list[Word]:
    """The words to search for, best first: the rare ones by tf × idf, held by another paper (a word only
    this paper holds finds nothing); when there is none, the `FEWEST` common ones most frequent in the paper."""
    candidates = [w for w in words if w.papers >= 2]
    total = max(total, max((w.papers for w in candidates), default=1))
    rare = [w for w in candidates if w.papers <= MAX_PAPERS]
    if rare:
        return sorted(rare, key=lambda w: (-w.tf * math.log(1 + total / w.papers), w.key))[:TERMS]
    return sorted(candidates, key=lambda w: (-w.tf, -len(w.key), w.key))[:FEWEST]
