"""Search on PostgreSQL: the query's syntax tree compiled to a `tsquery` over the weighted `document` column.

The contract is SQLite's (`store/sqlite/search.py`): up to `limit + 1` rows of the papers table's columns, then
the score, then a snippet of the abstract with the matched words marked (None when the query has no words).

A search takes four round trips, or more when it needs a check the index cannot make:
1. analysis: every word and phrase of the query, as `to_tsquery` input, turned into PostgreSQL's own tsquery
   text (parsed, stemmed by the english configuration, stop words dropped), in one statement;
2. for a relevance search with words, a probe: is one of its words in more than `ranking.BM25_MAX_PAPERS`
   papers (a broad search is ranked by title coverage, as on SQLite), counted, or on a large table estimated
   by the planner (a fourth round trip; see `probe_statement`);
3. for a relevance search with a phrase, a field or a filter, its newest matches found beforehand, window by
   window, among the newest `CHECKED` papers holding its words (`newest_matches`: one round trip for the
   table's pk range, then one per window, usually two);
4. the search itself, in the same three steps as SQLite's: the newest `ranking.CANDIDATES` matches (or those
   of step 3), those ranked (`ts_rank` with the column weights of `ranking`, times its boosts) and cut to the
   page, then the page's snippets (`ts_headline`).

User text never becomes SQL, nor tsquery syntax: every value is a bound parameter; a word reaches `to_tsquery`
only inside a quoted operand, made of letters and digits (`WORD_CHARS`), or as the whole text of a word or
phrase with quotes, backslashes and NULs (the only characters that mean something inside a quoted operand, or
that PostgreSQL refuses in text) turned into spaces. The tsquery that filters and ranks is made of
PostgreSQL's output for those operands, each in parentheses, joined only by `&`, `|` and `!`.

Where PostgreSQL reads words differently from SQLite's FTS5 (porter, unicode61 without diacritics), a word is
looked up in each reading that may hold it: as its tokens, each with its twin where it has one (`GPT-4` and
`"gpt 4"` → `gpt <-> (4 | -4)`, `llm` → `llm | llms`, see `_twin`), as PostgreSQL's parser reads the whole of
it (`cs.CL` → `cs.cl`, `2.5`, a URL), and without accents (`dîffusion` → `diffusion`).

Stop words ("the", "of") are not in PostgreSQL's index, while FTS5 indexes every word. A word or phrase made
only of stop words is taken as true of every paper, as it nearly is on SQLite (every abstract holds "the"):
`the` finds every paper, `-the` none, `the diffusion` what `diffusion` finds. So is a word start that is a stop
word (`the*`: SQLite finds "the" and every word starting so). A stop word inside a phrase keeps its place
(`"mixture of experts"` is `mixtur <2> expert`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from paperboy.errors import QueryError
from paperboy.models import MARK_END, MARK_START, Sort
from paperboy.query.ast import (
    And,
    Bound,
    DateLimit,
    Match,
    MatchField,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    TextField,
    positive_leaves,
    walk,
)
from paperboy.query.parser import WORD_CHARS
from paperboy.store import ranking
from paperboy.store.engine import Queries, Row, SearchRequest
from paperboy.store.predicates import PredicateCompiler
from paperboy.store.rows import COLUMNS, PAPER_DAY

#: the weight each field's words carry in the `document` column (see migrations.py)
LABELS = {TextField.TITLE: "A", TextField.KEYWORD: "B", TextField.AUTHOR: "C", TextField.ABSTRACT: "D"}
#: what may not stand inside a quoted tsquery operand as itself: its quote, its escape, and NUL
_UNQUOTABLE = re.compile("['\\\\\x00]")
#: an empty range when no paper qualifies (as on SQLite)
_NO_PK = 2**62


def rank_weights(fields: Iterable[TextField] = tuple(TextField)) -> str:
    """`ts_rank`'s weights, {D, C, B, A} = {abstract, authors, keywords, title}, as `ranking` sets them, scaled
    to at most 1 (ts_rank's limit: only their ratios matter). Words found in a field outside `fields` weigh
    nothing: ts_rank counts a word wherever it is, while `title:diffusion` on SQLite ranks by titles only."""
    weights = {
        TextField.ABSTRACT: ranking.ABSTRACT_WEIGHT,
        TextField.AUTHOR: ranking.AUTHORS_WEIGHT,
        TextField.KEYWORD: ranking.KEYWORDS_WEIGHT,
        TextField.TITLE: ranking.TITLE_WEIGHT,
    }
    top = max(weights.values())
    counted = set(fields)
    return "'{" + ", ".join(f"{w / top if f in counted else 0:.6g}" for f, w in weights.items()) + "}'"


# --- words → tsquery input ------------------------------------------------------------------------------------


def _operand(word: str, label: str, prefix: bool = False) -> str:
    flags = ("*" if prefix else "") + label
    return f"'{_UNQUOTABLE.sub(' ', word)}'" + (f":{flags}" if flags else "")


def _tokens_form(tokens: Sequence[str], label: str, prefix: bool, *, twins: bool = True) -> str:
    """The tokens in a row; the last a word start if `prefix`; each with its twin (if any) if `twins`."""
    spell = _with_twin if twins else _operand
    last = len(tokens) - 1
    return " <-> ".join(spell(token, label, prefix and i == last) for i, token in enumerate(tokens))


def _with_twin(token: str, label: str, prefix: bool) -> str:
    twin = _twin(token) if not prefix else None  # a word start already finds the twins that add an "s"
    if twin is None:
        return _operand(token, label, prefix)
    return f"({_operand(token, label, prefix)} | {_operand(twin, label, prefix)})"


_VOWELS = re.compile("[aeiouy]")


def _twin(token: str) -> str | None:
    """Another spelling of `token` that FTS5 reads as the same word and PostgreSQL does not: the "-4" of "GPT-4"
    (a negative number to PostgreSQL's parser), and the plural of an acronym (porter strips any final "s";
    snowball, PostgreSQL's english stemmer, keeps it after a word without another vowel: "LLMs", "GPUs")."""
    if token.isascii() and token.isdigit():
        return "-" + token
    word = token.lower()
    if not (word.isascii() and word.isalpha() and len(word) >= 3):
        return None
    if _VOWELS.search(word[:-2] if word.endswith("s") else word[:-1]):
        return None
    if word.endswith("s"):
        return word[:-1]
    # not after "e" or "y": "the", "she", "why" are stop words, and their twins are not
    return word + "s" if word[-1] not in "ey" else None


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def forms(leaf: Term | Phrase, field: TextField | None) -> tuple[str, ...]:
    """The `to_tsquery` inputs that `leaf` is looked up as, in `field`: first its tokens in a row (SQLite's
    reading: if nothing is left of it, the leaf is only stop words), then, where they differ, its tokens with
    their twins, its tokens without accents, and its whole text as PostgreSQL's parser reads it (not for a word
    start: a `*` there would apply to every word)."""
    label = LABELS[field] if field is not None else ""
    tokens = WORD_CHARS.findall(leaf.text)
    if not tokens:
        return ()
    found = [_tokens_form(tokens, label, leaf.prefix, twins=False), _tokens_form(tokens, label, leaf.prefix)]
    plain = WORD_CHARS.findall(_without_accents(leaf.text))
    if plain and plain != tokens:
        found.append(_tokens_form(plain, label, leaf.prefix))
    if not leaf.prefix:
        found.append(_operand(" ".join(_UNQUOTABLE.sub(" ", leaf.text).split()), label))
    return tuple(dict.fromkeys(found))


def _text_leaves(node: Node) -> list[Term | Phrase]:
    return [leaf for leaf in walk(node) if isinstance(leaf, Term | Phrase)]


def inputs(node: Node) -> list[str]:
    """Every `to_tsquery` input the compiler may ask about for `node`: each word in its own field, and in the
    title (for a broad search's title coverage)."""
    found: dict[str, None] = {}
    for leaf in _text_leaves(node):
        for field in (leaf.field, TextField.TITLE):
            found.update(dict.fromkeys(forms(leaf, field)))
    return list(found)


_ANALYSE = (
    "SELECT to_tsquery('english', t.f)::text FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS t(f, n) ORDER BY t.n"
)


async def analyse(db: Queries, texts: Sequence[str]) -> dict[str, str]:
    """Each `to_tsquery` input → PostgreSQL's tsquery text for it ('' when only stop words are left)."""
    if not texts:
        return {}
    try:
        rows = await db.fetchall(_ANALYSE, (list(texts),))
    except psycopg.errors.SyntaxError as error:  # the statement is fixed: what it refuses is the words given
        raise QueryError(f"the search could not read its words ({_first_line(error)}); shorten them") from None
    return {text: row[0] for text, row in zip(texts, rows, strict=True)}


#: a lexeme in tsquery text: quoted, a quote inside doubled, a backslash inside escaped
_LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)'")
#: PostgreSQL's parser keeps a hyphenated word whole besides its parts: `mixture-of-expert`, `gpt-4o`
_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def _adds_words(other: str, primary: str) -> bool:
    """Whether tsquery `other` looks up a word that `primary` does not, other than a hyphenated compound (whose
    parts `primary` already looks up, in a row): only then is it worth the alternative, and a different rank."""
    known = set(_LEXEME.findall(primary))
    return any(word not in known and not _COMPOUND.fullmatch(word) for word in _LEXEME.findall(other))


# --- the tree → tsquery and SQL -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tsq:
    """A tsquery in PostgreSQL's text form. `positive`: it needs some word to be there (so the index can find
    its papers), rather than only words to be absent."""

    text: str
    positive: bool = True


#: a node's words as a tsquery, or a constant (stop words only), or None when the node is not made of words
Text = Tsq | bool


def _all(parts: Iterable[Text]) -> Text:
    items = list(parts)
    if False in items:
        return False
    queries = [p for p in items if isinstance(p, Tsq)]
    if not queries:
        return True
    if len(queries) == 1:
        return queries[0]
    return Tsq(" & ".join(f"({q.text})" for q in queries), any(q.positive for q in queries))


def _any(parts: Iterable[Text]) -> Text:
    items = list(parts)
    if True in items:
        return True
    queries = [p for p in items if isinstance(p, Tsq)]
    if not queries:
        return False
    if len(queries) == 1:
        return queries[0]
    return Tsq(" | ".join(f"({q.text})" for q in queries), all(q.positive for q in queries))


def _none(part: Text) -> Text:
    return not part if isinstance(part, bool) else Tsq(f"!({part.text})", positive=False)


class _Compiler(PredicateCompiler):
    def __init__(self, today: date, analysed: dict[str, str]) -> None:
        super().__init__(today)
        self.analysed = analysed

    def leaf(self, leaf: Term | Phrase, field: TextField | None) -> Text:
        looked_up = forms(leaf, field)
        if not looked_up:
            return True
        english = [self.analysed[f] for f in looked_up]
        primary = english[0]
        if not primary:
            return True  # only stop words: see the module's docstring
        others = [text for text in english[1:] if text and _adds_words(text, primary)]
        return _any(Tsq(text) for text in dict.fromkeys([primary, *others]))

    def text(self, node: Node) -> Text | None:
        """`node` as a tsquery, or None when it holds something other than words."""
        match node:
            case Term() | Phrase():
                return self.leaf(node, node.field)
            case Not(item):
                inner = self.text(item)
                return None if inner is None else _none(inner)
            case And(items) | Or(items):
                parts = [self.text(item) for item in items]
                if any(part is None for part in parts):
                    return None
                words = [part for part in parts if part is not None]
                return _all(words) if isinstance(node, And) else _any(words)
        return None

    def words(self, node: Node) -> str | None:
        words = self.text(node)
        if isinstance(words, bool):
            return "TRUE" if words else "FALSE"
        return None if words is None else f"p.document @@ CAST({self.bind(words.text)} AS tsquery)"

    def organization(self, pattern: str) -> str:
        return f"p.organization ILIKE {pattern} ESCAPE '\\'"  # ILIKE: SQLite's LIKE ignores case too

    def categories(self) -> str:
        return "json_array_elements_text(CAST(p.categories AS json)) AS c(value)"


@dataclass(frozen=True, slots=True)
class Compiled:
    """`match`: the tsquery driving the statement, if any; `where` and `params` filter its rows."""

    match: str | None
    where: str
    params: tuple[object, ...]
    #: conditions on `p.pk` implied by top-level date and id terms (as on SQLite)
    bounds: str = "TRUE"
    bound_params: tuple[object, ...] = ()
    #: each positive word or phrase of `match`, limited to titles (for broad searches)
    title_terms: tuple[str, ...] = ()
    #: every positive word or phrase of `match`, OR-ed: for the broad-search probe
    any_term: str | None = None
    #: the positive words and phrases of `match` that may stand in an abstract, OR-ed: marked in the snippet
    highlight: str | None = None
    #: the fields the positive words of `match` are looked up in: what its relevance counts
    rank_fields: frozenset[TextField] = frozenset(TextField)
    #: the digest whose left-out papers a top-level `more:` asks for: their relevance is the digest's order
    left_out_of: int | None = None
    #: whether `where` filters on more than dates and ids (which `bounds` turn into pk ranges the index uses)
    filtered: bool = False
    #: ILIKE patterns of the words and phrases as typed (`ranking.exact_forms`), each twice (title, abstract)
    exact: tuple[str, ...] = ()


_IN_TITLE = (None, TextField.TITLE)
_IN_ABSTRACT = (None, TextField.ABSTRACT)


def compile_query(node: Node, today: date, analysed: dict[str, str]) -> Compiled:
    """The statement's parts for `node`; `analysed` holds PostgreSQL's reading of every input of `inputs(node)`."""
    compiler = _Compiler(today, analysed)
    whole = compiler.text(node)
    matched: Node | None = None
    match: Tsq | None = None
    rest: list[Node] = [node]
    if isinstance(whole, Tsq) and whole.positive:
        matched, match, rest = node, whole, []
    elif whole is None and isinstance(node, And):
        texts = {item: text for item in node.items if (text := compiler.text(item)) is not None}
        words = list(texts)
        combined = _all(texts.values())
        if isinstance(combined, Tsq) and combined.positive:
            matched = words[0] if len(words) == 1 else And(tuple(words))
            match, rest = combined, [item for item in node.items if item not in words]
        else:
            rest = list(node.items)
    where = " AND ".join(compiler.predicate(item) for item in rest) or "TRUE"
    bounds = [bound for item in rest if (bound := _pk_bound(item, today)) is not None]
    # the words a paper must (or may) hold, less the stop words, which hold for every paper
    leaves = [
        leaf
        for leaf in (positive_leaves(matched) if matched is not None else [])
        if isinstance(leaf, Term | Phrase) and isinstance(compiler.leaf(leaf, leaf.field), Tsq)
    ]
    return Compiled(
        match=match.text if match is not None else None,
        where=where,
        params=tuple(compiler.params),
        bounds=" AND ".join(sql for sql, _ in bounds) or "TRUE",
        bound_params=tuple(value for _, value in bounds),
        title_terms=_texts(compiler.leaf(leaf, TextField.TITLE) for leaf in leaves if leaf.field in _IN_TITLE),
        any_term=_joined(compiler.leaf(leaf, leaf.field) for leaf in leaves),
        highlight=_joined(compiler.leaf(leaf, leaf.field) for leaf in leaves if leaf.field in _IN_ABSTRACT),
        rank_fields=frozenset(field for leaf in leaves for field in ([leaf.field] if leaf.field else TextField))
        or frozenset(TextField),
        left_out_of=next(
            (int(item.value) for item in rest if isinstance(item, Match) and item.field is MatchField.MORE), None
        ),
        filtered=any(_pk_bound(item, today) is None for item in rest),
        exact=tuple(form for form in ranking.exact_forms(matched) for _ in "ta") if matched is not None else (),
    )


def _texts(parts: Iterable[Text]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.text for part in parts if isinstance(part, Tsq)))


