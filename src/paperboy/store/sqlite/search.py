"""A query's syntax tree → one SQL statement: an FTS5 MATCH for the words, SQL predicates for the rest.

User text never becomes SQL: every value is a bound parameter, and the FTS5 expression is built only from
word tokens (letters and digits), each inside double quotes, so FTS5 reads them as plain words whatever they
are (`NEAR`, `AND`, `OR`).

Plan: if the whole query, or the words among its top-level terms, can be one FTS5 expression, that expression
drives the statement (`papers_fts MATCH ?`, ranked by bm25) and the other terms filter its rows. Otherwise
(`upvotes>=50`, `-video` alone, `diffusion OR stars>100`) the statement reads the papers table and each word
part becomes `pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

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
)
from paperboy.query.parser import WORD_CHARS
from paperboy.store import ranking
from paperboy.store.predicates import PredicateCompiler
from paperboy.store.rows import COLUMNS, PAPER_DAY

FTS_COLUMNS = {
    TextField.TITLE: "title",
    TextField.ABSTRACT: "abstract",
    TextField.AUTHOR: "authors",
    TextField.KEYWORD: "ai_keywords",
}


@dataclass(frozen=True, slots=True)
class Compiled:
    """`match` is the FTS5 expression driving the statement, if any; `where` and `params` filter the rows."""

    match: str | None
    where: str
    params: tuple[object, ...]
    #: conditions on `{rowid}` implied by the query (see `_rowid_bound`), to format with the rowid column
    bounds: str = "1"
    bound_params: tuple[object, ...] = ()
    #: each positive word or phrase of `match`, as an FTS5 expression limited to titles (for broad searches)
    title_terms: tuple[str, ...] = ()
    #: every positive word or phrase of `match`, OR-ed: the papers bm25 would read through
    any_term: str | None = None
    #: the digest whose left-out papers a top-level `more:` asks for: their relevance is the digest's order
    left_out_of: int | None = None
    #: LIKE patterns of the words and phrases as typed (`ranking.exact_forms`), each twice (title, abstract)
    exact: tuple[str, ...] = ()


def compile_query(node: Node, today: date) -> Compiled:
    """The statement's parts for `node`; `today` anchors relative dates (`since:7d`)."""
    compiler = _Compiler(today)
    match = fts_expression(node)
    matched: Node | None = node if match is not None else None
    rest: list[Node] = []
    if match is None and isinstance(node, And):
        words = [item for item in node.items if _fits_in_match(item)]
        if any(not isinstance(item, Not) for item in words):
            matched = words[0] if len(words) == 1 else And(tuple(words))
            match = fts_expression(matched)
            rest = [item for item in node.items if item not in words]
        else:
            rest = list(node.items)
    elif match is None:
        rest = [node]
    clauses = [compiler.predicate(item) for item in rest]
    where, params = " AND ".join(clauses) or "1", tuple(compiler.params)
    bounds = [bound for item in rest if (bound := _rowid_bound(item, today)) is not None]
    return Compiled(
        match,
        where,
        params,
        " AND ".join(sql for sql, _ in bounds) or "1",
        tuple(value for _, value in bounds),
        _title_terms(matched) if matched is not None else (),
        _any_term(matched) if matched is not None else None,
        next((int(item.value) for item in rest if isinstance(item, Match) and item.field is MatchField.MORE), None),
        tuple(form for form in ranking.exact_forms(matched) for _ in "ta") if matched is not None else (),
    )


def _any_term(node: Node) -> str | None:
    expressions = (fts_expression(leaf) for leaf in positive_leaves(node) if isinstance(leaf, Term | Phrase))
    unique = list(dict.fromkeys(e for e in expressions if e is not None))
    return " OR ".join(f"({e})" for e in unique) or None


def _title_terms(node: Node) -> tuple[str, ...]:
    terms: list[str] = []
    for leaf in positive_leaves(node):
        if isinstance(leaf, Term | Phrase) and leaf.field in (None, TextField.TITLE):
            expression = fts_expression(type(leaf)(leaf.text, leaf.prefix, TextField.TITLE))
            if expression is not None and expression not in terms:
                terms.append(expression)
    return tuple(terms)


# an empty range when no paper qualifies: a NULL bound would leave FTS5 scanning every row
_NO_ROWID = 2**62


