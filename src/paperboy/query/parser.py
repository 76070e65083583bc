"""Text → syntax tree for the query language, with errors that say where and what.

    query    := or
    or       := and (("OR" | "|") and)*
    and      := unary (["AND"] unary)*          juxtaposition means AND
    unary    := ("-" | "NOT") unary | primary
    primary  := "(" or ")" | field ":" value | count op number | count ":" [op] number
              | word["*"] | '"' phrase '"'["*"]

Operators are upper case (`OR`, `AND`, `NOT`); in lower case they are words (`query/hints.py` asks "did you
mean OR?"). A query that is only an arXiv id or a paper's URL is `id:` that paper (`lone_paper_id`).

Every refusal is a `QueryError` whose message names the column (1-based) and what to write instead. Whatever
`parse` accepts, `render` writes back as text that `parse` turns into the same tree: numbers are bounded here
and in the tree's values alike, digits of any script become ASCII, and a query must fit `MAX_LENGTH` as typed
and as spelled out in full.
Text that is not text is refused before anything else reads it: a lone surrogate (what an undecodable byte of a
command-line argument becomes, or a JSON `\\ud800`) and control characters other than spaces.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum, auto

from paperboy.arxiv_ids import parse_arxiv_id
from paperboy.errors import InvalidPaperId, QueryError
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
    walk,
)

MAX_LENGTH = 500
MAX_TERMS = 40
MAX_DEPTH = 10
#: letters a word start needs before its `*`: shorter ones expand to too many words to be useful or fast
MIN_PREFIX = 3

#: what the full-text index treats as a word: letters and digits (the `unicode61` tokenizer's rule)
WORD_CHARS = re.compile(r"[^\W_]+")
_SPECIAL = '()"|'
_OPERATOR = r"(>=|<=|>|<|=)"
_COMPARISON = re.compile(rf"([A-Za-z]+){_OPERATOR}(.*)", re.DOTALL)
#: the value of `upvotes:>50`, `upvotes:50` (=)
_COLON_COMPARISON = re.compile(rf"{_OPERATOR}?(.*)", re.DOTALL)
#: `\d` is any script's decimal digit, as `int()` reads them all
_RELATIVE_DAYS = re.compile(r"(\d+)([dw])", re.IGNORECASE)
_CATEGORY = re.compile(r"[A-Za-z-]+(\.[A-Za-z-]+)?")
_URL_SCHEMES = {"http", "https"}
#: a lone surrogate: Python's stand-in for a byte that is not UTF-8 (`surrogateescape`), which no database,
#: terminal or chat can take
_NOT_UTF8 = re.compile("[\ud800-\udfff]")
#: the control characters that are not spaces (NUL, ESC, DEL, C1): never meant, and ESC rewrites a terminal
#: that is shown the query back
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")

_FIELDS: dict[str, TextField | MatchField | Bound] = {
    **{f.value: f for f in TextField},
    **{f.value: f for f in MatchField},
    **{b.value: b for b in Bound},
}
_COUNTS = {c.value: c for c in Count}
_ALL_FIELD_NAMES = [*_FIELDS, *_COUNTS]


class Kind(Enum):
    WORD = auto()
    PHRASE = auto()
    OPEN = auto()
    CLOSE = auto()
    OR = auto()
    AND = auto()
    NOT = auto()
    FIELD = auto()
    COMPARE = auto()
    END = auto()


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    column: int
    prefix: bool = False
    #: for COMPARE: the operator and the number's text
    op: str = ""
    value: str = ""


def parse(text: str) -> Node:
    """The syntax tree of `text`, or a `QueryError` saying what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"the query is {len(text)} characters long; keep it under {MAX_LENGTH}")
    _refuse_non_text(text)
    if not text.strip():
        raise QueryError('the query is empty; give some words, like: diffusion OR "flow matching" -video')
    paper = lone_paper_id(text)
    if paper is not None:
        return paper
    tree = _Parser(tokenize(text)).parse()
    terms = sum(1 for node in walk(tree) if not isinstance(node, And | Or | Not))
    if terms > MAX_TERMS:
        raise QueryError(f"the query has {terms} terms; keep it to {MAX_TERMS} or fewer")
    # the canonical text can be longer than what was typed (`a|b` → `a OR b`, `title:(a b)` → `title:a title:b`),
    # and it is what is stored and parsed again
    spelled_out = len(render(tree))
    if spelled_out > MAX_LENGTH:
        raise QueryError(
            f"the query is {spelled_out} characters long written out in full ({_shortened(render(tree))}); "
            f"keep it under {MAX_LENGTH}"
        )
    return tree