def _joined(parts: Iterable[Text]) -> str | None:
    joined = _any(Tsq(text) for text in _texts(parts))
    return joined.text if isinstance(joined, Tsq) else None


def _pk_bound(node: Node, today: date) -> tuple[str, object] | None:
    """An exact limit on the pks a top-level date or id term allows (`paper_days` holds each day's least and
    greatest pk): it lets the newest-first scan stop early, or (`-id:…`) leaves one pk out."""
    match node:
        case DateLimit(Bound.SINCE, limit, days_ago):
            since = limit if limit is not None else today - timedelta(days=days_ago or 0)
            least = "SELECT min(min_pk) FROM paper_days WHERE day >= ?"
            return f"p.pk >= coalesce(({least}), {_NO_PK})", since.isoformat()
        case DateLimit(Bound.BEFORE, limit, days_ago):
            before = limit if limit is not None else today - timedelta(days=days_ago or 0)
            return "p.pk <= coalesce((SELECT max(max_pk) FROM paper_days WHERE day < ?), -1)", before.isoformat()
        case Match(MatchField.ID, value):
            return "p.pk = coalesce((SELECT b.pk FROM papers b WHERE b.id = ?), -1)", value
        case Not(Match(MatchField.ID, value)):
            # one paper left out (`-id:…`, similar papers): no paper-by-paper check the index cannot make
            return "p.pk <> coalesce((SELECT b.pk FROM papers b WHERE b.id = ?), -1)", value
    return None


