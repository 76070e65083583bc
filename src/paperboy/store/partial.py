"""Partial matches: what a search of several words lists after the papers holding all of them.

A search for plain words finds the papers that hold every word. When those fill less than the page, the search
goes on with papers holding most of the words: first those missing one word, then two, and so on down to
`ranking.PARTIAL_SHARE` of the words, each tier ranked as a search is (relevance × boosts). Each tier is a query
of its own, in the query language's tree (`And`, `Or`, `Not`), so both engines run it as they run any search,
with the query's phrases, fields, exclusions and filters still required:

    a b c -video upvotes>=10   →   tier 2 of 3:  -video upvotes>=10 ((a b) OR (a c) OR (b c)) -(a b c)

Partial matches are looked for among the papers of the `ranking.PARTIAL_DAYS` days up to the newest paper only:
a rare combination of common words has its papers spread over the whole index, and finding the newest few
hundred of them means reading every paper holding those words (at 1,000,000 papers, 100 ms and more).

Only plain words count (no field, outside quotes, at the top level of the query), and only those that say
something: a word like "for" or "the" is required as typed (it is in nearly every abstract, and PostgreSQL does
not index it) but not counted, so `reinforcement learning for reasoning` goes on with 2 of its 3 words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

from paperboy.models import PartialMatch
from paperboy.query.ast import And, Bound, DateLimit, Node, Not, Or, Term
from paperboy.query.parser import WORD_CHARS
from paperboy.store import ranking

#: the most word combinations one tier may name: a tier of k of n words names C(n, k) of them, and C(n, k + 1)
#: more to leave out the tier above; past this the search stops going down (of 7 words, it lists 6 of 7 only)
MAX_COMBINATIONS = 20

#: English words that say nothing of a paper's subject: PostgreSQL's english stop words, which it does not index
_STOP_TEXT = (
    "a about above after again against all am an and any are as at be because been before being below between "
    "both but by can did do does doing down during each few for from further had has have having he her here "
    "hers herself him himself his how i if in into is it its itself just me more most my myself no nor not "
    "now of off on once only or other our ours ourselves out over own same she should so some such than that "
    "the their theirs them themselves then there these they this those through to too under until up very was "
    "we were what when where which while who whom why will with you your yours yourself yourselves"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True, slots=True)
class Tier:
    """The query for the papers holding exactly `match.held` of the query's `match.of` counted words."""

    query: Node
    match: PartialMatch


def tiers(query: Node, newest: date | None = None) -> tuple[Tier, ...]:
    """The partial-match tiers of `query`, most words first; none unless it has at least 2 counted words. `newest`:
    the newest paper's day, from which `ranking.PARTIAL_DAYS` count back (None: no limit)."""
    items = query.items if isinstance(query, And) else (query,)
    words = list(dict.fromkeys(item for item in items if _counted(item)))
    required = [item for item in items if item not in words]
    count = len(words)
    if count < 2:
        return ()
    least = max(1, math.ceil(count * ranking.PARTIAL_SHARE - 1e-9))
    found: list[Tier] = []
    for held in range(count - 1, least - 1, -1):
        if math.comb(count, held) > MAX_COMBINATIONS or math.comb(count, held + 1) > MAX_COMBINATIONS:
            break
        parts = [*required, *_reach(newest), _at_least(words, held), Not(_at_least(words, held + 1))]
        found.append(Tier(And(tuple(parts)), PartialMatch(held, count)))
    return tuple(found)


def _reach(newest: date | None) -> list[Node]:
    """`since:` the day `ranking.PARTIAL_DAYS` before `newest` (none for 0): how far back partial matches are
    looked for. Counted from the newest paper, not from today, so a database not fed for a while still has them."""
    days = int(ranking.PARTIAL_DAYS)
    if newest is None or days <= 0:
        return []
    return [DateLimit(Bound.SINCE, day=max(date.min, newest - timedelta(days=days)))]


def _counted(node: Node) -> bool:
    """A plain word (no field, not in quotes) with something to say: counted in a partial match."""
    if not isinstance(node, Term) or node.field is not None:
        return False
    return node.prefix or not all(token.lower() in _STOP_WORDS for token in WORD_CHARS.findall(node.text))


def _at_least(words: list[Node], held: int) -> Node:
    """The query for papers holding at least `held` of `words`."""
    if held == len(words):
        return And(tuple(words))
    if held == 1:
        return Or(tuple(words))
    return Or(tuple(And(group) for group in combinations(words, held)))
