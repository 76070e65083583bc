"""Atom feeds: a channel's digests for feed readers, at `/feeds/TOKEN.atom` on the health server.

**What a feed holds.** The papers of the channel's last `FEED_DIGESTS` digests that were sent, from the delivery
ledger: the newest digest first, each digest's papers in its own order, with the links the digest gives
(`links.py`). Not what the next digest would send (`/papers preview`): a feed reader keeps every entry it has
seen and shows what is new since it last looked, so entries must stay put, with ids and times that never
change. A preview's papers come and go as upvotes change, and vanish once the digest is sent; the ledger's
papers are what the channel was given, when it was given them, each once. Papers a digest left out ("and N
more") are no entries, as they are no items of the digest. Ten digests are two weeks of weekday digests: a
reader that looks once a week misses nothing, and the feed stays small.

**Ids and times.** The feed's id is a `urn:uuid` made when its first token is, and kept when the token is
replaced; an entry's id is derived from the feed's id and the paper's, so it is the same at every request.
An entry is updated and published when its digest was sent; the feed is updated with its newest entry.

**Secrets.** A token is `secrets.token_urlsafe(32)` (256 random bits), per subscription. It never appears in
a log line or an error: `FeedAddress` and the store's `Feed` keep it out of their reprs, the health server
writes no access log, and the log redactor masks `/feeds/….atom` paths (`log.py`). The feed itself carries
no secret: no `rel="self"` link (RFC 4287 recommends one, but it would be the token), and no channel id (a
webhook channel's id is its secret URL); its title is the channel's filter.
"""

from __future__ import annotations

import html
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator

from paperboy.bylines import short_authors
from paperboy.digest import one_line_summary
from paperboy.links import paper_links
from paperboy.models import ChannelRef, Paper
from paperboy.store import Feed, Store

#: how many of a channel's last sent digests its feed lists
FEED_DIGESTS = 10
#: a paper's authors given as Atom authors (a paper may have hundreds; the content names the first ones)
MOST_AUTHORS = 10
#: the path a feed is served at, on the health server (`health.py`); tokens are URL-safe base64
FEED_ROUTE = "/feeds/{token:[A-Za-z0-9_-]{1,100}}.atom"
#: the Atom media type the feed is served as
ATOM_TYPE = "application/atom+xml"
#: where a feed's own `rel="alternate"` link points: the papers every feed is made of
DAILY_PAPERS = "https://huggingface.co/papers"


@dataclass(frozen=True, slots=True)
class FeedAddress:
    """Where a channel's feed is read. The token never shows in a repr (nor, through it, in a log line)."""

    token: str = field(repr=False)
    #: the public address of paperboy's health server (`feeds.base_url`); empty when not set
    base_url: str

    @property
    def path(self) -> str:
        return f"/feeds/{self.token}.atom"

    @property
    def url(self) -> str | None:
        """The whole URL, or None when paperboy does not know its public address."""
        return self.base_url.rstrip("/") + self.path if self.base_url else None

    def describe(
        self, revoke_with: str, *, link: Callable[[str], str] = str, literal: Callable[[str], str] = str
    ) -> str:
        """What `/papers feed show` and `paperboy feed` say: the URL, who may read it, and the command that
        replaces it (`revoke_with`); or, without `feeds.base_url`, the path and what the operator should set.
        Each platform marks up the URL (`link`) and the path and setting names (`literal`) its own way; the
        rest of the text has no markup characters, so it needs no escaping (which would break the URL)."""
        if self.url is None:
            return (
                f"This channel's Atom feed is at {literal(self.path)} on paperboy's web server, but paperboy does "
                f"not know that server's public address: its operator should set {literal('feeds.base_url')} (and "
                f"{literal('health.port')}, which serves it)."
            )
        return (
            f"This channel's Atom feed: {link(self.url)}\nAnyone with this address can read the channel's digests "
            f"in a feed reader: keep it to the channel. If it gets out, {revoke_with} gives the feed a new address."
        )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_feed_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


async def feed_address(store: Store, ref: ChannelRef, base_url: str, now: datetime) -> FeedAddress | None:
    """The channel's feed address, made on first asking; None when the channel is not subscribed."""
    feed = await store.feeds.issue(ref, new_token(), new_feed_id(), now)
    return FeedAddress(feed.token, base_url) if feed else None