# --- the statement --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple[object, ...]


#: below this many papers (as PostgreSQL last counted them; -1: never), a broad search is found by counting
EXACT_PROBE_BELOW = 20_000


def probe_statement(compiled: Compiled) -> Statement | None:
    """Whether a search is broad: its words, any of them, are in more than `ranking.BM25_MAX_PAPERS` papers.

    On a small table the papers are counted (up to the limit), as on SQLite. On a large one the answer is NULL,
    and `estimate_statement` asks the planner instead: counting a common word's papers reads each one's
    `document` (the index holds no count the planner would use), a slower step than the whole search on SQLite,
    and the planner's statistics of words (`ANALYZE`) tell the same for the words that matter. (Not for a
    phrase, which it estimates by its words: a rare phrase of common words counts as broad there.)"""
    if compiled.any_term is None:
        return None
    sql = (
        "SELECT CASE WHEN (SELECT c.reltuples FROM pg_class c WHERE c.oid = CAST('papers' AS regclass)) "
        f"< {EXACT_PROBE_BELOW} THEN (SELECT count(*) > {ranking.BM25_MAX_PAPERS} FROM (SELECT 1 FROM papers p "
        f"WHERE p.document @@ CAST(? AS tsquery) LIMIT {ranking.BM25_MAX_PAPERS + 1}) AS found) END"
    )
    return Statement(sql, (compiled.any_term,))


