"""The query language's parser: what each piece of syntax means, and the exact message for what it refuses."""

from __future__ import annotations

import sys
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperboy.errors import QueryError
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
from paperboy.query.parser import MAX_LENGTH, MAX_TERMS, parse
from tests.query.strategies import any_character, query_texts

T = Term

VALID: list[tuple[str, Node]] = [
    ("diffusion", T("diffusion")),
    ("diffusion transformer", And((T("diffusion"), T("transformer")))),
    ("diffusion AND transformer", And((T("diffusion"), T("transformer")))),
    ('"flow matching"', Phrase("flow matching")),
    ('"  flow\n matching "', Phrase("flow matching")),
    ("a OR b", Or((T("a"), T("b")))),
    ("a | b", Or((T("a"), T("b")))),
    ("a|b", Or((T("a"), T("b")))),
    ("a OR b OR c", Or((T("a"), T("b"), T("c")))),
    ("a b OR c", Or((And((T("a"), T("b"))), T("c")))),
    ("a (b OR c)", And((T("a"), Or((T("b"), T("c")))))),
    ("-video", Not(T("video"))),
    ("NOT video", Not(T("video"))),
    ("NOT NOT video", T("video")),
    ("diffusion -video", And((T("diffusion"), Not(T("video"))))),
    ('(llm OR "language model") -survey', And((Or((T("llm"), Phrase("language model"))), Not(T("survey"))))),
    ("-(a OR b)", Not(Or((T("a"), T("b"))))),
    ("((a))", T("a")),
    ("quant*", T("quant", prefix=True)),
    ('"flow match"*', Phrase("flow match", prefix=True)),
    ("title:diffusion", T("diffusion", field=TextField.TITLE)),
    ("TITLE:diffusion", T("diffusion", field=TextField.TITLE)),
    ("abstract:quant*", T("quant", prefix=True, field=TextField.ABSTRACT)),
    ('author:"Yann LeCun"', Phrase("Yann LeCun", field=TextField.AUTHOR)),
    ("keyword:rlhf", T("rlhf", field=TextField.KEYWORD)),
    (
        'title:(diffusion OR "flow matching")',
        Or((T("diffusion", field=TextField.TITLE), Phrase("flow matching", field=TextField.TITLE))),
    ),
    ("org:nvidia", Match(MatchField.ORG, "nvidia")),
    ('org:"Google DeepMind"', Match(MatchField.ORG, "Google DeepMind")),
    ("cat:cs.CL", Match(MatchField.CATEGORY, "cs.CL")),
    ("cat:hep-th", Match(MatchField.CATEGORY, "hep-th")),
    ("cat:cs.cl", Match(MatchField.CATEGORY, "cs.CL")),
    ("CAT:CS.CL", Match(MatchField.CATEGORY, "cs.CL")),
    ("cat:Math.gt", Match(MatchField.CATEGORY, "math.GT")),
    ("cat:physics.Optics", Match(MatchField.CATEGORY, "physics.optics")),
    ("cat:COND-MAT.MES-HALL", Match(MatchField.CATEGORY, "cond-mat.mes-hall")),
    ("cat:HEP-TH", Match(MatchField.CATEGORY, "hep-th")),
    ("id:2401.12345", Match(MatchField.ID, "2401.12345")),
    ("id:2401.12345v3", Match(MatchField.ID, "2401.12345")),
    ("id:hep-th/9901001", Match(MatchField.ID, "hep-th/9901001")),
    ("code:yes", Match(MatchField.CODE, "yes")),
    ("code:NO", Match(MatchField.CODE, "no")),
    ("upvotes>=10", Compare(Count.UPVOTES, Op.GE, 10)),
    ("stars>100", Compare(Count.STARS, Op.GT, 100)),
    ("comments<3", Compare(Count.COMMENTS, Op.LT, 3)),
    ("upvotes<=5", Compare(Count.UPVOTES, Op.LE, 5)),
    ("upvotes=0", Compare(Count.UPVOTES, Op.EQ, 0)),
    ("upvotes>=999999999", Compare(Count.UPVOTES, Op.GE, MAX_COUNT)),
    ("upvotes>=\u0663", Compare(Count.UPVOTES, Op.GE, 3)),
    ("upvotes>=007", Compare(Count.UPVOTES, Op.GE, 7)),
    ("upvotes:>50", Compare(Count.UPVOTES, Op.GT, 50)),
    ("stars:>=100", Compare(Count.STARS, Op.GE, 100)),
    ("comments:<3", Compare(Count.COMMENTS, Op.LT, 3)),
    ("Upvotes:<=5", Compare(Count.UPVOTES, Op.LE, 5)),
    ("upvotes:=5", Compare(Count.UPVOTES, Op.EQ, 5)),
    ("upvotes:50", Compare(Count.UPVOTES, Op.EQ, 50)),
    ("-upvotes:>50", Not(Compare(Count.UPVOTES, Op.GT, 50))),
    ("more:123", Match(MatchField.MORE, "123")),
    ("more:00123", Match(MatchField.MORE, "123")),
    ('more:"123"', Match(MatchField.MORE, "123")),
    ("more:\u0661\u0662\u0663", Match(MatchField.MORE, "123")),
    (f"more:{MAX_DIGEST}", Match(MatchField.MORE, str(MAX_DIGEST))),
    ("since:7d", DateLimit(Bound.SINCE, days_ago=7)),
    ("since:2w", DateLimit(Bound.SINCE, days_ago=14)),
    ("since:today", DateLimit(Bound.SINCE, days_ago=0)),
    ("since:yesterday", DateLimit(Bound.SINCE, days_ago=1)),
    ("before:3W", DateLimit(Bound.BEFORE, days_ago=21)),
    ("since:\u0667d", DateLimit(Bound.SINCE, days_ago=7)),
    ("since:5217w", DateLimit(Bound.SINCE, days_ago=36519)),
    (f"since:{MAX_DAYS_AGO}d", DateLimit(Bound.SINCE, days_ago=MAX_DAYS_AGO)),
    ("since:2025-01-01", DateLimit(Bound.SINCE, day=date(2025, 1, 1))),
    ("before:2025-06-01", DateLimit(Bound.BEFORE, day=date(2025, 6, 1))),
    ("GPT-4", T("GPT-4")),
    ("state-of-the-art", T("state-of-the-art")),
    ("E=mc2", T("E=mc2")),
    ("https://arxiv.org/abs/2401.12345 x", And((T("https://arxiv.org/abs/2401.12345"), T("x")))),
    ("2401.12345", Match(MatchField.ID, "2401.12345")),
    (" arXiv:2401.12345v2 ", Match(MatchField.ID, "2401.12345")),
    ("https://arxiv.org/abs/2401.12345", Match(MatchField.ID, "2401.12345")),
    ("https://arxiv.org/pdf/2401.12345v3.pdf", Match(MatchField.ID, "2401.12345")),
    ("https://huggingface.co/papers/2401.12345", Match(MatchField.ID, "2401.12345")),
    ("hep-th/9901001", Match(MatchField.ID, "hep-th/9901001")),
    ("2401.12345 diffusion", And((T("2401.12345"), T("diffusion")))),
    ('"2401.12345"', Phrase("2401.12345")),
    ("-2401.12345", Not(T("2401.12345"))),
    ("2024.12345", T("2024.12345")),
    ("or and not", And((T("or"), T("and"), T("not")))),
    ('"OR"', Phrase("OR")),
    ("NEAR(a b)", And((T("NEAR"), T("a"), T("b")))),
    ("^flow", T("^flow")),
    ("naïve Bayes 🚀go", And((T("naïve"), T("Bayes"), T("🚀go")))),
    ("--x", T("--x")),
]

