"""Loading a page of hits back from the database, in the index's order, with highlighted titles and snippets.

One loader per document type reads the page's objects of that type in one or two queries and keeps
those the user may see now (the index may be behind a visibility change); snippets are cut from the
database's text.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from markupsafe import Markup
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.library.models import Resource, ResourceVersion
from cop.search.index import plain_text
from cop.search.query import TYPE_LABELS, _terms_of


@dataclass
class Hit:
    type: str
    id: int
    obj: object
    title: Markup
    snippet: Markup
    post: Post | None = None  # for a thread: the post that matched best

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    from whoosh.lang.porter import stem

    return stem(word)


def _best_post(posts: list[tuple[int, str]], terms: set[str]) -> tuple[int, str] | None:
    """Of a thread's visible posts as (id, text), the one containing the most of the query's terms (the
    first on a tie).

    Only the words that could stem to a term are stemmed (cached): those that start with the term less its
    last two letters (the Porter stemmer changes at most that much of a word's start: "ability" -> "abil",
    "happy" -> "happi"), found by a regular expression after a substring test. A page of thread hits holds
    a few hundred posts, and stemming every word of each was most of a search's time in Python.
    """
    patterns = [(term, start, _words_starting(start)) for term in terms for start in [_term_start(term)]]
    best: tuple[int, str] | None = None
    best_score = 0
    for post in posts:
        text = post[1].lower()
        score = sum(
            1
            for term, start, words in patterns
            if start in text and any(_stem(word) == term for word in words.findall(text))
        )
        if score > best_score:
            best, best_score = post, score
    return best


def _term_start(term: str) -> str:
    """What every word that stems to ``term`` starts with: the term less its last two letters (one at least)."""
    return term[: max(1, len(term) - 2)]


def _words_starting(start: str) -> re.Pattern[str]:
    """The body analyzer's tokens that begin with ``start`` (``re`` keeps the compiled patterns)."""
    return re.compile(r"(?<![\w*.])" + re.escape(start) + r"[\w*]*(?:\.?[\w*]+)*")


def _highlight(hit, fieldname, text, fallback="") -> Markup:
    try:
        marked = hit.highlight(fieldname, text) if text else ""
    except Exception:  # a snippet is decoration: never fail the page for it
        marked = ""
    if marked:
        return Markup(marked)  # HtmlFormatter escapes the text around each <mark>
    return Markup.escape(fallback[:240] + ("…" if len(fallback) > 240 else ""))


@dataclass
class _Source:
    """A hit's object as loaded now, and what its snippet is cut from."""

    obj: object
    body: str = ""  # the text a snippet is cut from
    post: Post | None = None  # for a thread: the post that matched best (linked from the hit)


_Content = TypeVar("_Content", Thread, Resource)


def _live(model: type[_Content], ids, readable) -> dict[int, _Content]:
    """``model``'s rows among ``ids``, not deleted, in a ``readable`` community, by id (tags and author not
    loaded: a hit shows neither; of its community, only the name)."""
    return {
        row.id: row
        for row in db.session.scalars(
            select(model)
            .where(model.id.in_(ids), model.is_deleted.is_(False))
            .options(
                lazyload(model.tags),
                lazyload(model.author),
                joinedload(model.community).load_only(Community.id, Community.slug, Community.name),
            )
        )
        if row.community_id in readable
    }