def estimate_statement(compiled: Compiled) -> Statement | None:
    """The planner's estimate of how many papers hold any of the search's words: a plan in JSON."""
    if compiled.any_term is None:
        return None
    return Statement(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM papers p WHERE p.document @@ CAST(? AS tsquery)", (compiled.any_term,)
    )


async def is_broad(db: Queries, compiled: Compiled) -> bool:
    probe = probe_statement(compiled)
    if probe is None:
        return False
    row = await db.fetchone(probe.sql, probe.params)
    if row is not None and row[0] is not None:
        return bool(row[0])
    estimate = estimate_statement(compiled)
    assert estimate is not None
    plan = await db.fetchone(estimate.sql, estimate.params)
    try:
        return plan is not None and float(plan[0][0]["Plan"]["Plan Rows"]) > ranking.BM25_MAX_PAPERS
    except (KeyError, IndexError, TypeError, ValueError):  # a plan of another shape: rank by ts_rank
        return False


def _headline(snippet_tokens: int) -> str:
    """`ts_headline`'s options: one stretch of about `snippet_tokens` words around a match, matched words marked,
    or the abstract's first words when it holds none (the match was elsewhere), as SQLite's `snippet` does."""
    least = max(1, snippet_tokens - 1)  # must be below MaxWords
    most = max(least + 1, snippet_tokens)
    return f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={most}, MinWords={least}, ShortWord=0, MaxFragments=1"


