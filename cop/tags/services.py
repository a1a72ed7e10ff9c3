"""Tag services: the tag page, popular tags, suggestions, watching, and the admin's rename and merge.

Every count a non-administrator sees is computed from the same filtered
queries as the items it counts: threads and resources only from
``permissions.visible_communities(user)``, communities only from
``permissions.listed_communities(user)``, people only when enabled. A tag
whose every use is hidden from the viewer reads as unknown (404), and is never
suggested, so a private community's vocabulary does not leak either.
"""

import functools
import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import g, has_app_context
from flask_sqlalchemy.pagination import Pagination
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import (
    Integer,
    Row,
    Select,
    Subquery,
    Table,
    UnaryExpression,
    bindparam,
    delete,
    event,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload
from sqlalchemy.sql.base import ExecutableOption

from cop import permissions
from cop.accounts.models import User, user_expertise
from cop.admin import audit
from cop.communities.models import Community, community_domain_tags
from cop.discussions.models import Thread, thread_tags
from cop.errors import DomainError
from cop.extensions import db
from cop.library.models import Resource, resource_tags
from cop.oversight import voice
from cop.search import outbox
from cop.tags import evidence
from cop.tags.models import Tag, TagWatch, normalize_tag

SECTION_LIMIT = 10
COMMUNITY_LIMIT = 20  # per-community links under a section; a popular tag is used in hundreds
SUGGEST_LIMIT = 10

# Every table that points at a tag, with the column naming what is tagged: a merge re-points them all.
ASSOCIATIONS = (
    (thread_tags, "thread_id"),
    (resource_tags, "resource_id"),
    (user_expertise, "user_id"),
    (community_domain_tags, "community_id"),
)
# The search document type each association's owner is indexed as.
DOCUMENT_TYPES = {"thread_id": "thread", "resource_id": "resource", "user_id": "person", "community_id": "community"}

# The kinds of item a tag page lists, each a model with an integer ``id``.
_Item = TypeVar("_Item", Thread, Resource, Community, User)


def _reindex_tagged(tag_id: int) -> None:
    """Queue every document carrying the tag for re-indexing (its ``tags`` field changes with the name)."""
    for table, owner in ASSOCIATIONS:
        outbox.enqueue_owners(db.session, table, owner, DOCUMENT_TYPES[owner], table.c.tag_id == tag_id)


# --- visibility-filtered building blocks ----------------------------------------------


def _visible_community_ids(user: permissions.Viewer) -> Select[tuple[int]]:
    return permissions.visible_communities(user).with_only_columns(Community.id)


def _listed_community_ids(user: permissions.Viewer) -> Select[tuple[int]]:
    return permissions.listed_communities(user).with_only_columns(Community.id)


def tagged_threads(user: permissions.Viewer, tag: Tag) -> Select[tuple[Thread]]:
    """A select of the live threads with ``tag`` in communities ``user`` may read."""
    return select(Thread).where(
        Thread.is_deleted.is_(False),
        Thread.community_id.in_(_visible_community_ids(user)),
        Thread.id.in_(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == tag.id)),
    )


def tagged_resources(user: permissions.Viewer, tag: Tag) -> Select[tuple[Resource]]:
    """A select of the live resources with ``tag`` in communities ``user`` may read."""
    return select(Resource).where(
        Resource.is_deleted.is_(False),
        Resource.community_id.in_(_visible_community_ids(user)),
        Resource.id.in_(select(resource_tags.c.resource_id).where(resource_tags.c.tag_id == tag.id)),
    )


def _visible_uses(user: permissions.Viewer) -> Subquery:
    """One row (``tag_id``) per use of a tag that ``user`` may see, across all four kinds of use."""
    visible = _visible_community_ids(user)
    return union_all(
        select(thread_tags.c.tag_id)
        .join(Thread, Thread.id == thread_tags.c.thread_id)
        .where(Thread.is_deleted.is_(False), Thread.community_id.in_(visible)),
        select(resource_tags.c.tag_id)
        .join(Resource, Resource.id == resource_tags.c.resource_id)
        .where(Resource.is_deleted.is_(False), Resource.community_id.in_(visible)),
        select(community_domain_tags.c.tag_id).where(
            community_domain_tags.c.community_id.in_(_listed_community_ids(user))
        ),
        select(user_expertise.c.tag_id)
        .join(User, User.id == user_expertise.c.user_id)
        .where(User.is_disabled.is_(False)),
    ).subquery()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def popular_tags(user: permissions.Viewer, *, prefix: str = "", limit: int = 100) -> list[tuple[Tag, int]]:
    """Tags by how often ``user`` can see them used (most first, then by name), with that count.

    Tags the user sees no use of are left out. ``prefix`` (already
    normalised) keeps only tags whose name starts with it.
    """
    uses = _visible_uses(user)
    uses_count = func.count().label("uses")
    stmt = select(Tag, uses_count).join(uses, uses.c.tag_id == Tag.id).group_by(Tag.id, Tag.name)
    if prefix:
        stmt = stmt.where(Tag.name.like(_escape_like(prefix) + "%", escape="\\"))
    stmt = stmt.order_by(uses_count.desc(), Tag.name).limit(limit)
    return [(tag, count) for tag, count in db.session.execute(stmt)]


