"""What a query probably meant but does not say: `diffusion or "flow matching"` searches for the word "or".

The query is taken as written (its meaning never depends on a guess); these hints are for the place where the
text was typed to show beside the answer: the CLI on stderr, Slack and Discord in the reply.
"""

from __future__ import annotations

from paperboy.errors import QueryError
from paperboy.query.parser import Kind, Token, tokenize

#: what may stand right before an operator: the end of a term
_ENDS_A_TERM = {Kind.WORD, Kind.PHRASE, Kind.CLOSE, Kind.COMPARE}
#: what may stand right after one: the start of a term
_STARTS_A_TERM = {Kind.WORD, Kind.PHRASE, Kind.OPEN, Kind.FIELD, Kind.COMPARE, Kind.NOT}
_ADVICE = {
    "or": 'write OR for papers with either side, or "{word}" in quotes for the word',
    "and": 'words side by side must all match already, so leave it out, or put "{word}" in quotes for the word',
    "not": 'write NOT (or {minus}) to leave out what follows, or "{word}" in quotes for the word',
}


def hints(text: str) -> tuple[str, ...]:
    """One sentence per word of `text` that looks like an operator written in lower case (`or`, `and`, `not`,
    or any case but upper), standing where the operator would: `did you mean OR? "or" at column 11 is searched
    as a word (operators are upper case): …`. Nothing for text that does not parse: its error says more."""
    try:
        tokens = tokenize(text)
    except QueryError:
        return ()
    found = []
    for at, token in enumerate(tokens):
        word = token.text.lower()
        if token.kind is not Kind.WORD or word not in _ADVICE or token.text == word.upper():
            continue
        before = tokens[at - 1] if at else None
        if before is not None and before.kind in (Kind.FIELD, Kind.NOT):
            continue  # a field's value (`title:or`), or a word left out (`-or`)
        if _stands_as_operator(word, before, tokens[at + 1]):
            advice = _ADVICE[word].format(word=token.text, minus=_minus(tokens[at + 1]))
            found.append(
                f'did you mean {word.upper()}? "{token.text}" at column {token.column} is searched as a word '
                f"(operators are upper case): {advice}"
            )
    return tuple(found)


def _stands_as_operator(word: str, before: Token | None, after: Token) -> bool:
    """`a or b`, `a and b`: a term on each side; `not b`: a term after."""
    if after.kind not in _STARTS_A_TERM:
        return False
    return word == "not" or (before is not None and before.kind in _ENDS_A_TERM)


def _minus(after: Token) -> str:
    """NOT's short form, shown with the word `not` stands before (`-survey`), when that is a plain word."""
    return f"-{after.text}" if after.kind is Kind.WORD else "a - before it"