INVALID: list[tuple[str, str]] = [
    ("", 'the query is empty; give some words, like: diffusion OR "flow matching" -video'),
    ("   ", 'the query is empty; give some words, like: diffusion OR "flow matching" -video'),
    ('diffusion "flow', 'unclosed quote at column 11; add the closing "'),
    ("titel:diffusion", 'unknown field "titel" at column 1 — did you mean "title"?'),
    ("upvote>=3", 'unknown field "upvote" at column 1 — did you mean "upvotes"?'),
    (
        "foo:bar",
        'unknown field "foo" at column 1; the fields are title, abstract, author, keyword, org, cat, id, code, '
        "more, since, before, upvotes, stars, comments (put text with a colon in quotes to search for it)",
    ),
    ("OR a", '"OR" at column 1 needs a term before it'),
    ("| a", '"|" at column 1 needs a term before it'),
    ("a OR", '"OR" at column 3 needs a term after it'),
    ("a OR OR b", '"OR" at column 3 needs a term after it'),
    ("AND a", '"AND" at column 1 needs a term before it'),
    ("a AND", '"AND" at column 3 needs a term after it'),
    ("a AND AND b", '"AND" at column 3 needs a term after it'),
    ("a NOT", '"NOT" at column 3 needs a term after it, like -video'),
    ("a - b", 'nothing to search for in "-" at column 3; use letters or digits, like quant* or "flow matching"'),
    ("*", 'nothing to search for in "*" at column 1; use letters or digits, like quant* or "flow matching"'),
    ("^", 'nothing to search for in "^" at column 1; use letters or digits, like quant* or "flow matching"'),
    (":", 'nothing to search for in ":" at column 1; use letters or digits, like quant* or "flow matching"'),
    ("🚀", 'nothing to search for in "🚀" at column 1; use letters or digits, like quant* or "flow matching"'),
    ('""', 'the quotes at column 1 hold nothing to search for; put words in them, like "flow matching"'),
    ("qu*", '"qu*" at column 1: a word start needs at least 3 letters before the *, like quant*'),
    ("()", "empty parentheses at column 1; put terms inside, or remove them"),
    ("(a", "unclosed parenthesis at column 1; add the closing )"),
    ("a)", "unmatched ) at column 2; remove it or add a ( before it"),
    (")", "unmatched ) at column 1; remove it or add a ( before it"),
    ("title:", '"title:" at column 1 needs a value after the colon, like title:diffusion'),
    ("title: diffusion", '"title:" at column 1 needs a value after the colon, like title:diffusion'),
    ('upvotes:"10"', '"upvotes:" at column 1 compares numbers; write it like upvotes>=10'),
    ("upvotes:(10)", '"upvotes:" at column 1 compares numbers; write it like upvotes>=10'),
    ("upvotes>=ten", "upvotes>= at column 1 needs a whole number, like upvotes>=10"),
    ("upvotes:>ten", "upvotes:> at column 1 needs a whole number, like upvotes>=10"),
    ("upvotes:>=", "upvotes:>= at column 1 needs a whole number, like upvotes>=10"),
    ("stars>-1", "stars> at column 1 needs a whole number, like stars>100"),
    ("upvotes>=\u00b2", "upvotes>= at column 1 needs a whole number, like upvotes>=10"),
    ("upvotes:\u00b2", "upvotes: at column 1 needs a whole number, like upvotes>=10"),
    ("upvotes>= 5", "upvotes>= at column 1 needs a whole number, like upvotes>=10"),
    ("upvotes>=1_000", "upvotes>= at column 1 needs a whole number, like upvotes>=10"),
    ("stars>1000000000", "stars>1000000000 at column 1 is more than any paper has; use at most 999999999"),
    ("since>5", '"since" at column 1 takes a colon, like since:7d or since:2025-01-01'),
    ("more:0", 'more: takes a digest number, like more:123, not "0" (column 6)'),
    ("more:abc", 'more: takes a digest number, like more:123, not "abc" (column 6)'),
    ("more:-1", 'more: takes a digest number, like more:123, not "-1" (column 6)'),
    ("more:\u00b2", 'more: takes a digest number, like more:123, not "\u00b2" (column 6)'),
    (f"more:{MAX_DIGEST + 1}", f'more: takes a digest number, like more:123, not "{MAX_DIGEST + 1}" (column 6)'),
    ("more:(1 2)", '"more:" at column 1 takes one value, like more:123'),
    (
        "id:2401.1",
        '"2401.1" is not an arXiv id; use a form like 2401.12345, 2401.12345v2 or hep-th/9901001 (id: at column 4)',
    ),
    ("code:maybe", 'code: takes yes or no, not "maybe" (column 6)'),
    ("cat:cs.CL.x", '"cs.CL.x" at column 5 is not an arXiv category; write it like cat:cs.CL or cat:hep-th'),
    (
        "since:20000w",
        '"20000w" at column 7 reaches back more than 36525 days (100 years); write a date instead, like '
        "since:2025-01-01",
    ),
    (
        "before:36526d",
        '"36526d" at column 8 reaches back more than 36525 days (100 years); write a date instead, like '
        "before:2025-01-01",
    ),
    (
        "since:" + "9" * 400 + "d",
        f'"{"9" * 400}d" at column 7 reaches back more than 36525 days (100 years); write a date instead, like '
        "since:2025-01-01",
    ),
    ("since:soon", '"soon" at column 7 is not a date; write since:7d, since:2w or since:2025-01-01'),
    ("before:2025-13-01", '"2025-13-01" at column 8 is not a date; write before:7d, before:2w or before:2025-01-01'),
    ("org:(a b)", '"org:" at column 1 takes one value, like org:nvidia'),
    (
        "title:(a org:x)",
        "title:( … ) at column 7 may hold only words and phrases; put other filters outside the parentheses",
    ),
    ("title:(abstract:a)", "title:( … ) at column 7 holds a abstract: term; a group takes one field"),
    (
        "'; DROP TABLE papers; --",
        'nothing to search for in "\';" at column 1; use letters or digits, like quant* or "flow matching"',
    ),
    ("x" * (MAX_LENGTH + 1), f"the query is {MAX_LENGTH + 1} characters long; keep it under {MAX_LENGTH}"),
    (
        "|".join(["x" * 165] * 3),
        "the query is 503 characters long written out in full (" + "x" * 37 + "...); keep it under 500",
    ),
    (
        "title:(" + "y" * 245 + " " + "z" * 245 + ")",
        "the query is 503 characters long written out in full (title:" + "y" * 31 + "...); keep it under 500",
    ),
    (" ".join(["w"] * (MAX_TERMS + 1)), f"the query has {MAX_TERMS + 1} terms; keep it to {MAX_TERMS} or fewer"),
    ("(" * 11 + "a" + ")" * 11, "parentheses nest more than 10 deep at column 11; simplify"),
    ("(" * 10_000 + "a" + ")" * 10_000, "the query is 20001 characters long; keep it under 500"),
    (
        "org:\udcff",
        "the query is not valid UTF-8 at column 5 (an undecodable byte or a lone surrogate); retype it",
    ),
    (
        '"flow \ud800matching"',
        "the query is not valid UTF-8 at column 7 (an undecodable byte or a lone surrogate); retype it",
    ),
    ("a\x00b", "the query holds the control character U+0000 at column 2; remove it"),
    ("title:\x1b[31mred", "the query holds the control character U+001B at column 7; remove it"),
    ('"a\x7f"', "the query holds the control character U+007F at column 3; remove it"),
    ("a \x9b", "the query holds the control character U+009B at column 3; remove it"),
]