_COLUMNS = ", ".join(f"p.{c}" for c in COLUMNS)


def _boosts() -> str:
    """The boosts of `ranking`, read when a search is made (as SQLite's are); today's date is their parameter."""
    return ranking.boosts("p.upvotes", PAPER_DAY, "?", dialect="postgresql")


#: whether a paper's title or abstract holds a form of `Compiled.exact` as typed, in any case (as on SQLite)
_HOLDS_AS_TYPED = "CAST(p.title ILIKE ? OR p.abstract ILIKE ? AS integer)"

_ORDER = {
    Sort.RELEVANCE: "score DESC",
    Sort.UPVOTES: "coalesce(p.upvotes, 0) DESC",
    Sort.NEWEST: f"{PAPER_DAY} DESC",
}


def search_statement(
    compiled: Compiled,
    *,
    sort: Sort,
    limit: int,
    offset: int,
    today: date,
    snippet_tokens: int,
    broad: bool = False,
    newest: Sequence[int] | None = None,
) -> Statement:
    """The one SELECT behind a search page, in SQLite's three steps (see `store/sqlite/search.py`): the
    candidates (for relevance, the newest `ranking.CANDIDATES` matches: `newest`, their pks, when
    `newest_matches` found them), those ranked and cut to the page, then the page's rows with their snippets."""
    if compiled.match is None:
        return _wordless_statement(compiled, sort=sort, limit=limit, offset=offset, today=today)
    order, boosts = _ORDER[sort], _boosts()
    page = "LIMIT ? OFFSET ?"
    matches, found = _matches(compiled)
    if sort is Sort.RELEVANCE:
        # the newest matches, found beforehand (`newest_matches`), or here on their own when not
        candidates = (
            "SELECT unnest(CAST(? AS bigint[])) AS pk"
            if newest is not None
            else f"SELECT p.pk FROM {matches} ORDER BY p.pk DESC LIMIT {ranking.CANDIDATES}"
        )
        found = (list(newest),) if newest is not None else found
        if broad:
            in_title = ["CAST(p.document @@ CAST(? AS tsquery) AS integer)" for _ in compiled.title_terms]
            relevance, relevance_params = ranking.title_coverage(in_title), compiled.title_terms
        else:
            relevance = f"ts_rank({rank_weights(compiled.rank_fields)}, p.document, CAST(? AS tsquery))"
            relevance_params = (compiled.match,)
        scored = f"SELECT c.pk, {relevance} * {boosts} AS base FROM candidates c JOIN papers p ON p.pk = c.pk"
        ranked, ranked_params = _with_exact_bonus(scored, compiled.exact, offset + limit + 1)
        ranked += f" ORDER BY score DESC, pk DESC {page}"
        params: tuple[object, ...] = (
            *found,
            *ranked_params,
            *relevance_params,
            today.isoformat(),
            limit + 1,
            offset,
        )
    else:
        candidates = f"SELECT p.pk FROM {matches} ORDER BY {order}, p.pk DESC {page}"
        ranked = "SELECT pk, NULL AS score FROM candidates"
        params = (*found, limit + 1, offset)
    score = "r.score" if sort is Sort.RELEVANCE else boosts
    tail: tuple[object, ...] = () if sort is Sort.RELEVANCE else (today.isoformat(),)
    if compiled.highlight is not None:
        snippet = "ts_headline('english', p.abstract, CAST(? AS tsquery), ?)"
        tail = (*tail, compiled.highlight, _headline(snippet_tokens))
    else:
        snippet = "CAST(NULL AS text)"
    sql = (
        f"WITH candidates AS ({candidates}), ranked AS ({ranked}) "
        f"SELECT {_COLUMNS}, {score} AS score, {snippet} "
        f"FROM ranked r JOIN papers p ON p.pk = r.pk ORDER BY {order}, p.pk DESC"
    )
    return Statement(sql, (*params, *tail))