def suggest(user: permissions.Viewer, typed: str, limit: int = SUGGEST_LIMIT) -> list[str]:
    """Names of up to ``limit`` tags starting with the last comma-separated term of ``typed``.

    Most-used (as ``user`` sees them) first. Names only: the counts behind
    the order are never returned.
    """
    prefix = normalize_tag((typed or "").rsplit(",", 1)[-1])
    if not prefix:
        return []
    return [tag.name for tag, _count in popular_tags(user, prefix=prefix, limit=limit)]


# --- the tag page ------------------------------------------------------------------------


@dataclass
class Section(Generic[_Item]):
    """The first items of one kind with a tag, how many there are in all, and per-community totals."""

    items: list[_Item]
    total: int
    by_community: list[tuple[Community, int]] = field(default_factory=list)
    more_communities: int = 0  # communities with items beyond those in ``by_community``

    @property
    def has_more(self) -> bool:
        return self.total > len(self.items)


@dataclass
class TagPage:
    tag: Tag
    threads: Section[Thread]
    resources: Section[Resource]
    communities: Section[Community]
    people: Section[User]

    @property
    def total(self) -> int:
        return self.threads.total + self.resources.total + self.communities.total + self.people.total


def get_tag(name: str) -> Tag | None:
    """The tag called ``name`` once normalised, or None."""
    name = normalize_tag(name)
    return db.session.scalar(select(Tag).where(Tag.name == name)) if name else None


# What a tag page shows is the same for everyone until it is filtered by what the viewer may see:
# counts per community and the newest candidates are computed once per request (``_tag_facts``) and
# the viewer's communities are applied to them.
CANDIDATES = 200  # newest threads/resources kept per tag; fewer visible than a page needs -> a live query


@dataclass(frozen=True)
class _TagFacts:
    threads_by_community: dict[int, int]
    newest_threads: tuple[tuple[int, int], ...]  # (thread id, community id), most recently active first
    resources_by_community: dict[int, int]
    newest_resources: tuple[tuple[int, int], ...]  # (resource id, community id), most recently updated first
    domain_communities: tuple[int, ...]  # communities whose domain has the tag, by name
    people_total: int
    first_people: tuple[int, ...]  # enabled people with the expertise, by name


def _tag_facts(tag: Tag) -> _TagFacts:
    """``tag``'s facts, computed once per request (again after a commit): the tag view reads them twice,
    to answer 404 (``visible_tag_or_none``) and for the page (``tag_page``).

    Not across requests: a cross-request cache of them hit only within one request on the cold run
    (``cop.caching``).
    """
    memo: dict[int, _TagFacts] = g.setdefault("_tag_facts", {}) if has_app_context() else {}
    if tag.id not in memo:
        memo[tag.id] = _compute_facts(tag.id)
    return memo[tag.id]


@event.listens_for(FlaskSession, "after_commit")
def _forget_facts_after_commit(_session: FlaskSession) -> None:
    """A commit may have changed what is tagged: the request computes the facts again."""
    if has_app_context():
        g.pop("_tag_facts", None)


@functools.cache
def _facts_statements() -> dict[str, Select[Any]]:
    """The statements of ``_compute_facts``, built once (the tag bound as ``tag_id``): building them cost
    about as much Python per page as running them for most tags."""
    tag_id = bindparam("tag_id", type_=Integer)
    return {
        "threads": select(Thread.id, Thread.community_id, Thread.last_activity_at).where(
            Thread.is_deleted.is_(False),
            Thread.id.in_(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == tag_id)),
        ),
        "resources": select(Resource.id, Resource.community_id, Resource.updated_at).where(
            Resource.is_deleted.is_(False),
            Resource.id.in_(select(resource_tags.c.resource_id).where(resource_tags.c.tag_id == tag_id)),
        ),
        "people": tagged_people_ids(tag_id).order_by(User.display_name, User.id),
        "domains": select(Community.id)
        .join(community_domain_tags, community_domain_tags.c.community_id == Community.id)
        .where(community_domain_tags.c.tag_id == tag_id)
        .order_by(Community.name, Community.id),
    }