@pytest.mark.parametrize(("text", "tree"), VALID, ids=[text for text, _ in VALID])
def test_parses(text: str, tree: Node) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[text[:40] for text, _ in INVALID])
def test_refuses_with_a_message_saying_where_and_what(text: str, message: str) -> None:
    with pytest.raises(QueryError) as error:
        parse(text)
    assert str(error.value) == message


def test_every_control_character_but_spaces_is_refused() -> None:
    controls = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"]
    for char in controls:
        if char.isspace():
            assert parse(f"a{char}b") == And((T("a"), T("b")))
        else:
            with pytest.raises(QueryError, match="control character"):
                parse(f"a{char}b")


def parses_to_a_stable_tree_or_refuses(text: str) -> None:
    """What the parser accepts, it writes back as text that parses to the same tree and writes back the same;
    anything else is a one-line QueryError (any other exception fails the test)."""
    try:
        tree = parse(text)
    except QueryError as error:
        assert str(error) and "\n" not in str(error)
        return
    canonical = render(tree)
    assert parse(canonical) == tree
    assert render(parse(canonical)) == canonical


@given(st.text(any_character, max_size=MAX_LENGTH + 20))
def test_any_text_parses_to_a_stable_tree_or_gets_a_query_error(text: str) -> None:
    parses_to_a_stable_tree_or_refuses(text)


@settings(max_examples=1000)
@given(query_texts)
def test_any_query_like_text_parses_to_a_stable_tree_or_gets_a_query_error(text: str) -> None:
    parses_to_a_stable_tree_or_refuses(text)


@given(st.text(alphabet='ab ()"|-*:<>=ORANDNOT', max_size=60))
def test_any_operator_soup_parses_to_a_stable_tree_or_gets_a_query_error(text: str) -> None:
    parses_to_a_stable_tree_or_refuses(text)