async def replace_feed_address(store: Store, ref: ChannelRef, base_url: str, now: datetime) -> FeedAddress | None:
    """A new address for the channel's feed: the old one answers 404 from now on. None when not subscribed."""
    feed = await store.feeds.replace_token(ref, new_token(), new_feed_id(), now)
    return FeedAddress(feed.token, base_url) if feed else None


async def atom_feed(store: Store, token: str) -> bytes | None:
    """The Atom document of the feed this token opens; None for a token never issued, or revoked."""
    feed = await store.feeds.find(token)
    if feed is None:
        return None
    subscription = await store.subscriptions.get(feed.ref)
    sent = await store.ledger.recently_sent(feed.ref, FEED_DIGESTS)
    papers = {paper.id: paper for paper in await store.papers.get_many([paper_id for _, _, paper_id in sent])}
    title = f"paperboy: {subscription.filter}" if subscription and subscription.filter else "paperboy: new papers"
    generator = _feed(feed, title, updated=sent[0][1] if sent else feed.created_at)
    for _, sent_at, paper_id in sent:
        if paper_id in papers:  # a paper removed from the database since is left out
            _entry(generator, feed, papers[paper_id], sent_at)
    document: bytes = generator.atom_str(pretty=True)
    return document


def _feed(feed: Feed, title: str, updated: datetime) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(feed.feed_id)
    generator.title(title)
    generator.subtitle("The papers of this channel's paperboy digests, newest digest first.")
    generator.author({"name": "paperboy"})  # the entries' own authors may be unknown
    generator.link(href=DAILY_PAPERS, rel="alternate")
    generator.updated(updated)
    generator.generator("paperboy")
    return generator


def _entry(generator: FeedGenerator, feed: Feed, paper: Paper, sent_at: datetime) -> None:
    entry = generator.add_entry(order="append")  # feedgen puts new entries first unless told
    entry.id(f"urn:uuid:{uuid.uuid5(uuid.UUID(feed.feed_id.removeprefix('urn:uuid:')), paper.id)}")
    entry.title(paper.title)
    entry.updated(sent_at)
    entry.published(sent_at)
    links = paper_links(paper)  # the Hugging Face page first: the entry's own page
    attributes = [("alternate" if n == 0 else "related", link.label) for n, link in enumerate(links)]
    for (rel, title), link in zip(attributes, links, strict=True):
        entry.link(href=link.url, rel=rel, title=title)
    entry.register_extension(_LinkAttributes.NAME, _LinkAttributes, atom=True, rss=False)
    getattr(entry, _LinkAttributes.NAME).attributes = attributes
    if paper.authors:
        entry.author([{"name": name} for name in paper.authors[:MOST_AUTHORS]])
    entry.summary(one_line_summary(paper))
    entry.content(_content(paper), type="html")


class _LinkAttributes(BaseEntryExtension):  # type: ignore[misc]  # feedgen has no type hints
    """Puts back the `rel` and `title` of an entry's links, which feedgen 1.0.0 leaves out, writing each link's
    `href` alone (lkiesow/python-feedgen#135): without them every link would be an "alternate", which Atom
    allows once per entry. Harmless once feedgen writes them itself: the same values are set again."""

    NAME = "paperboy_links"

    def __init__(self) -> None:
        self.attributes: list[tuple[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        elements = [element for element in entry if str(element.tag).rpartition("}")[2] == "link"]
        for element, (rel, title) in zip(elements, self.attributes, strict=True):
            element.set("rel", rel)
            element.set("title", title)
        return entry


def _content(paper: Paper) -> str:
    """The entry's body as a feed reader shows it: byline and upvotes, the abstract, and the digest's links."""
    byline = html.escape(short_authors(paper.authors))
    links = " · ".join(f'<a href="{html.escape(k.url)}">{html.escape(k.label)}</a>' for k in paper_links(paper))
    abstract = html.escape(paper.abstract or one_line_summary(paper))
    return f"<p>{byline} · ▲ {paper.upvotes or 0}</p><p>{abstract}</p><p>{links}</p>"