def _compute_facts(tag_id: int) -> _TagFacts:
    # One read per kind: every live item's (id, community, time), counted per community and its newest
    # picked here. A kind's count and its newest used to be two reads of the same rows (the busiest tag:
    # 16,536 threads, each looked up by id), and the people two reads too.
    statements, params = _facts_statements(), {"tag_id": tag_id}
    threads = db.session.execute(statements["threads"], params).all()
    resources = db.session.execute(statements["resources"], params).all()
    people = db.session.scalars(statements["people"], params).all()
    return _TagFacts(
        threads_by_community=dict(Counter(community_id for _id, community_id, _at in threads)),
        newest_threads=_newest(threads),
        resources_by_community=dict(Counter(community_id for _id, community_id, _at in resources)),
        newest_resources=_newest(resources),
        domain_communities=tuple(db.session.scalars(statements["domains"], params)),
        people_total=len(people),
        first_people=tuple(people[:SECTION_LIMIT]),
    )


def _newest(rows: Sequence[Row[tuple[int, int, datetime]]]) -> tuple[tuple[int, int], ...]:
    """(id, community id) of the ``CANDIDATES`` latest of ``(id, community id, time)`` rows, latest (then
    highest id) first: the order of ``ORDER BY time DESC, id DESC`` (the times are never NULL)."""
    return tuple(
        (item_id, community_id)
        for item_id, community_id, _at in heapq.nlargest(CANDIDATES, rows, key=lambda row: (row[2], row[0]))
    )


def tagged_people_ids(tag_id: Any) -> Select[tuple[int]]:
    return select(User.id).where(
        User.is_disabled.is_(False),
        User.id.in_(select(user_expertise.c.user_id).where(user_expertise.c.tag_id == tag_id)),
    )


class Viewer:
    """The communities one viewer may read and may know about, as sets (None: every community).

    Cheap to make more than once per request: the sets are ``permissions``' per-request ones.
    """

    def __init__(self, user: permissions.Viewer) -> None:
        everything = permissions.is_admin(user)
        self.readable = None if everything else permissions.readable_community_ids(user)
        self.listed = None if everything else permissions.listed_community_ids(user)

    def reads(self, community_id: int) -> bool:
        return self.readable is None or community_id in self.readable

    def knows(self, community_id: int) -> bool:
        return self.listed is None or community_id in self.listed


@functools.lru_cache(maxsize=8)
def _by_ids(model: type[_Item], options: tuple[ExecutableOption, ...]) -> Select[tuple[_Item]]:
    """``model`` rows by the ids bound as ``ids``, with ``options`` (one of the module's ``_..._ROWS``
    tuples): built once per section."""
    return select(model).where(model.id.in_(bindparam("ids", expanding=True))).options(*options)


def _load_in_order(model: type[_Item], ids: list[int], options: tuple[ExecutableOption, ...] = ()) -> list[_Item]:
    found = {row.id: row for row in db.session.scalars(_by_ids(model, options), {"ids": ids})} if ids else {}
    return [found[i] for i in ids if i in found]


def _readable_counts(by_community: dict[int, int], viewer: Viewer) -> list[tuple[int, int]]:
    """(community id, items) for the communities the viewer reads, most items first."""
    return sorted(((cid, n) for cid, n in by_community.items() if viewer.reads(cid)), key=lambda r: (-r[1], r[0]))


def _section(
    model: type[_Item],
    viewer: Viewer,
    counts: list[tuple[int, int]],
    communities: dict[int, Community],
    newest: tuple[tuple[int, int], ...],
    live: Callable[[], Select[tuple[_Item]]],
    order: tuple[UnaryExpression[datetime], UnaryExpression[int]],
    limit: int,
    options: tuple[ExecutableOption, ...],
) -> Section[_Item]:
    """One section from cached facts: per-community counts and the first ``limit`` items the viewer may read.

    ``counts``: ``_readable_counts`` of the section; ``communities``: at least its first ``COMMUNITY_LIMIT``,
    loaded. ``live()``: the select of every readable item, for when the cached candidates run out.
    """
    total = sum(n for _cid, n in counts)
    top = counts[:COMMUNITY_LIMIT]
    ids = [item_id for item_id, cid in newest if viewer.reads(cid)][:limit]
    if len(ids) < min(limit, total):  # the candidates ran out before a page of readable ones: ask the database
        ids = list(db.session.scalars(live().with_only_columns(model.id).order_by(*order).limit(limit)))
    return Section(
        items=_load_in_order(model, ids, options),
        total=total,
        by_community=[(communities[cid], n) for cid, n in top],
        more_communities=len(counts) - len(top),
    )