def _with_exact_bonus(scored: str, exact: tuple[str, ...], shown: int) -> tuple[str, tuple[object, ...]]:
    """The candidates' scores (`scored`: rows of pk and base score) times the exact-form bonus, as rows of pk and
    score; and the parameters that go before those of `scored`.

    ILIKE over 500 abstracts costs PostgreSQL 5–10 ms, so the bonus is computed only where it can change the
    page: for papers whose base score times the largest bonus reaches the base score of the `shown`-th best
    (the last row the page may show). A paper below that bar stays below the page with or without its bonus."""
    if not exact or not ranking.EXACT_BONUS:
        return f"SELECT pk, base AS score FROM ({scored}) AS s", ()
    bonus = ranking.exact_bonus([_HOLDS_AS_TYPED for _ in exact[::2]])
    # every bar is a little lower than computed, so that float rounding cannot leave a paper out
    reach = (1.0 + ranking.EXACT_BONUS) * 1.000001
    every = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    bar = f"nth_value(b.base, {int(shown)}) OVER (ORDER BY b.base DESC {every})"
    sql = (
        f"SELECT s.pk, CASE WHEN s.base * {reach} >= coalesce(s.bar, 0) THEN s.base * {bonus} ELSE s.base END AS score "
        f"FROM (SELECT b.pk, b.base, {bar} AS bar FROM ({scored}) AS b) AS s JOIN papers p ON p.pk = s.pk"
    )
    return sql, exact


def _matches(compiled: Compiled) -> tuple[str, tuple[object, ...]]:
    """The FROM and WHERE of the papers `compiled` matches, and their parameters."""
    where = f"{compiled.where} AND {compiled.bounds}"
    found = (compiled.match, *compiled.params, *compiled.bound_params)
    return f"papers p WHERE p.document @@ CAST(? AS tsquery) AND {where}", found


#: the newest pks a relevance search looks through first, then `WINDOW_GROWTH` times more each time
FIRST_WINDOW = 16 * ranking.CANDIDATES
WINDOW_GROWTH = 8
#: how many papers holding a search's words a search checks at most for what the index cannot tell (a phrase,
#: a field, a filter): see `newest_matches`
CHECKED = 4 * ranking.CANDIDATES
#: the range of pks papers hold
_PK_RANGE = "SELECT min(pk), max(pk) FROM papers"
#: a token of PostgreSQL's tsquery text: a lexeme with its flags, a phrase operator, another operator
_TSQ_TOKEN = re.compile(r"('(?:[^'\\]|''|\\.)*')(?::([*A-D]+))?|<(?:-|\d+)>|[&|!()]|\s+")


def loosened(tsquery: str) -> str | None:
    """A tsquery the GIN index answers alone (no word order, no fields) that every paper matching `tsquery`
    matches; None when there is none to give here (a phrase or a field under a `!`: dropping either there
    would narrow, not widen)."""
    out: list[str] = []
    checked = negated = False
    at = 0
    for token in _TSQ_TOKEN.finditer(tsquery):
        if token.start() != at:
            return None  # text this reading does not know: leave it whole
        at = token.end()
        text = token.group(0)
        if token.group(1) is not None:
            flags = token.group(2) or ""
            checked = checked or flags.strip("*") != ""
            out.append(token.group(1) + (":*" if "*" in flags else ""))
        elif text.startswith("<"):
            checked = True
            out.append(" & ")
        else:
            negated = negated or text == "!"
            out.append(text)
    if at != len(tsquery) or (checked and negated):
        return None
    return "".join(out)


def window_statement(compiled: Compiled, above: int | None, upto: int | None, wanted: int) -> Statement:
    """The newest `wanted` matches with a pk in (`above`, `upto`] (None: no limit there), newest first."""
    matches, found = _matches(compiled)
    limits = _limits(above, upto)
    window = "".join(f" AND {sql}" for sql, _ in limits)
    # OFFSET 0 plans the window on its own, as if every match in it were wanted: walking it newest first,
    # checking each paper, is what the planner would pick for the LIMIT, and it costs the check too little
    sql = f"SELECT pk FROM (SELECT p.pk FROM {matches}{window} OFFSET 0) AS w ORDER BY pk DESC LIMIT {wanted}"
    return Statement(sql, (*found, *(value for _, value in limits)))


