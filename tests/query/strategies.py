"""Hypothesis strategies for the query language: canonical syntax trees (as the parser builds them), other
spellings of a tree paired with it, and query-like text for the parser to accept or refuse."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import strategies as st

from paperboy.query.ast import (
    MAX_COUNT,
    MAX_DAYS_AGO,
    MAX_DIGEST,
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
    render,
)
from paperboy.query.parser import MAX_LENGTH, MIN_PREFIX, WORD_CHARS, category_spelling, lone_paper_id

# --- canonical trees ----------------------------------------------------------------------------------------

_ASCII_WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: letters and decimal digits of every script: what the full-text index counts as word characters
_ANY_SCRIPT_WORD = st.characters(categories=["L", "Nd"])
words = st.one_of(
    st.text(alphabet=_ASCII_WORD, min_size=1, max_size=8),
    st.text(alphabet=_ANY_SCRIPT_WORD, min_size=1, max_size=8),
).filter(lambda w: w not in ("OR", "AND", "NOT"))
words_with_marks = st.builds(lambda a, sep, b: a + sep + b, words, st.sampled_from(["-", ".", "'", ""]), words)
#: words with punctuation that once tripped the tokenizer
odd_words = st.sampled_from(["GPT-4", "E=mc2", "state-of-the-art", "https://arxiv.org/abs/2401.12345", "--x", "🚀go"])
fields = st.none() | st.sampled_from(list(TextField))


def _prefixable(text: str) -> bool:
    return len(WORD_CHARS.findall(text)[-1]) >= MIN_PREFIX


terms = st.builds(Term, words_with_marks | odd_words, st.booleans(), fields).filter(
    lambda t: not t.prefix or _prefixable(t.text)
)
phrases = st.builds(Phrase, st.lists(words, min_size=1, max_size=3).map(" ".join), st.booleans(), fields).filter(
    lambda p: not p.prefix or _prefixable(p.text)
)
#: organisation names as the parser keeps them: single spaces, no quotes, any punctuation
_org_words = st.text(
    alphabet=st.characters(categories=["L", "Nd", "P", "S"], exclude_characters='"'), min_size=1, max_size=10
)
_arxiv_ids = st.one_of(
    st.from_regex(r"(07(0[4-9]|1[0-2])|(0[89]|1[0-4])(0[1-9]|1[0-2]))\.[0-9]{4}", fullmatch=True),
    st.from_regex(r"(1[5-9]|[2-9][0-9])(0[1-9]|1[0-2])\.[0-9]{5}", fullmatch=True),
    st.from_regex(r"(hep-th|math\.GT|cond-mat|cs)/[0-9]{2}(0[1-9]|1[0-2])[0-9]{3}", fullmatch=True),
)
#: the canonical values of each match field
MATCH_VALUES: dict[MatchField, st.SearchStrategy[str]] = {
    MatchField.ORG: st.lists(_org_words, min_size=1, max_size=3).map(" ".join),
    MatchField.CATEGORY: st.from_regex(r"[A-Za-z-]+(\.[A-Za-z-]+)?", fullmatch=True).map(category_spelling),
    MatchField.ID: _arxiv_ids,
    MatchField.CODE: st.sampled_from(["yes", "no"]),
    MatchField.MORE: st.integers(1, MAX_DIGEST).map(str),
}
matches = st.one_of([st.builds(Match, st.just(field), values) for field, values in MATCH_VALUES.items()])
compares = st.builds(Compare, st.sampled_from(list(Count)), st.sampled_from(list(Op)), st.integers(0, MAX_COUNT))
dates = st.one_of(
    st.builds(DateLimit, st.sampled_from(list(Bound)), st.dates()),
    st.builds(lambda b, n: DateLimit(b, days_ago=n), st.sampled_from(list(Bound)), st.integers(0, MAX_DAYS_AGO)),
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
).filter(
    # a query that is only an arXiv id or a paper's URL is `id:` that paper: a lone word so spelled is no tree
    lambda tree: len(render(tree)) <= MAX_LENGTH and not (isinstance(tree, Term) and lone_paper_id(render(tree)))
)

# --- other spellings of a tree ------------------------------------------------------------------------------

#: the zero of every script's decimal digits (Unicode puts each script's 0–9 in a row)
ZEROS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd" and int(chr(c)) == 0]


@st.composite
def _digits(draw: st.DrawFn, number: int) -> str:
    """`number` in one script's digits, maybe with leading zeros: `٤٢`, `0042`, `４２`."""
    zero = ord(draw(st.sampled_from(ZEROS)))
    leading = chr(zero) * draw(st.integers(0, 2))
    return leading + "".join(chr(zero + int(d)) for d in str(number))


