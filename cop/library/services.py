"""Library services: adding files, links and documents, versions, curation, reading.

Each public function that writes is one decision: it checks its rule
through ``cop.permissions``, writes the rows (and the audit entry for a
coordinator's action) and commits. Broken rules raise ``DomainError``,
missing rights ``NotAllowed``; a file over the size limit raises
``storage.UploadTooLarge`` with nothing left on disk.
"""

import re
import unicodedata
from typing import IO, Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import lazyload

from cop import permissions, signals
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import Community
from cop.discussions.models import Post, Thread
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.library import extract, filetypes, storage
from cop.library.models import KINDS, Resource, ResourceVersion, post_resource_links, resource_tags
from cop.library.urls import clean_link_url, resource_ids_in
from cop.markup import MarkupError, render_markdown
from cop.permissions import Viewer
from cop.tags.models import Tag, get_or_create_tags, normalize_tag, parse_tags
from cop.textdiff import unified_diff
from cop.validation import clean_title

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NOTE_MAX = 500
FILENAME_MAX = 150
RESOURCES_PER_PAGE = 20
SORTS = ("recent", "title", "used")
MAX_LINKS_PER_POST = 50

_PATH_SEPARATORS = re.compile(r"[/\\]")
_UNSAFE_IN_FILENAME = set('<>:"|?*')


# --- rules -------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


# --- input -------------------------------------------------------------------------


def safe_filename(raw: str | None) -> str:
    """A file name fit for metadata and a Content-Disposition header, from whatever the uploader sent.

    Only the last path component survives (``/`` and ``\\`` both split), control
    and invisible formatting characters (such as right-to-left overrides) and
    ``<>:"|?*`` are dropped, whitespace runs become one space, leading and
    trailing dots and spaces go, and the name is capped at ``FILENAME_MAX``
    characters (keeping a short extension). An empty result is ``download``.
    """
    # A NUL ends the name, as it does for the file system the uploader's name came from: dropping it
    # instead would turn "report.pdf<NUL>.html" into "report.pdf.html".
    name = unicodedata.normalize("NFC", (raw or "").split("\0", 1)[0])
    name = _PATH_SEPARATORS.split(name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in _UNSAFE_IN_FILENAME)
    name = " ".join(name.split()).strip(". ")
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: FILENAME_MAX - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            name = name[:FILENAME_MAX].rstrip(". ")
    return name or "download"


def _render(text: str, field: str, limit: int | None = None) -> str:
    if limit and len(text or "") > limit:
        raise DomainError(f"Keep this under {limit} characters.", field=field)
    try:
        return render_markdown(text or "")
    except MarkupError as exc:
        raise DomainError(exc.args[0], field=field) from None


def _clean_note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise DomainError(f"Keep the change note under {NOTE_MAX} characters.", field="change_note")
    return note