def checked_window_statement(
    compiled: Compiled, loose: str, above: int | None, upto: int | None, wanted: int, budget: int
) -> Statement:
    """One row: how many of the newest `budget` papers in the window hold the words (`loose`), and the pks of
    the newest `wanted` of those that match (`compiled`), newest first (NULL: none)."""
    limits = _limits(above, upto)
    window = "".join(f" AND {sql}" for sql, _ in limits)
    # each paper is checked as it is read (OFFSET 0: see `window_statement`), not looked up again
    held = (
        f"SELECT pk, matched FROM (SELECT p.pk, (p.document @@ CAST(? AS tsquery) AND {compiled.where}) AS matched "
        f"FROM papers p WHERE p.document @@ CAST(? AS tsquery) AND {compiled.bounds}{window} OFFSET 0) AS w "
        f"ORDER BY pk DESC LIMIT {budget}"
    )
    sql = f"SELECT count(*), (array_agg(pk ORDER BY pk DESC) FILTER (WHERE matched))[1:{wanted}] FROM ({held}) AS h"
    params = (compiled.match, *compiled.params, loose, *compiled.bound_params, *(value for _, value in limits))
    return Statement(sql, params)


def _limits(above: int | None, upto: int | None) -> list[tuple[str, int]]:
    return [(sql, value) for sql, value in (("p.pk > ?", above), ("p.pk <= ?", upto)) if value is not None]


def checks(compiled: Compiled) -> bool:
    """Whether a search with words needs more than the index to tell its matches: a phrase, a field, a filter."""
    return compiled.match is not None and (loosened(compiled.match) != compiled.match or compiled.filtered)


async def newest_matches(db: Queries, compiled: Compiled, steps: list[Statement] | None = None) -> list[int]:
    """The pks of the newest `ranking.CANDIDATES` papers `compiled` matches, newest first: looked for in the
    newest `FIRST_WINDOW` pks, then in ranges `WINDOW_GROWTH` times wider, further back, until they are found or
    the table is read.

    The GIN index gives no order: unbounded, PostgreSQL either reads every match of the words and sorts them
    (a common word: hundreds of thousands of rows), or walks the pks newest first and checks each paper, which
    for a rare phrase of common words (the planner takes a phrase for as common as its words) reads the whole
    table. A window bounds both to the pks it spans.

    What the index cannot tell alone (a phrase's word order, a field, a filter such as `upvotes>=10`) is
    checked on the newest `CHECKED` papers holding the search's words only: a phrase of two common words is
    in a few hundred of the 60,000 papers holding both in a million, and checking them all takes a quarter of a
    second. So those searches rank the matches among the newest `CHECKED` papers with their words, which may
    be fewer than `ranking.CANDIDATES` (SQLite ranks the newest `ranking.CANDIDATES` matches, however far back
    they are); a search the index answers alone finds the same papers as SQLite. `steps`, if given, gets each
    window's statement."""
    least, most = await db.fetchone(_PK_RANGE) or (None, None)
    if least is None or most is None:
        return []
    assert compiled.match is not None
    loose = loosened(compiled.match)
    checked = loose is not None and checks(compiled)
    found: list[int] = []
    seen = 0
    upto: int | None = None
    window = FIRST_WINDOW
    while True:
        above = most - window if most - window >= least else None
        wanted = ranking.CANDIDATES - len(found)
        if checked and loose is not None:
            step = checked_window_statement(compiled, loose, above, upto, wanted, CHECKED - seen)
            row = await db.fetchone(step.sql, step.params)
            held, pks = (int(row[0]), row[1] or []) if row is not None else (0, [])
            seen += held
            found.extend(int(pk) for pk in pks)
        else:
            step = window_statement(compiled, above, upto, wanted)
            found.extend(int(row[0]) for row in await db.fetchall(step.sql, step.params))
        if steps is not None:
            steps.append(step)
        if len(found) >= ranking.CANDIDATES or above is None or seen >= CHECKED:
            return found
        upto, window = above, _next_window(window, seen if checked else 0, len(found))


def _next_window(window: int, seen: int, found: int) -> int:
    """The next window's reach back from the newest pk: when the papers seen so far say how far back the rest of
    the budget (`CHECKED`) or of the candidates lies, half as far again (each window reads the index again, and
    one too wide only checks papers it drops); else `WINDOW_GROWTH` times wider."""
    needs = [(CHECKED - seen, seen)] if seen else []
    needs += [(ranking.CANDIDATES - found, found)] if found else []
    if not needs:
        return window * WINDOW_GROWTH
    reach = min(window + int(1.5 * left * window / had) + 1 for left, had in needs)
    return max(reach, window + FIRST_WINDOW)


