"""A query's parts other than words (NOT/AND/OR, fields, counts, dates) as SQL predicates on `papers p`, for both
engines' search compilers: each engine says how it matches words, a category and an organisation."""

from __future__ import annotations

from datetime import date, timedelta

from paperboy.query.ast import And, Bound, Compare, Count, DateLimit, Match, MatchField, Node, Not, Or
from paperboy.store.rows import PAPER_DAY

_COUNT_COLUMNS = {Count.UPVOTES: "upvotes", Count.STARS: "github_stars", Count.COMMENTS: "comments"}


class PredicateCompiler:
    """Collects a statement's parameters (`?`) in the order its SQL names them."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.params: list[object] = []

    def bind(self, value: object) -> str:
        self.params.append(value)
        return "?"

    def words(self, node: Node) -> str | None:
        """The engine's predicate for `node` when it is words only (its full-text index), else None."""
        raise NotImplementedError

    def organization(self, pattern: str) -> str:
        """The engine's case-blind `LIKE` of `p.organization` against the bound `pattern` (escaped with \\)."""
        raise NotImplementedError

    def categories(self) -> str:
        """The engine's table of `p.categories`' values (a JSON list), as `FROM` text with a column `value`."""
        raise NotImplementedError

    def predicate(self, node: Node) -> str:
        words = self.words(node)
        if words is not None:
            return words
        match node:
            case Not(item):
                return f"NOT ({self.predicate(item)})"
            case And(items):
                return "(" + " AND ".join(self.predicate(item) for item in items) + ")"
            case Or(items):
                return "(" + " OR ".join(self.predicate(item) for item in items) + ")"
            case Match(field, value):
                return self.match(field, value)
            case Compare(count, op, value):
                return f"coalesce(p.{_COUNT_COLUMNS[count]}, 0) {op.value} {self.bind(value)}"
            case DateLimit(bound, day, days_ago):
                limit = day if day is not None else self.today - timedelta(days=days_ago or 0)
                operator = ">=" if bound is Bound.SINCE else "<"
                return f"{PAPER_DAY} {operator} {self.bind(limit.isoformat())}"
        raise TypeError(f"cannot compile {node!r}")  # pragma: no cover

    def match(self, field: MatchField, value: str) -> str:
        match field:
            case MatchField.ORG:
                escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                return self.organization(self.bind("%" + escaped + "%"))
            case MatchField.CATEGORY:
                return f"EXISTS (SELECT 1 FROM {self.categories()} WHERE lower(value) = lower({self.bind(value)}))"
            case MatchField.ID:
                return f"p.id = {self.bind(value)}"
            case MatchField.CODE:
                return "p.github_repo IS NOT NULL" if value == "yes" else "p.github_repo IS NULL"
            case MatchField.MORE:
                left_out = f"SELECT paper_id FROM deliveries WHERE digest_id = {self.bind(int(value))} AND position < 0"
                return f"p.id IN ({left_out})"
        raise TypeError(f"cannot compile {field!r}")  # pragma: no cover