def _new_resource(
    author: User, community: Community, kind: str, title: str, description: str, tags: str, **fields: str | int
) -> Resource:
    _require(
        permissions.can_add_resource(author, community),
        "Only members of this community can add to its library. Join it first.",
    )
    title = clean_title(title, "resource", TITLE_MAX)
    now = utcnow()
    resource = Resource(
        community_id=community.id,
        kind=kind,
        title=title,
        description_md=description or "",
        description_html=_render(description, "description", DESCRIPTION_MAX),
        author_id=author.id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    resource.tags = get_or_create_tags(parse_tags(tags))
    return resource


# --- adding ------------------------------------------------------------------------------


def add_link(
    author: User, community: Community, *, title: str, url: str, description: str = "", tags: str = ""
) -> Resource:
    """Share a web link.

    :raise NotAllowed: the author is not an active member.
    :raise DomainError: no title, a URL that is not http(s) (``javascript:``,
        ``data:``...), or an unrenderable description.
    """
    url = clean_link_url(url)
    resource = _new_resource(author, community, "link", title, description, tags, url=url)
    db.session.add(resource)
    _added(author, resource)
    db.session.commit()
    return resource


def _added(author: User, resource: Resource) -> None:
    """Flush the new resource and tell receivers (webhooks), inside the transaction."""
    db.session.flush()
    signals.resource_added.send(author, resource=resource)


def add_document(
    author: User,
    community: Community,
    *,
    title: str,
    body: str,
    description: str = "",
    tags: str = "",
    change_note: str = "",
) -> Resource:
    """Start a document written on the platform, with its first version.

    :raise NotAllowed: the author is not an active member.
    :raise DomainError: no title, an empty or unrenderable body or description.
    """
    resource = _new_resource(author, community, "document", title, description, tags, latest_version=1)
    version = _document_version(author, body, change_note or "First version", 1)
    return _save_new(author, resource, version)


def add_file(
    author: User,
    community: Community,
    *,
    stream: IO[bytes],
    filename: str | None,
    title: str = "",
    description: str = "",
    tags: str = "",
    change_note: str = "",
) -> Resource:
    """Upload a file (read from ``stream``) as a new resource with its first version.

    The title defaults to the file's name.
    :raise NotAllowed: the author is not an active member.
    :raise DomainError: (field ``file``) a refused or empty file; a bad title,
        description or note.
    :raise storage.UploadTooLarge: over ``MAX_UPLOAD_MB``; nothing is kept.
    """
    _require(
        permissions.can_add_resource(author, community),
        "Only members of this community can add to its library. Join it first.",
    )
    name = safe_filename(filename)
    resource = _new_resource(
        author, community, "file", (title or "").strip() or name, description, tags, latest_version=1
    )
    version = _file_version(author, stream, name, change_note or "First version", 1)
    return _save_new(author, resource, version)


def _save_new(author: User, resource: Resource, version: ResourceVersion) -> Resource:
    """Add a new resource with its first version (dated as the resource) and commit."""
    resource.versions.append(version)
    version.created_at = resource.created_at
    db.session.add(resource)
    _added(author, resource)
    db.session.commit()
    return resource


def _file_version(author: User, stream: IO[bytes], name: str, change_note: str, number: int) -> ResourceVersion:
    """Receive, check and store an upload; the version row for it (not yet added)."""
    note = _clean_note(change_note)
    with storage.receive(stream) as blob:
        detected = filetypes.detect(blob.temp_path)
        text = extract.extract_text(blob.temp_path, detected.mime)
        blob.keep()
    return ResourceVersion(
        number=number,
        author_id=author.id,
        change_note=note,
        sha256=blob.sha256,
        size=blob.size,
        original_filename=name,
        mime_type=detected.mime,
        has_text=text is not None,
        text_content=text,
        created_at=utcnow(),
    )


def _document_version(author: User, body: str, change_note: str, number: int) -> ResourceVersion:
    if not (body or "").strip():
        raise DomainError("Write something first: the document cannot be empty.", field="body")
    html = _render(body, "body")
    return ResourceVersion(
        number=number,
        author_id=author.id,
        change_note=_clean_note(change_note),
        body_md=body.replace("\r\n", "\n"),
        body_html=html,
        created_at=utcnow(),
    )


# --- versions ------------------------------------------------------------------------------


def upload_version(
    author: User, resource: Resource, *, stream: IO[bytes], filename: str | None, change_note: str = ""
) -> ResourceVersion:
    """Upload a new version of a file resource; older versions stay downloadable.

    :raise NotAllowed: not the author or a coordinator, or not a file resource.
    :raise DomainError: a refused or empty file, or a long note.
    :raise storage.UploadTooLarge: over ``MAX_UPLOAD_MB``; nothing is kept.
    """
    _require(
        resource.kind == "file" and permissions.can_add_version(author, resource),
        "Only the author and the coordinators can upload a new version.",
    )
    version = _file_version(author, stream, safe_filename(filename), change_note, resource.latest_version + 1)
    return _append_version(author, resource, version)


def save_document(
    author: User, resource: Resource, *, body: str, change_note: str = "", base_version: int | None = None
) -> ResourceVersion:
    """Save a new version of a document (any active member: documents are written together).

    ``base_version`` is the version the writer started from: if someone
    saved a newer one meanwhile, nothing is saved, so that nobody's changes
    are silently buried under a version written without them.
    :raise NotAllowed: not an active member, or not a document.
    :raise DomainError: a newer version exists, the text is unchanged, empty or unrenderable.
    """
    _require(
        resource.kind == "document" and permissions.can_add_version(author, resource),
        "Only members of this community can edit its documents.",
    )
    if base_version is not None and base_version != resource.latest_version:
        raise DomainError(
            f"Someone saved version {resource.latest_version} while you were editing. Your text is "
            "still below: compare it with the latest version, then save again.",
            field="body",
        )
    current = get_version(resource, resource.latest_version)
    if current is not None and current.body_md == (body or "").replace("\r\n", "\n"):
        raise DomainError("This is the same text as the current version: change something before saving.", field="body")
    version = _document_version(author, body, change_note, resource.latest_version + 1)
    return _append_version(author, resource, version)


def _append_version(author: User, resource: Resource, version: ResourceVersion) -> ResourceVersion:
    resource.versions.append(version)
    resource.latest_version = version.number
    resource.updated_at = version.created_at
    db.session.flush()
    signals.resource_versioned.send(author, resource=resource, version=version)
    db.session.commit()
    return version


# --- editing and curation -------------------------------------------------------------------


def update_resource(
    editor: User, resource: Resource, *, title: str, description: str = "", tags: str = "", url: str | None = None
) -> None:
    """Change a resource's title, description, tags (and a link's URL).

    A coordinator's edit of someone else's resource is audited.
    :raise NotAllowed: neither the author nor a coordinator.
    :raise DomainError: bad title, description or URL.
    """
    _require(
        permissions.can_edit_resource(editor, resource), "Only the author and the coordinators can edit this resource."
    )
    title = clean_title(title, "resource", TITLE_MAX)
    html = _render(description, "description", DESCRIPTION_MAX)
    if resource.kind == "link":
        resource.url = clean_link_url(url)
    resource.title, resource.description_md, resource.description_html = title, description or "", html
    resource.tags = get_or_create_tags(parse_tags(tags))
    resource.updated_at = utcnow()
    if editor.id != resource.author_id:
        audit.record(editor, "resource.edit", resource, resource.community, detail=title)
    db.session.commit()


def set_featured(actor: User, resource: Resource, featured: bool) -> None:
    """Pin (or unpin) a resource at the top of the library and on the community page. Audited.

    :raise NotAllowed: not a coordinator.
    """
    _require(
        permissions.can_curate_resource(actor, resource), "Only the community's coordinators can feature resources."
    )
    resource.is_featured = bool(featured)
    audit.record(
        actor,
        "resource.feature" if featured else "resource.unfeature",
        resource,
        resource.community,
        detail=resource.title,
    )
    db.session.commit()


def delete_resource(actor: User, resource: Resource) -> None:
    """Soft-delete: the resource disappears from every page (its files stay on disk). Audited.

    :raise NotAllowed: not a coordinator.
    """
    _require(
        permissions.can_curate_resource(actor, resource), "Only the community's coordinators can delete resources."
    )
    resource.is_deleted = True
    resource.is_featured = False
    audit.record(actor, "resource.delete", resource, resource.community, detail=resource.title)
    db.session.commit()


def record_use(resource: Resource) -> None:
    """Count one download or followed link (a single atomic UPDATE, so concurrent uses all count)."""
    db.session.execute(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(use_count=Resource.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- links from discussions ---------------------------------------------------------------------


def record_post_links(post: Post) -> None:
    """Remember which resources ``post`` links to (``/r/<id>`` URLs in its text).

    Called by the discussion services when a post is written or edited,
    inside their transaction (no commit here).
    """
    db.session.execute(post_resource_links.delete().where(post_resource_links.c.post_id == post.id))
    ids = sorted(resource_ids_in(post.body_md))[:MAX_LINKS_PER_POST]
    if not ids:
        return
    existing = db.session.scalars(select(Resource.id).where(Resource.id.in_(ids))).all()
    if existing:
        db.session.execute(post_resource_links.insert(), [{"post_id": post.id, "resource_id": i} for i in existing])


def linking_threads(resource: Resource, viewer: Viewer, limit: int = 50) -> list[Thread]:
    """Threads with a visible post linking to ``resource``, in communities ``viewer`` may read."""
    visible = permissions.visible_communities(viewer).with_only_columns(Community.id)
    linking_posts = (
        select(Post.thread_id)
        .join(post_resource_links, post_resource_links.c.post_id == Post.id)
        .where(post_resource_links.c.resource_id == resource.id, Post.is_deleted.is_(False), Post.is_hidden.is_(False))
    )
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.id.in_(linking_posts), Thread.is_deleted.is_(False), Thread.community_id.in_(visible))
            .order_by(Thread.last_activity_at.desc())
            .limit(limit)
        )
    )