# The community columns the tag page shows (its per-community links and ``community_card``).
_SHOWN_COMMUNITY_COLUMNS = (
    Community.slug,
    Community.name,
    Community.domain,
    Community.visibility,
    Community.stage,
    Community.member_count,
)


# Only what the links and the cards show: the charters and guidelines (a kilobyte a community) stay unread.
_COMMUNITY_CARDS = (load_only(*_SHOWN_COMMUNITY_COLUMNS), selectinload(Community.domain_tags))
# What a thread or resource row shows of its community and author (not a community's charter, a person's bio).
_THREAD_ROWS = (
    joinedload(Thread.community).load_only(Community.id, Community.slug, Community.name),
    joinedload(Thread.author).load_only(User.id, User.handle, User.display_name),
)
_RESOURCE_ROWS = (
    lazyload(Resource.community),
    joinedload(Resource.author).load_only(User.id, User.handle, User.display_name),
)


def tag_page(user: permissions.Viewer, tag: Tag, limit: int = SECTION_LIMIT) -> TagPage:
    """Everything with ``tag`` that ``user`` may see, each kind capped at ``limit`` with its visible total."""
    facts = _tag_facts(tag)
    viewer = Viewer(user)
    known = [cid for cid in facts.domain_communities if viewer.knows(cid)]
    thread_counts = _readable_counts(facts.threads_by_community, viewer)
    resource_counts = _readable_counts(facts.resources_by_community, viewer)
    # Every community the page names (the sections' busiest, the domain cards) in one query.
    wanted = {cid for cid, _n in thread_counts[:COMMUNITY_LIMIT] + resource_counts[:COMMUNITY_LIMIT]}
    communities = {c.id: c for c in _load_in_order(Community, sorted(wanted | set(known[:limit])), _COMMUNITY_CARDS)}
    return TagPage(
        tag=tag,
        threads=_section(
            Thread,
            viewer,
            thread_counts,
            communities,
            facts.newest_threads,
            lambda: tagged_threads(user, tag),
            (Thread.last_activity_at.desc(), Thread.id.desc()),
            limit,
            _THREAD_ROWS,
        ),
        resources=_section(
            Resource,
            viewer,
            resource_counts,
            communities,
            facts.newest_resources,
            lambda: tagged_resources(user, tag),
            (Resource.updated_at.desc(), Resource.id.desc()),
            limit,
            _RESOURCE_ROWS,
        ),
        communities=Section(items=[communities[cid] for cid in known[:limit] if cid in communities], total=len(known)),
        people=Section(items=_load_in_order(User, list(facts.first_people[:limit])), total=facts.people_total),
    )


def visible_tag_or_none(user: permissions.Viewer, name: str) -> Tag | None:
    """The tag if ``user`` can see at least one use of it; otherwise None (an unknown tag)."""
    tag = get_tag(name)
    if tag is None:
        return None
    facts = _tag_facts(tag)
    if facts.people_total:
        return tag
    viewer = Viewer(user)
    seen = (
        any(viewer.reads(cid) for cid in facts.threads_by_community)
        or any(viewer.reads(cid) for cid in facts.resources_by_community)
        or any(viewer.knows(cid) for cid in facts.domain_communities)
    )
    return tag if seen else None


# --- watching ------------------------------------------------------------------------------


def is_watching(user: User, tag: Tag) -> bool:
    return (
        db.session.scalar(select(TagWatch.id).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id)) is not None
    )


def watch(user: User, tag: Tag) -> None:
    """Start watching ``tag`` (watching it already is fine)."""
    if is_watching(user, tag):
        return
    db.session.add(TagWatch(user_id=user.id, tag_id=tag.id))
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced us: the watch exists, which is what was asked
        db.session.rollback()


def unwatch(user: User, tag: Tag) -> None:
    """Stop watching ``tag`` (not watching it is fine)."""
    db.session.execute(delete(TagWatch).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id))
    db.session.commit()


def watched_tags(user: User) -> list[Tag]:
    """The tags ``user`` watches, by name."""
    return list(
        db.session.scalars(
            select(Tag).join(TagWatch, TagWatch.tag_id == Tag.id).where(TagWatch.user_id == user.id).order_by(Tag.name)
        )
    )


# --- administration --------------------------------------------------------------------------