def _rowid_bound(node: Node, today: date) -> tuple[str, object] | None:
    """An exact limit on the rowids a top-level date or id term allows, which lets SQLite skip the rest of
    the index. `paper_days` holds each day's least and greatest rowid (PaperStore keeps it)."""
    match node:
        case DateLimit(Bound.SINCE, limit, days_ago):
            since = limit if limit is not None else today - timedelta(days=days_ago or 0)
            least = "SELECT min(min_pk) FROM paper_days WHERE day >= ?"
            return f"{{rowid}} >= coalesce(({least}), {_NO_ROWID})", since.isoformat()
        case DateLimit(Bound.BEFORE, limit, days_ago):
            before = limit if limit is not None else today - timedelta(days=days_ago or 0)
            return "{rowid} <= coalesce((SELECT max(max_pk) FROM paper_days WHERE day < ?), -1)", before.isoformat()
        case Match(MatchField.ID, value):
            return "{rowid} = coalesce((SELECT b.pk FROM papers b WHERE b.id = ?), -1)", value
    return None


def fts_expression(node: Node) -> str | None:
    """`node` as one FTS5 expression, or None when FTS5 cannot say it (a filter, or a NOT with nothing to
    subtract from)."""
    match node:
        case Term(text, prefix, field) | Phrase(text, prefix, field):
            tokens = WORD_CHARS.findall(text)
            column = f"{FTS_COLUMNS[field]} : " if field is not None else ""
            return f'{column}"{" ".join(tokens)}"' + (" *" if prefix else "")
        case Or(items):
            parts = [fts_expression(item) for item in items]
            return None if None in parts else "(" + " OR ".join(p for p in parts if p) + ")"
        case And(items):
            positive = [fts_expression(item) for item in items if not isinstance(item, Not)]
            negative = [fts_expression(item.item) for item in items if isinstance(item, Not)]
            if not positive or None in positive or None in negative:
                return None
            return "(" + " AND ".join(p for p in positive if p) + "".join(f" NOT {n}" for n in negative) + ")"
    return None


def _fits_in_match(node: Node) -> bool:
    return fts_expression(node.item if isinstance(node, Not) else node) is not None


class _Compiler(PredicateCompiler):
    def words(self, node: Node) -> str | None:
        expression = fts_expression(node)
        if expression is None:
            return None
        return f"p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH {self.bind(expression)})"

    def organization(self, pattern: str) -> str:
        return f"p.organization LIKE {pattern} ESCAPE '\\'"

    def categories(self) -> str:
        return "json_each(p.categories)"


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple[object, ...]


def probe_statement(compiled: Compiled) -> Statement | None:
    """Whether a search is broad: 1 if its words, any of them, occur in more than `ranking.BM25_MAX_PAPERS`
    papers. SQLite's bm25 reads through every one of those before it ranks anything; the probe stops
    counting at the limit, so it stays cheap."""
    if compiled.any_term is None:
        return None
    sql = (
        f"SELECT count(*) > {ranking.BM25_MAX_PAPERS} FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
        f"LIMIT {ranking.BM25_MAX_PAPERS + 1})"
    )
    return Statement(sql, (compiled.any_term,))


def count_statement(compiled: Compiled, *, sort: Sort, most: int) -> Statement:
    """How many results `search_statement` gives over all its pages, counted up to `most`: a relevance search
    ranks its newest `ranking.CANDIDATES` matches only (a digest's left-out papers, all of them)."""
    if sort is Sort.RELEVANCE and compiled.left_out_of is None:
        most = min(most, ranking.CANDIDATES)
    if compiled.match is None:
        where = f"{compiled.where} AND {compiled.bounds.format(rowid='p.pk')}"
        sql = f"SELECT count(*) FROM (SELECT 1 FROM papers p WHERE {where} LIMIT ?)"
        return Statement(sql, (*compiled.params, *compiled.bound_params, most))
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {_matches(compiled)} LIMIT ?)"
    return Statement(sql, (compiled.match, *compiled.params, *compiled.bound_params, most))


def _matches(compiled: Compiled) -> str:
    return (
        "papers_fts JOIN papers p ON p.pk = papers_fts.rowid WHERE papers_fts MATCH ? "
        f"AND {compiled.where} AND {compiled.bounds.format(rowid='papers_fts.rowid')}"
    )


#: whether a paper's title or abstract holds a form of `Compiled.exact` as typed, in any case (LIKE folds ASCII)
_HOLDS_AS_TYPED = "(p.title LIKE ? OR p.abstract LIKE ?)"