def _refuse_non_text(text: str) -> None:
    """A `QueryError` for the first character that is not text; the message never repeats it."""
    if found := _NOT_UTF8.search(text):
        raise QueryError(
            f"the query is not valid UTF-8 at column {found.start() + 1} (an undecodable byte or a lone "
            "surrogate); retype it"
        )
    if found := _CONTROL.search(text):
        raise QueryError(
            f"the query holds the control character U+{ord(found[0]):04X} at column {found.start() + 1}; remove it"
        )


def _shortened(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


# --- tokens -------------------------------------------------------------------------------------------------


def lone_paper_id(text: str) -> Match | None:
    """`id:` for a query that is only an arXiv id, or a link to a paper on arXiv or Hugging Face (`2405.14979`,
    `arXiv:2405.14979v2`, `https://huggingface.co/papers/2405.14979`, `hep-th/9901001`): what someone who pastes
    one wants is that paper. Beside other words the same text stays words, and `"2405.14979"` searches for it."""
    candidate = text.strip()
    if not candidate or any(char.isspace() for char in candidate):
        return None
    try:
        return Match(MatchField.ID, parse_arxiv_id(candidate).base)
    except InvalidPaperId:
        return None


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, the last one END; a `QueryError` for a field without a value or an open quote."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char == "(":
            tokens.append(Token(Kind.OPEN, char, column))
            i += 1
        elif char == ")":
            tokens.append(Token(Kind.CLOSE, char, column))
            i += 1
        elif char == "|":
            tokens.append(Token(Kind.OR, char, column))
            i += 1
        elif char == '"':
            token, i = _phrase(text, i)
            tokens.append(token)
        elif char == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            tokens.append(Token(Kind.NOT, char, column))
            i += 1
        else:
            end = _bare_end(text, i)
            tokens.extend(_bare(text[i:end], column))
            i = end
            if tokens[-1].kind is Kind.FIELD and i < n and text[i] in '("':
                continue  # the value (a phrase or a group) is the next token
            if tokens[-1].kind is Kind.FIELD:
                raise QueryError(
                    f'"{tokens[-1].text}:" at column {tokens[-1].column} needs a value after the colon, '
                    f"like {_example(tokens[-1].text)}"
                )
    tokens.append(Token(Kind.END, "", len(text) + 1))
    return tokens


def _bare_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
        end += 1
    return end


def _phrase(text: str, start: int) -> tuple[Token, int]:
    close = text.find('"', start + 1)
    if close == -1:
        raise QueryError(f'unclosed quote at column {start + 1}; add the closing "')
    end = close + 1
    prefix = end < len(text) and text[end] == "*"
    if prefix:
        end += 1
    return Token(Kind.PHRASE, " ".join(text[start + 1 : close].split()), start + 1, prefix=prefix), end


def _bare(run: str, column: int) -> list[Token]:
    """A run without spaces or `()"|`: an operator, a comparison, `field:` (+ value), or a word."""
    if run in ("OR", "AND", "NOT"):
        return [Token(Kind[run], run, column)]
    comparison = _COMPARISON.fullmatch(run)
    colon = run.find(":")
    if comparison and (colon == -1 or colon > comparison.start(2)) and _looks_like_a_field(comparison[1]):
        return [Token(Kind.COMPARE, comparison[1], column, op=comparison[2], value=comparison[3])]
    if colon > 0 and run[:colon].isalpha() and run[:colon].lower() not in _URL_SCHEMES:
        name = run[:colon]
        field = Token(Kind.FIELD, name, column)
        value = run[colon + 1 :]
        return [field, Token(Kind.WORD, value, column + colon + 1)] if value else [field]
    return [Token(Kind.WORD, run, column)]


def _looks_like_a_field(name: str) -> bool:
    """`upvotes>=10` and the typo `upvote>=10` are comparisons; `E=mc2` is a word."""
    return bool(difflib.get_close_matches(name.lower(), _ALL_FIELD_NAMES, n=1, cutoff=0.6))


def _example(field: str) -> str:
    examples = {
        "title": "title:diffusion",
        "abstract": 'abstract:"flow matching"',
        "author": 'author:"Yann LeCun"',
        "keyword": "keyword:rlhf",
        "org": "org:nvidia",
        "cat": "cat:cs.CL",
        "id": "id:2401.12345",
        "code": "code:yes",
        "more": "more:123",
        "since": "since:7d or since:2025-01-01",
        "before": "before:2025-06-01",
        "upvotes": "upvotes>=10",
        "stars": "stars>100",
        "comments": "comments>=5",
    }
    return examples.get(field.lower(), "title:diffusion")


# --- grammar ------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._at = 0
        self._depth = 0

    def parse(self) -> Node:
        tree = self._or()
        token = self._peek()
        if token.kind is Kind.CLOSE:
            raise QueryError(f"unmatched ) at column {token.column}; remove it or add a ( before it")
        return tree

    def _peek(self) -> Token:
        return self._tokens[self._at]

    def _next(self) -> Token:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def _or(self) -> Node:
        first = self._peek()
        if first.kind is Kind.OR:
            raise QueryError(f'"{first.text}" at column {first.column} needs a term before it')
        items = [self._and()]
        while self._peek().kind is Kind.OR:
            operator = self._next()
            if self._peek().kind in (Kind.END, Kind.CLOSE, Kind.OR):
                raise QueryError(f'"{operator.text}" at column {operator.column} needs a term after it')
            items.append(self._and())
        return _combine(Or, items)

    def _and(self) -> Node:
        items: list[Node] = []
        while True:
            token = self._peek()
            if token.kind in (Kind.END, Kind.CLOSE, Kind.OR):
                break
            if token.kind is Kind.AND:
                self._next()
                if not items:
                    raise QueryError(f'"AND" at column {token.column} needs a term before it')
                if self._peek().kind in (Kind.END, Kind.CLOSE, Kind.OR, Kind.AND):
                    raise QueryError(f'"AND" at column {token.column} needs a term after it')
                continue
            items.append(self._unary())
        if not items:
            token = self._peek()
            if token.kind is Kind.CLOSE and self._depth == 0:
                raise QueryError(f"unmatched ) at column {token.column}; remove it or add a ( before it")
            if token.kind is Kind.CLOSE:
                raise QueryError(f"empty parentheses at column {token.column}; put terms inside, or remove them")
            raise QueryError('the query is empty; give some words, like: diffusion OR "flow matching" -video')
        return _combine(And, items)

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind is Kind.NOT:
            self._next()
            if self._peek().kind in (Kind.END, Kind.CLOSE, Kind.OR, Kind.AND):
                what = "-" if token.text == "-" else "NOT"
                raise QueryError(f'"{what}" at column {token.column} needs a term after it, like -video')
            item = self._unary()
            return item.item if isinstance(item, Not) else Not(item)
        return self._primary()

    def _primary(self) -> Node:
        token = self._next()
        match token.kind:
            case Kind.OPEN:
                return self._group(token, field=None)
            case Kind.WORD:
                return _term(token, field=None)
            case Kind.PHRASE:
                return _phrase_node(token, field=None)
            case Kind.FIELD:
                return self._field(token)
            case Kind.COMPARE:
                return _compare(token)
        raise QueryError(f'unexpected "{token.text}" at column {token.column}')  # pragma: no cover

    def _group(self, opening: Token, field: TextField | None) -> Node:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise QueryError(f"parentheses nest more than {MAX_DEPTH} deep at column {opening.column}; simplify")
        if self._peek().kind is Kind.CLOSE:
            raise QueryError(f"empty parentheses at column {opening.column}; put terms inside, or remove them")
        inner = self._or()
        closing = self._next()
        if closing.kind is not Kind.CLOSE:
            raise QueryError(f"unclosed parenthesis at column {opening.column}; add the closing )")
        self._depth -= 1
        return inner if field is None else _with_field(inner, field, opening)

    def _field(self, token: Token) -> Node:
        name = token.text.lower()
        known = _FIELDS.get(name)
        value = self._next()
        if known is None and name in _COUNTS:
            if value.kind is not Kind.WORD:
                raise QueryError(
                    f'"{token.text}:" at column {token.column} compares numbers; write it like {_example(name)}'
                )
            return _colon_compare(_COUNTS[name], token, value)
        if known is None:
            raise QueryError(_unknown_field(token))
        if isinstance(known, TextField):
            if value.kind is Kind.OPEN:
                return self._group(value, field=known)
            if value.kind is Kind.PHRASE:
                return _phrase_node(value, field=known)
            return _term(value, field=known)
        if value.kind not in (Kind.WORD, Kind.PHRASE) or value.prefix:
            raise QueryError(f'"{token.text}:" at column {token.column} takes one value, like {_example(name)}')
        if isinstance(known, MatchField):
            return _match(known, value)
        return _date_limit(known, value)


def _combine(kind: type[And] | type[Or], items: list[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _term(token: Token, field: TextField | None) -> Term:
    text = token.text.rstrip("*")
    prefix = text != token.text
    words = WORD_CHARS.findall(text)
    if not words:
        shown = token.text or "(nothing)"
        raise QueryError(
            f'nothing to search for in "{shown}" at column {token.column}; use letters or digits, '
            'like quant* or "flow matching"'
        )
    if prefix and len(words[-1]) < MIN_PREFIX:
        raise QueryError(
            f'"{token.text}" at column {token.column}: a word start needs at least {MIN_PREFIX} letters before '
            "the *, like quant*"
        )
    return Term(text, prefix=prefix, field=field)


def _phrase_node(token: Token, field: TextField | None) -> Phrase:
    words = WORD_CHARS.findall(token.text)
    if not words:
        raise QueryError(
            f'the quotes at column {token.column} hold nothing to search for; put words in them, like "flow matching"'
        )
    if token.prefix and len(words[-1]) < MIN_PREFIX:
        raise QueryError(
            f"the phrase at column {token.column}: a word start needs at least {MIN_PREFIX} letters before the *"
        )
    return Phrase(token.text, prefix=token.prefix, field=field)


def _with_field(node: Node, field: TextField, where: Token) -> Node:
    """`title:(a OR "b c")` → `title:a OR title:"b c"`: the field applies to every word inside."""
    match node:
        case Term() | Phrase():
            if node.field is not None and node.field is not field:
                raise QueryError(
                    f"{field.value}:( … ) at column {where.column} holds a {node.field.value}: term; "
                    "a group takes one field"
                )
            return type(node)(node.text, node.prefix, field)
        case Not(item):
            return Not(_with_field(item, field, where))
        case And(items):
            return And(tuple(_with_field(item, field, where) for item in items))
        case Or(items):
            return Or(tuple(_with_field(item, field, where) for item in items))
    raise QueryError(
        f"{field.value}:( … ) at column {where.column} may hold only words and phrases; "
        "put other filters outside the parentheses"
    )


def _match(field: MatchField, token: Token) -> Match:
    value = token.text.strip()
    if not value:
        raise QueryError(f'"{field.value}:" at column {token.column} needs a value, like {_example(field.value)}')
    if field is MatchField.MORE:
        value = _digest_number(value, token.column)
    elif field is MatchField.ID:
        try:
            value = parse_arxiv_id(value).base
        except InvalidPaperId as error:
            raise QueryError(f"{error} (id: at column {token.column})") from None
    elif field is MatchField.CODE:
        answer = value.lower()
        if answer not in ("yes", "no"):
            raise QueryError(f'code: takes yes or no, not "{value}" (column {token.column})')
        value = answer
    elif field is MatchField.CATEGORY:
        if not _CATEGORY.fullmatch(value):
            raise QueryError(
                f'"{value}" at column {token.column} is not an arXiv category; write it like cat:cs.CL or cat:hep-th'
            )
        value = category_spelling(value)
    return Match(field, value)


def category_spelling(category: str) -> str:
    """arXiv's own spelling of a category typed in any case: the archive in lower case, a two-letter subject
    class in upper case (`cs.CL`, `math.GT`, `astro-ph.GA`), a longer one in lower case (`physics.optics`,
    `cond-mat.mes-hall`). Categories match in any case; this is how a filter shows them."""
    archive, dot, subject = category.partition(".")
    return archive.lower() + dot + (subject.upper() if len(subject) == 2 else subject.lower())


def _digest_number(value: str, column: int) -> str:
    """`more:123` → "123": a digest's number, in ASCII digits whatever digits it was typed in."""
    number = int(value) if value.isdecimal() else 0
    if not 0 < number <= MAX_DIGEST:
        raise QueryError(f'more: takes a digest number, like more:123, not "{value}" (column {column})')
    return str(number)


def _date_limit(bound: Bound, token: Token) -> DateLimit:
    text = token.text.strip().lower()
    named = {"today": 0, "yesterday": 1}
    if text in named:
        return DateLimit(bound, days_ago=named[text])
    relative = _RELATIVE_DAYS.fullmatch(text)
    if relative:
        days = int(relative[1]) * (7 if relative[2] == "w" else 1)
        if days > MAX_DAYS_AGO:
            raise QueryError(
                f'"{token.text}" at column {token.column} reaches back more than {MAX_DAYS_AGO} days (100 years); '
                f"write a date instead, like {bound.value}:2025-01-01"
            )
        return DateLimit(bound, days_ago=days)
    try:
        return DateLimit(bound, day=date.fromisoformat(text))
    except ValueError:
        raise QueryError(
            f'"{token.text}" at column {token.column} is not a date; write {bound.value}:7d, {bound.value}:2w '
            f"or {bound.value}:2025-01-01"
        ) from None


def _compare(token: Token) -> Compare:
    """`upvotes>=10`: a COMPARE token, whose name may still be a typo or a field that takes a colon."""
    name = token.text.lower()
    count = _COUNTS.get(name)
    if count is None and name in _FIELDS:
        raise QueryError(f'"{token.text}" at column {token.column} takes a colon, like {_example(name)}')
    if count is None:
        raise QueryError(_unknown_field(token))
    return _comparison(count, Op(token.op), token.value, f"{token.text}{token.op}", token.column)


def _colon_compare(count: Count, field: Token, value: Token) -> Compare:
    """`upvotes:>50`, `upvotes:50` (=): the colon spelling of a comparison."""
    spelled = _COLON_COMPARISON.fullmatch(value.text)
    assert spelled is not None  # the pattern matches any text
    op = Op(spelled[1] or "=")
    return _comparison(count, op, spelled[2], f"{field.text}:{spelled[1] or ''}", field.column)


def _comparison(count: Count, op: Op, number: str, written: str, column: int) -> Compare:
    # isdecimal, not isdigit: "²" is a digit that int() refuses; any script's decimal digits int() reads
    if not number.isdecimal():
        raise QueryError(f"{written} at column {column} needs a whole number, like {_example(count.value)}")
    value = int(number)
    if value > MAX_COUNT:
        raise QueryError(f"{written}{number} at column {column} is more than any paper has; use at most {MAX_COUNT}")
    return Compare(count, op, value)


def _unknown_field(token: Token) -> str:
    close = difflib.get_close_matches(token.text.lower(), _ALL_FIELD_NAMES, n=1, cutoff=0.6)
    if close:
        return f'unknown field "{token.text}" at column {token.column} — did you mean "{close[0]}"?'
    return (
        f'unknown field "{token.text}" at column {token.column}; the fields are {", ".join(_ALL_FIELD_NAMES)} '
        "(put text with a colon in quotes to search for it)"
    )
