"""Hypothesis strategies for the query language: canonical syntax trees (as the parser builds them)."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from paperboy.query.ast import (
    And,
    Bound,
    Compare,
    Count,
    DateLimit,
    Match,
    MatchField,
    Node,
    Not,
    Op,
    Or,
    Phrase,
    Term,
    TextField,
)
from paperboy.query.parser import MIN_PREFIX, WORD_CHARS

words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8
).filter(lambda w: w not in ("OR", "AND", "NOT"))
words_with_marks = st.builds(lambda a, sep, b: a + sep + b, words, st.sampled_from(["-", ".", "'", ""]), words)
fields = st.none() | st.sampled_from(list(TextField))


def _prefixable(text: str) -> bool:
    return len(WORD_CHARS.findall(text)[-1]) >= MIN_PREFIX


terms = st.builds(Term, words_with_marks, st.booleans(), fields).filter(lambda t: not t.prefix or _prefixable(t.text))
phrases = st.builds(Phrase, st.lists(words, min_size=1, max_size=3).map(" ".join), st.booleans(), fields).filter(
    lambda p: not p.prefix or _prefixable(p.text)
)
matches = st.one_of(
    st.builds(Match, st.just(MatchField.ORG), st.lists(words, min_size=1, max_size=2).map(" ".join)),
    st.builds(Match, st.just(MatchField.CATEGORY), st.sampled_from(["cs.CL", "cs.LG", "hep-th", "math.AG", "stat.ML"])),
    st.builds(Match, st.just(MatchField.ID), st.from_regex(r"2[0-4](0[1-9]|1[0-2])\.[0-9]{5}", fullmatch=True)),
    st.builds(Match, st.just(MatchField.CODE), st.sampled_from(["yes", "no"])),
)
compares = st.builds(Compare, st.sampled_from(list(Count)), st.sampled_from(list(Op)), st.integers(0, 10**6))
dates = st.one_of(
    st.builds(DateLimit, st.sampled_from(list(Bound)), st.dates(date(1990, 1, 1), date(2100, 1, 1))),
    st.builds(lambda b, n: DateLimit(b, days_ago=n), st.sampled_from(list(Bound)), st.integers(0, 9999)),
)
leaves = st.one_of(terms, phrases, matches, compares, dates)


def _combine(kind: type[And] | type[Or], items: list[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _negate(item: Node) -> Node:
    return item.item if isinstance(item, Not) else Not(item)


trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        children.map(_negate),
        st.lists(children, min_size=2, max_size=3).map(lambda items: _combine(And, items)),
        st.lists(children, min_size=2, max_size=3).map(lambda items: _combine(Or, items)),
    ),
    max_leaves=10,
)