def _load_threads(user, ids, readable, terms) -> dict[int, _Source]:
    """Live threads in ``readable`` communities; a thread's snippet comes from its best visible post.

    A hit shows its thread's kind, status and community (not its tags or author). The text of the
    visible posts that may hold a term (that contain the start of one: ``_best_post``, tested by the
    database) and of each opening post is read, to pick the best one and cut its snippet; then the
    shown posts (with their authors, named in the hit) in one query.
    """
    threads = _live(Thread, ids, readable)
    shown = (Post.is_deleted.is_(False), Post.is_hidden.is_(False))
    # Only the posts' text (columns, not objects): one post per thread is shown.
    texts: dict[int, list[tuple[int, str]]] = {}

    def read(*where: ColumnElement[bool]) -> None:
        for post_id, thread_id, body_html in db.session.execute(
            select(Post.id, Post.thread_id, Post.body_html).where(*where, *shown).order_by(Post.thread_id, Post.path)
        ):
            texts.setdefault(thread_id, []).append((post_id, plain_text(body_html)))

    if threads:
        openings = [t.opening_post_id for t in threads.values() if t.opening_post_id is not None]
        starts = [_term_start(term) for term in terms]
        read(
            Post.thread_id.in_(list(threads)),
            or_(Post.id.in_(openings), *(Post.body_html.icontains(start, autoescape=True) for start in starts)),
        )
        if missing := [thread_id for thread_id in threads if thread_id not in texts]:  # opening post hidden
            read(Post.thread_id.in_(missing))
    chosen: dict[int, tuple[int | None, str]] = {}  # thread id -> (best post id, snippet text)
    for thread_id in threads:
        candidates = texts.get(thread_id, [])
        best = _best_post(candidates, terms) or (candidates[0] if candidates else None)
        chosen[thread_id] = (best[0], best[1]) if best else (None, "")
    best_ids = [post_id for post_id, _text in chosen.values() if post_id is not None]
    posts = (
        {
            post.id: post
            for post in db.session.scalars(
                select(Post)
                .where(Post.id.in_(best_ids), *shown)
                .options(
                    load_only(Post.id, Post.thread_id, Post.author_id),
                    joinedload(Post.author).load_only(User.id, User.handle, User.display_name),
                )
            )
        }
        if best_ids
        else {}
    )
    return {
        thread_id: _Source(thread, chosen[thread_id][1], posts.get(chosen[thread_id][0] or 0))
        for thread_id, thread in threads.items()
    }


def _load_resources(user, ids, readable, terms) -> dict[int, _Source]:
    """Live resources in ``readable`` communities; the snippet from the description and latest version's text."""
    resources = _live(Resource, ids, readable)
    texts: dict[int, str] = {}
    rows = db.session.execute(
        select(
            ResourceVersion.resource_id, ResourceVersion.body_html, func.substr(ResourceVersion.text_content, 1, 50_000)
        )
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(ResourceVersion.resource_id.in_(list(resources)), ResourceVersion.number == Resource.latest_version)
    )
    for resource_id, body, text in rows:
        texts[resource_id] = plain_text(body) if body else text or ""
    return {
        i: _Source(r, "\n\n".join(filter(None, [plain_text(r.description_html), texts.get(i, "")])))
        for i, r in resources.items()
    }


def _load_communities(user, ids, readable, terms) -> dict[int, _Source]:
    """Communities ``user`` may know of (``permissions.listed_communities``); the snippet from the domain."""
    return {
        c.id: _Source(c, c.domain)
        for c in db.session.scalars(permissions.listed_communities(user).where(Community.id.in_(ids)))
    }


def _load_people(user, ids, readable, terms) -> dict[int, _Source]:
    """Enabled accounts; the snippet from role, department, location and bio."""
    return {
        u.id: _Source(u, "\n".join(filter(None, [u.title, u.department, u.location, plain_text(u.bio_html)])))
        for u in db.session.scalars(select(User).where(User.id.in_(ids), User.is_disabled.is_(False)))
    }


LOADERS = {"thread": _load_threads, "resource": _load_resources, "community": _load_communities, "person": _load_people}


def _load_hits(user, results: list, q, readable: frozenset) -> list[Hit]:
    """The page's hits as database objects in the index's order (a few queries per type, not one per hit).

    ``results``: the engine's hits (``cop.search.engine.EngineHit``); ``q``: the parsed query.
    ``readable``: the communities the user may read, read in this request (every hit is checked again).
    Each hit's highlighted title and snippet are cut on every search.
    """
    keys = [(hit.doc_type, hit.doc_id) for hit in results]
    terms = _terms_of(q)
    by_type: dict[str, list[int]] = {}
    for doc_type, doc_id in keys:
        by_type.setdefault(doc_type, []).append(doc_id)
    sources = {doc_type: LOADERS[doc_type](user, ids, readable, terms) for doc_type, ids in by_type.items()}
    hits = []
    for hit, key in zip(results, keys):
        source = sources[key[0]].get(key[1])
        if source is None:
            continue  # deleted since it was indexed, or no longer visible
        title = _highlight(hit, "title", hit.title, hit.title)
        snippet = _highlight(hit, "body", source.body, source.body)
        hits.append(Hit(key[0], key[1], source.obj, title, snippet, source.post))
    return hits