@dataclass
class TagUsage:
    tag: Tag
    threads: int = 0
    resources: int = 0
    people: int = 0
    communities: int = 0
    watchers: int = 0

    @property
    def total(self) -> int:
        return self.threads + self.resources + self.people + self.communities


def admin_tag_list(query: str = "", page: int = 1, per_page: int = 50) -> tuple[Pagination, list[TagUsage]]:
    """A page of every tag (administrators: all uses, private ones too), by name, filtered by a name fragment.

    Returns ``(pagination, usages)`` where ``usages`` holds a ``TagUsage`` per tag on the page.
    """
    stmt = select(Tag).order_by(Tag.name)
    fragment = normalize_tag(query)
    if fragment:
        stmt = stmt.where(Tag.name.like("%" + _escape_like(fragment) + "%", escape="\\"))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    usages = {tag.id: TagUsage(tag) for tag in pagination.items}
    counted = (
        (thread_tags, "threads"),
        (resource_tags, "resources"),
        (user_expertise, "people"),
        (community_domain_tags, "communities"),
        (TagWatch.__table__, "watchers"),
    )
    for table, attribute in counted:
        rows = db.session.execute(
            select(table.c.tag_id, func.count()).where(table.c.tag_id.in_(usages.keys())).group_by(table.c.tag_id)
        )
        for tag_id, count in rows:
            setattr(usages[tag_id], attribute, count)
    return pagination, [usages[tag.id] for tag in pagination.items]


def _repoint(table: Table, owner: str, source: Tag, target: Tag, extra: tuple[str, ...] = ()) -> None:
    """Move ``table``'s rows from ``source`` to ``target``, skipping owners that already have ``target``.

    An INSERT … SELECT of the missing rows followed by a DELETE of the
    source's rows: no row ever holds a duplicate key, so neither SQLite nor
    PostgreSQL raises, and no ``ON CONFLICT`` dialect is needed.
    """
    owner_column = table.c[owner]
    already = select(owner_column).where(table.c.tag_id == target.id)
    columns = [owner_column, literal(target.id, Integer), *(table.c[name] for name in extra)]
    db.session.execute(
        insert(table).from_select(
            [owner, "tag_id", *extra], select(*columns).where(table.c.tag_id == source.id, owner_column.not_in(already))
        )
    )
    db.session.execute(delete(table).where(table.c.tag_id == source.id))


def merge_tags(admin: User, source: Tag, target: Tag) -> Tag:
    """Fold ``source`` into ``target``: everything tagged ``source`` gets ``target``, then ``source`` is deleted.

    Threads, resources, people's expertise, community domains and watches
    are re-pointed; something that had both keeps one. Audited as
    ``tag.merge``. :raise DomainError: merging a tag into itself.
    """
    if source.id == target.id:
        raise DomainError("A tag cannot be merged into itself.", field="target")
    source_name = source.name
    for table, owner in ASSOCIATIONS:
        _repoint(table, owner, source, target)
    _repoint(TagWatch.__table__, "user_id", source, target, extra=("created_at",))
    # Bulk re-pointing: no ORM hook saw it.
    evidence.rebuild_tags(db.session.connection(), [source.id, target.id])
    voice.rebuild_tags(db.session.connection(), [source.id, target.id])
    _reindex_tagged(target.id)
    audit.record(admin, "tag.merge", target, detail=f"{source_name} → {target.name}")
    db.session.execute(delete(Tag).where(Tag.id == source.id))
    db.session.commit()
    db.session.expire_all()  # relationship collections loaded before the merge still name the source
    return target


def rename_tag(admin: User, tag: Tag, new_name: str) -> tuple[Tag, bool]:
    """Rename ``tag`` to ``new_name`` (normalised like every tag).

    If a tag already has that name, this is a merge into it (audited as
    ``tag.merge``); otherwise ``tag.rename``. Returns ``(tag now carrying the
    name, merged)``. :raise DomainError: (field ``name``) a name with nothing
    usable in it, or the tag's current name.
    """
    name = normalize_tag(new_name)
    if not name:
        raise DomainError("Give the tag a name with letters or digits.", field="name")
    if name == tag.name:
        raise DomainError(f"The tag is already called “{name}”.", field="name")
    existing = db.session.scalar(select(Tag).where(Tag.name == name))
    if existing is not None:
        return merge_tags(admin, tag, existing), True
    old_name = tag.name
    tag.name = name
    _reindex_tagged(tag.id)
    audit.record(admin, "tag.rename", tag, detail=f"{old_name} → {name}")
    db.session.commit()
    return tag, False