# --- reading --------------------------------------------------------------------------------------


def get_resource_or_none(resource_id: int) -> Resource | None:
    """The resource, unless missing or deleted (the caller still checks who may see it)."""
    resource = db.session.get(Resource, resource_id)
    return None if resource is None or resource.is_deleted else resource


def get_version(resource: Resource, number: int | str) -> ResourceVersion | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(ResourceVersion).where(ResourceVersion.resource_id == resource.id, ResourceVersion.number == number)
    )


def versions(resource: Resource) -> list[ResourceVersion]:
    """Every version, newest first (without the extracted text)."""
    return list(
        db.session.scalars(
            select(ResourceVersion)
            .where(ResourceVersion.resource_id == resource.id)
            .order_by(ResourceVersion.number.desc())
        )
    )


def library_page(
    community: Community,
    *,
    kind: str = "",
    tag: str = "",
    sort: str = "recent",
    page: int = 1,
    per_page: int = RESOURCES_PER_PAGE,
) -> Pagination:
    """A page of the community's resources: featured first, then by ``sort``
    (``recent`` changes, ``title``, most ``used``), filtered by kind and tag."""
    stmt = select(Resource).where(Resource.community_id == community.id, Resource.is_deleted.is_(False))
    if kind in KINDS:
        stmt = stmt.where(Resource.kind == kind)
    tag = normalize_tag(tag)
    if tag:
        stmt = stmt.where(Resource.id.in_(select(resource_tags.c.resource_id).join(Tag).where(Tag.name == tag)))
    orders: dict[str, list[ColumnElement[Any]]] = {
        "title": [func.lower(Resource.title)],
        "used": [Resource.use_count.desc(), Resource.updated_at.desc()],
    }
    order = orders.get(sort, [Resource.updated_at.desc()])
    stmt = stmt.order_by(Resource.is_featured.desc(), *order, Resource.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


# The community page lists resources by title and kind: their tags and authors are not loaded.
_COMPACT = (lazyload(Resource.tags), lazyload(Resource.author))


def featured(community: Community, limit: int = 5) -> list[Resource]:
    return list(
        db.session.scalars(
            select(Resource)
            .where(
                Resource.community_id == community.id, Resource.is_deleted.is_(False), Resource.is_featured.is_(True)
            )
            .options(*_COMPACT)
            .order_by(Resource.updated_at.desc(), Resource.id.desc())
            .limit(limit)
        )
    )


def newest(community: Community, limit: int = 5, exclude_featured: bool = True) -> list[Resource]:
    stmt = select(Resource).where(Resource.community_id == community.id, Resource.is_deleted.is_(False))
    if exclude_featured:
        stmt = stmt.where(Resource.is_featured.is_(False))
    return list(
        db.session.scalars(
            stmt.options(*_COMPACT).order_by(Resource.created_at.desc(), Resource.id.desc()).limit(limit)
        )
    )


def document_diff(
    resource: Resource, a: int | str, b: int | str
) -> tuple[ResourceVersion, ResourceVersion, list[str]] | None:
    """Versions ``a`` and ``b`` of a document and the unified diff from one to the other,
    or None if either does not exist."""
    if resource.kind != "document":
        return None
    older, newer = get_version(resource, a), get_version(resource, b)
    if older is None or newer is None:
        return None
    return older, newer, unified_diff(older.body_md or "", newer.body_md or "", context=3)