def search_statement(
    compiled: Compiled, *, sort: Sort, limit: int, offset: int, today: date, snippet_tokens: int, broad: bool = False
) -> Statement:
    """The one SELECT behind a search page: rows of the papers table's columns, then score and snippet.

    It works in three steps, so that the expensive parts run on a few rows only:
    1. `candidates`: the matching papers, in the sort's own order. For relevance that is the newest
       `ranking.CANDIDATES` matches (rowid order, which FTS5 streams without sorting).
    2. `ranked`: those candidates scored (relevance × boosts, see `ranking`) and cut to the page. A `broad`
       search (one with a common word, see `probe_statement`) is ranked by how many of its words are in
       each title instead of by bm25, whose cost grows with every paper holding any of its words.
    3. the page's rows with their snippets, read from the index by rowid.
    """
    columns = ", ".join(f"p.{c}" for c in COLUMNS)
    boosts = ranking.boosts("p.upvotes", PAPER_DAY, "?")
    order = {
        Sort.RELEVANCE: "score DESC",
        Sort.UPVOTES: "coalesce(p.upvotes, 0) DESC",
        Sort.NEWEST: f"{PAPER_DAY} DESC",
    }[sort]
    page = "LIMIT ? OFFSET ?"
    if compiled.match is None:
        window = f"ORDER BY p.pk DESC LIMIT {ranking.CANDIDATES}" if sort is Sort.RELEVANCE else ""
        ordered_by: tuple[object, ...] = ()
        if sort is Sort.RELEVANCE and compiled.left_out_of is not None:
            # what a digest left out ("and N more: /papers search more:N"), in the order it would have listed
            # them next: its positions are -1, -2, …
            order, window = "(SELECT d.position FROM deliveries d WHERE d.digest_id = ? AND d.paper_id = p.id) DESC", ""
            ordered_by = (compiled.left_out_of,)
        where = f"{compiled.where} AND {compiled.bounds.format(rowid='p.pk')}"
        sql = (
            f"WITH candidates AS (SELECT p.pk FROM papers p WHERE {where} {window}) "
            f"SELECT {columns}, {boosts} AS score, NULL FROM candidates c JOIN papers p ON p.pk = c.pk "
            f"ORDER BY {order}, p.pk DESC {page}"
        )
        return Statement(
            sql, (*compiled.params, *compiled.bound_params, today.isoformat(), *ordered_by, limit + 1, offset)
        )
    matches = _matches(compiled)
    found = (compiled.match, *compiled.params, *compiled.bound_params)
    exact = ranking.exact_bonus([_HOLDS_AS_TYPED for _ in compiled.exact[::2]])
    if sort is Sort.RELEVANCE and broad:
        candidates = (
            f"SELECT papers_fts.rowid AS pk FROM {matches} ORDER BY papers_fts.rowid DESC LIMIT {ranking.CANDIDATES}"
        )
        in_title = [
            "(c.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
            "AND rowid >= (SELECT min(pk) FROM candidates)))"
            for _ in compiled.title_terms
        ]
        relevance = ranking.title_coverage(in_title)
        ranked = (
            f"SELECT p.pk, {relevance} * {boosts} * {exact} AS score FROM candidates c JOIN papers p ON p.pk = c.pk "
            f"ORDER BY score DESC, p.pk DESC {page}"
        )
        params: tuple[object, ...] = (
            *found,
            *compiled.title_terms,
            today.isoformat(),
            *compiled.exact,
            limit + 1,
            offset,
        )
    elif sort is Sort.RELEVANCE:
        candidates = (
            f"SELECT papers_fts.rowid AS pk, {ranking.bm25('papers_fts')} AS relevance FROM {matches} "
            f"ORDER BY papers_fts.rowid DESC LIMIT {ranking.CANDIDATES}"
        )
        ranked = (
            f"SELECT p.pk, c.relevance * {boosts} * {exact} AS score FROM candidates c JOIN papers p ON p.pk = c.pk "
            f"ORDER BY score DESC, p.pk DESC {page}"
        )
        params = (*found, today.isoformat(), *compiled.exact, limit + 1, offset)
    else:
        candidates = f"SELECT papers_fts.rowid AS pk FROM {matches} ORDER BY {order}, p.pk DESC {page}"
        ranked = "SELECT pk, NULL AS score FROM candidates"
        params = (*found, limit + 1, offset)
    score = "r.score" if sort is Sort.RELEVANCE else boosts
    sql = (
        f"WITH candidates AS ({candidates}), ranked AS ({ranked}) "
        f"SELECT {columns}, {score} AS score, snippet(papers_fts, 1, ?, ?, '…', {snippet_tokens}) "
        # CROSS JOIN keeps this order: the page's few rows first, then the index looked up by rowid
        "FROM ranked r CROSS JOIN papers p CROSS JOIN papers_fts "
        "WHERE p.pk = r.pk AND papers_fts.rowid = r.pk AND papers_fts MATCH ? "
        f"ORDER BY {order}, p.pk DESC"
    )
    tail: tuple[object, ...] = () if sort is Sort.RELEVANCE else (today.isoformat(),)
    # the snippet's look-up by rowid matches the words alone (`any_term`): the same words marked, while each
    # look-up of a long expression (a partial match's tier names every pair of its words) costs milliseconds
    marked = compiled.any_term or compiled.match
    return Statement(sql, (*params, *tail, MARK_START, MARK_END, marked))