_cases = st.sampled_from([str.lower, str.upper, str.title])


@st.composite
def _spelled_leaf(draw: st.DrawFn) -> tuple[str, Node]:
    """A leaf as a person might type it, other than canonically, with the tree it means."""
    bound = draw(st.sampled_from(list(Bound)))
    count = draw(st.sampled_from(list(Count)))
    op = draw(st.sampled_from(list(Op)))
    case = draw(_cases)
    weeks = draw(st.integers(0, MAX_DAYS_AGO // 7))
    days = draw(st.integers(0, MAX_DAYS_AGO))
    number = draw(st.integers(0, MAX_COUNT))
    digest = draw(st.integers(1, MAX_DIGEST))
    day = draw(st.dates())
    tree = draw(trees)
    arxiv_id = draw(_arxiv_ids)
    category = draw(MATCH_VALUES[MatchField.CATEGORY])
    spellings: list[tuple[str, Node]] = [
        (f"{bound.value}:{draw(_digits(weeks))}{case('w')}", DateLimit(bound, days_ago=7 * weeks)),
        (f"{bound.value}:{draw(_digits(days))}{case('d')}", DateLimit(bound, days_ago=days)),
        (f"{case(bound.value)}:{case('today')}", DateLimit(bound, days_ago=0)),
        (f"{bound.value}:{case('yesterday')}", DateLimit(bound, days_ago=1)),
        (f"{bound.value}:{day.year:04}{day.month:02}{day.day:02}", DateLimit(bound, day=day)),
        (f"{case(count.value)}{op.value}{draw(_digits(number))}", Compare(count, op, number)),
        (f"{case(count.value)}:{op.value}{draw(_digits(number))}", Compare(count, op, number)),
        (f"{count.value}:{draw(_digits(number))}", Compare(count, Op.EQ, number)),
        (f"more:{draw(_digits(digest))}", Match(MatchField.MORE, str(digest))),
        (f"id:arXiv:{arxiv_id}v{draw(st.integers(1, 9))}", Match(MatchField.ID, arxiv_id)),
        (f"code:{case('yes')}", Match(MatchField.CODE, "yes")),
        (f"{case('cat')}:{case(category)}", Match(MatchField.CATEGORY, category)),
        (f"({render(tree)})", tree),
    ]
    return draw(st.sampled_from(spellings))


@st.composite
def _spelled_query(draw: st.DrawFn) -> tuple[str, Node]:
    """A few spelled leaves, each maybe negated, joined by AND or by OR in one of their spellings."""
    parts = draw(st.lists(_spelled_leaf(), min_size=1, max_size=3))
    negated = [(f"NOT {text}", _negate(tree)) if draw(st.booleans()) else (text, tree) for text, tree in parts]
    kind, joiner = draw(st.sampled_from([(And, " "), (And, " AND "), (Or, " OR "), (Or, " | ")]))
    return joiner.join(text for text, _ in negated), _combine(kind, [tree for _, tree in negated])


spelled_queries = _spelled_query().filter(lambda q: len(q[0]) <= MAX_LENGTH and len(render(q[1])) <= MAX_LENGTH)

# --- query-like text ----------------------------------------------------------------------------------------

#: every character Python's str holds, surrogates and unassigned code points included
any_character = st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])
_NAMES = [*(f.value for f in TextField), *(f.value for f in MatchField), *(b.value for b in Bound)]
_NAMES += [c.value for c in Count] + ["upvote", "Stars", "titel", "https", "e"]
_VALUES = st.one_of(
    st.sampled_from(["7", "2", "0", "²", "٣", "7d", "2w", "20000w", "5217w", "36526d", "today", "yesterday"]),
    st.sampled_from(["2025-01-01", "20250101", "2401.12345", "2401.1234", "yes", "No", "cs.CL", "-1", "1_000"]),
    st.integers(0, 10**20).map(str),
    st.text(any_character, max_size=4),
)
clauses = st.builds(
    lambda name, sep, value: name + sep + value,
    st.sampled_from(_NAMES) | st.text(any_character, max_size=3),
    st.sampled_from([":", ">", ">=", "<", "<=", "=", ":>", ":>=", ":=", ":<", ""]),
    _VALUES,
)
_FRAGMENTS = st.sampled_from(['"', "(", ")", "|", "-", "*", "OR", "AND", "NOT", "--", "\u00a0", "\n", "\x00"])
#: clauses, fragments of syntax and stray characters, with or without spaces between them
query_texts = st.lists(
    st.tuples(clauses | _FRAGMENTS | st.text(any_character, max_size=3), st.sampled_from([" ", "", "  "])),
    max_size=12,
).map(lambda pieces: "".join(piece + sep for piece, sep in pieces))