def _wordless_statement(compiled: Compiled, *, sort: Sort, limit: int, offset: int, today: date) -> Statement:
    """A search without words (`upvotes>=50`, `-video`, `more:12`): relevance 1 × the boosts, no snippet."""
    order = _ORDER[sort]
    where = f"{compiled.where} AND {compiled.bounds}"
    window = f"ORDER BY p.pk DESC LIMIT {ranking.CANDIDATES}" if sort is Sort.RELEVANCE else ""
    ordered_by: tuple[object, ...] = ()
    if sort is Sort.RELEVANCE and compiled.left_out_of is not None:
        # what a digest left out, in the order it would have listed them next: positions -1, -2, …
        order, window = "(SELECT d.position FROM deliveries d WHERE d.digest_id = ? AND d.paper_id = p.id) DESC", ""
        ordered_by = (compiled.left_out_of,)
    sql = (
        f"WITH candidates AS (SELECT p.pk FROM papers p WHERE {where} {window}) "
        f"SELECT {_COLUMNS}, {_boosts()} AS score, CAST(NULL AS text) FROM candidates c JOIN papers p ON p.pk = c.pk "
        f"ORDER BY {order}, p.pk DESC LIMIT ? OFFSET ?"
    )
    filters = (*compiled.params, *compiled.bound_params)
    return Statement(sql, (*filters, today.isoformat(), *ordered_by, limit + 1, offset))


async def _statement(db: Queries, request: SearchRequest, steps: list[Statement] | None = None) -> Statement:
    analysed = await analyse(db, inputs(request.query))
    compiled = compile_query(request.query, request.today, analysed)
    relevance = compiled.match is not None and request.sort is Sort.RELEVANCE
    broad = relevance and await is_broad(db, compiled)
    # what the index answers alone, PostgreSQL finds fastest in one statement (windows for a common word were
    # measured slower at the median); what it must check paper by paper is bounded (see `newest_matches`)
    newest = await newest_matches(db, compiled, steps) if relevance and checks(compiled) else None
    return search_statement(
        compiled,
        sort=request.sort,
        limit=request.limit,
        offset=request.offset,
        today=request.today,
        snippet_tokens=request.snippet_tokens,
        broad=broad,
        newest=newest,
    )


async def search(db: Queries, request: SearchRequest) -> list[Row]:
    """Up to `limit + 1` rows: the papers table's columns, then the score and a snippet (None: none)."""
    try:
        statement = await _statement(db, request)
        rows = await db.fetchall(statement.sql, statement.params)
    except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded) as error:
        raise QueryError(f"the search could not run ({_first_line(error)}); simplify it and try again") from None
    return [(*row[:-1], _with_ellipses(row[_ABSTRACT], row[-1])) for row in rows]


async def count(db: Queries, request: SearchRequest, most: int) -> int:
    """How many rows `search` gives over all its pages, counted up to `most` (as on SQLite: a relevance search
    ranks its newest `ranking.CANDIDATES` matches, or what `newest_matches` finds)."""
    compiled = compile_query(request.query, request.today, await analyse(db, inputs(request.query)))
    if request.sort is Sort.RELEVANCE and compiled.left_out_of is None:
        most = min(most, ranking.CANDIDATES)
        if checks(compiled):
            return min(len(await newest_matches(db, compiled)), most)
    if compiled.match is None:
        where = f"papers p WHERE {compiled.where} AND {compiled.bounds}"
        found = (*compiled.params, *compiled.bound_params)
    else:
        where, found = _matches(compiled)
    try:
        row = await db.fetchone(f"SELECT count(*) FROM (SELECT 1 FROM {where} LIMIT ?) AS c", (*found, most))
    except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded) as error:
        raise QueryError(f"the search could not run ({_first_line(error)}); simplify it and try again") from None
    return int(row[0]) if row else 0


async def plan(db: Queries, request: SearchRequest) -> list[str]:
    """PostgreSQL's plan for that search, a line per step: each window `newest_matches` looked through, then
    the statement that ranks what they found."""
    steps: list[Statement] = []
    steps.append(await _statement(db, request, steps))
    lines = []
    for n, step in enumerate(steps, start=1):
        lines.append(f"-- window {n}" if n < len(steps) else "-- ranked")
        lines.extend(str(row[0]) for row in await db.fetchall(f"EXPLAIN {step.sql}", step.params))
    return lines


_ABSTRACT = COLUMNS.index("abstract")


def _with_ellipses(abstract: str, snippet: str | None) -> str | None:
    """`…` where the snippet leaves out the abstract's start or end, as SQLite's snippets say."""
    if not snippet:
        return snippet
    plain = snippet.replace(MARK_START, "").replace(MARK_END, "")
    at = abstract.find(plain)
    if at < 0:
        return snippet
    before = "…" if abstract[:at].strip() else ""
    after = "…" if abstract[at + len(plain) :].strip() else ""
    return f"{before}{snippet}{after}"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
