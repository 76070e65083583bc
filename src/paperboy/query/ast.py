"""The query language's syntax tree: plain frozen values, and their canonical text.

`render(node)` is the one spelling of a query shown back to users (a channel's saved filter, say); parsing it
gives the same tree again. The parser builds trees in canonical form only: `And`/`Or` hold at least two items
and never an item of their own kind, and `Not` never holds a `Not`. Numbers have bounds (`MAX_COUNT`,
`MAX_DAYS_AGO`) that the values themselves enforce, so no tree renders to text the parser would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

#: the largest number a count comparison takes (`upvotes>=999999999`); a bound keeps it a 64-bit SQL integer
MAX_COUNT = 999_999_999
#: how far back a relative date may reach (`since:36525d`, about 100 years): a larger one is a typo, and
#: today minus it could leave the calendar
MAX_DAYS_AGO = 36_525
#: the largest digest number `more:` takes: SQLite's largest integer, the delivery ledger's ids
MAX_DIGEST = 2**63 - 1


class TextField(Enum):
    """The parts of a paper that words are matched against (the full-text index's columns)."""

    TITLE = "title"
    ABSTRACT = "abstract"
    AUTHOR = "author"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class Term:
    """A word as typed (`diffusion`, `GPT-4`, `cs.CL`), or a word start with `prefix` (`quant*`).

    `field` limits it to one part of the paper; `None` means any of them.
    """

    text: str
    prefix: bool = False
    field: TextField | None = None


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear together, in order: `"flow matching"`; `prefix` makes the last one a word start."""

    text: str
    prefix: bool = False
    field: TextField | None = None


class MatchField(Enum):
    """Fields compared as a whole rather than word by word."""

    ORG = "org"
    CATEGORY = "cat"
    ID = "id"
    CODE = "code"
    #: the papers that digest number `value` left out (its "and N more")
    MORE = "more"


@dataclass(frozen=True, slots=True)
class Match:
    """`org:nvidia` (organisation contains), `cat:cs.CL` (arXiv category), `id:2401.12345`, `code:yes`/`code:no`,
    `more:123` (what digest 123 left out; the value is the digest's number in ASCII digits)."""

    field: MatchField
    value: str


class Count(Enum):
    """Numbers a paper carries. A number the sources never gave counts as 0."""

    UPVOTES = "upvotes"
    STARS = "stars"
    COMMENTS = "comments"


class Op(Enum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "="


@dataclass(frozen=True, slots=True)
class Compare:
    """`upvotes>=10`, `stars>100`."""

    count: Count
    op: Op
    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.value <= MAX_COUNT:
            raise ValueError(f"a count is compared with 0 to {MAX_COUNT}, not {self.value}")


class Bound(Enum):
    SINCE = "since"  # on or after
    BEFORE = "before"  # strictly before


@dataclass(frozen=True, slots=True)
class DateLimit:
    """`since:2025-01-01`, `before:2025-06-01`, or relative: `since:7d` (`days_ago=7`), counted from today.

    The date compared is the paper's Daily Papers day, else its arXiv publication day, else the day paperboy
    first saw it.
    """

    bound: Bound
    day: date | None = None
    days_ago: int | None = None

    def __post_init__(self) -> None:
        if (self.day is None) == (self.days_ago is None):
            raise ValueError("a date limit has either a day or a number of days ago")
        if self.days_ago is not None and not 0 <= self.days_ago <= MAX_DAYS_AGO:
            raise ValueError(f"a relative date is 0 to {MAX_DAYS_AGO} days ago, not {self.days_ago}")


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


Node = Term | Phrase | Match | Compare | DateLimit | Not | And | Or


def render(node: Node) -> str:
    """The canonical spelling of `node`: `(llm OR "language model") -survey upvotes>=10`."""
    match node:
        case Term(text, prefix, field):
            return _field_prefix(field) + text + ("*" if prefix else "")
        case Phrase(text, prefix, field):
            return f'{_field_prefix(field)}"{text}"' + ("*" if prefix else "")
        case Match(field, value):
            return f"{field.value}:{_quoted_if_needed(value)}"
        case Compare(count, op, value):
            return f"{count.value}{op.value}{value}"
        case DateLimit(bound, day, days_ago):
            return f"{bound.value}:{day.isoformat() if day is not None else f'{days_ago}d'}"
        case Not(item):
            inner = f"({render(item)})" if isinstance(item, And | Or) else render(item)
            # "--x" reads as the word "--x", so a negated word that starts with "-" takes NOT
            return f"NOT {inner}" if inner.startswith("-") else f"-{inner}"
        case And(items):
            return " ".join(f"({render(item)})" if isinstance(item, Or) else render(item) for item in items)
        case Or(items):
            return " OR ".join(render(item) for item in items)
    raise TypeError(f"not a query node: {node!r}")  # pragma: no cover


def _field_prefix(field: TextField | None) -> str:
    return "" if field is None else f"{field.value}:"


def _quoted_if_needed(value: str) -> str:
    return f'"{value}"' if any(c.isspace() or c in '()|"' for c in value) or not value else value


def walk(node: Node) -> list[Node]:
    """`node` and every node below it, parents first."""
    nodes = [node]
    match node:
        case Not(item):
            nodes += walk(item)
        case And(items) | Or(items):
            for item in items:
                nodes += walk(item)
    return nodes


def positive_leaves(node: Node) -> list[Node]:
    """The terms a paper must (or may, under OR) meet for `node` to match: every leaf not under a NOT."""
    match node:
        case Not():
            return []
        case And(items) | Or(items):
            return [leaf for item in items for leaf in positive_leaves(item)]
    return [node]