# --- hostile text -------------------------------------------------------------------------------------------

#: numbers as no one should write them: superscripts and circled digits (which `str.isdigit` takes and `int`
#: refuses), Roman numerals, fractions, other scripts' digits, signs, and values beyond 64 bits
_odd_numbers = st.one_of(
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=25),
    st.sampled_from(["²", "①", "Ⅻ", "½", "٣", "-1", "+1", "1e3", "0x10", "1_0", "１２", "9" * 20, "9" * 400]),
    st.integers(-(10**30), 10**30).map(str),
)
_COUNT_NAMES = [c.value for c in Count]
comparisons = st.builds(
    lambda name, op, number: name + op + number,
    st.sampled_from([*_COUNT_NAMES, *(n.upper() for n in _COUNT_NAMES), "more", "since", "before"]),
    st.sampled_from([">", ">=", "<", "<=", "=", ":", ":>", ":>=", ":<="]),
    _odd_numbers | _odd_numbers.map(lambda n: n + "d") | _odd_numbers.map(lambda n: n + "w"),
)
#: characters that are text: what is left of `any_character` once the parser's first refusals (control
#: characters, lone surrogates) are out, so that most hostile text reaches the grammar and the database
_text_character = st.characters(categories=["L", "M", "N", "P", "S", "Z", "Cf", "Co", "Cn"])
#: every field with a value of anything at all, or nothing
field_values = st.builds(
    lambda name, value: f"{name}:{value}",
    st.sampled_from(_NAMES),
    st.one_of(st.just(""), st.just('""'), st.just("()"), st.text(_text_character, max_size=20)),
)
#: FTS5's own syntax, which must stay plain words: NEAR groups, column filters, ^ initial tokens, + joins
fts5_syntax = st.sampled_from(
    ["NEAR", "NEAR(a b)", "NEAR(a b, 2)", "*", "^", "^a", ":", "{title abstract}:a", "title:^a", "a+b", "a : b",
     '"a" * "b"', '""', '"*"', "'", "a'b", "-", "--", "'; DROP TABLE papers; --", "\\", "%", "_", "a%b_c"]
)  # fmt: skip
_SEPARATORS = st.sampled_from([" ", "", "  ", "\t", "\n", "\u3000"])
_text_pieces = st.one_of(
    words_with_marks, st.text(_text_character, max_size=6), comparisons, field_values, fts5_syntax, _FRAGMENTS
)
#: ... and now and then a character that is not text
_pieces = _text_pieces | st.characters(categories=["Cc", "Cs", "Zl", "Zp"]) | clauses
#: parentheses (and NOTs, and field groups) nested from none to far past what any parser's recursion takes
nested = st.builds(
    lambda opening, depth, inner, closing: opening * depth + inner + closing * depth,
    st.sampled_from(["(", "-(", "NOT (", "title:(", '"(', "NOT "]),
    st.integers(0, 14) | st.integers(15, 10_000),
    st.sampled_from(["a", "diffusion", "upvotes>=1", "", "\udcff"]),
    st.sampled_from([")", "", "))"]),
)
#: a piece repeated up to a megabyte and more
long_texts = st.builds(
    lambda piece, times: piece * times, st.text(any_character, min_size=1, max_size=8), st.integers(1, 200_000)
)


def _joined(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(pieces, _SEPARATORS), max_size=15).map(lambda parts: "".join(p + s for p, s in parts))


hostile_texts = st.one_of(
    st.text(any_character, max_size=MAX_LENGTH + 20),
    st.text(_text_character, max_size=MAX_LENGTH + 20),
    _joined(_text_pieces),
    _joined(_pieces),
    nested,
    long_texts,
    query_texts,
)
