"""arXiv identifiers: recognise every form people paste, and reduce it to the dedup key (the id without version).

Forms: `2401.12345`, `2401.12345v2`, `1412.6980` (4-digit numbers from 0704 to 1412; 5 digits from 1501 on),
`hep-th/9901001`, `math.GT/0309136v1` (before April 2007), with an optional `arXiv:` prefix, or inside an
arxiv.org or huggingface.co URL. Digits are ASCII only: an id is a database key, compared as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperboy.errors import InvalidPaperId

_MONTH = r"(?:0[1-9]|1[0-2])"
#: arXiv's new scheme began in April 2007 with 4-digit numbers and went to 5 digits in January 2015
_FOUR_DIGITS = rf"(?:07(?:0[4-9]|1[0-2])|(?:0[89]|1[0-4]){_MONTH})\.[0-9]{{4}}"
_FIVE_DIGITS = rf"(?:1[5-9]|[2-9][0-9]){_MONTH}\.[0-9]{{5}}"
_NEW_STYLE = rf"(?P<new>{_FOUR_DIGITS}|{_FIVE_DIGITS})"
_OLD_STYLE = rf"(?P<old>[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{{2}})?/[0-9]{{2}}{_MONTH}[0-9]{{3}})"
_ID = re.compile(rf"(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>[1-9][0-9]*))?")
_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf)/|huggingface\.co/papers/)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ArxivId:
    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any usual spelling of an arXiv id; raise `InvalidPaperId` with a helpful message otherwise."""
    candidate = text.strip()
    candidate = _URL_PREFIX.sub("", candidate)
    if candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:]
    candidate = candidate.removesuffix(".pdf").rstrip("/")
    match = _ID.fullmatch(candidate)
    if match is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise InvalidPaperId(
            f'"{shown}" is not an arXiv id; use a form like 2401.12345, 2401.12345v2 or hep-th/9901001'
        )
    version = match.group("version")
    return ArxivId(base=match.group("new") or match.group("old"), version=int(version) if version else None)
