"""The API's endpoints: thin views that parse, ask ``cop.permissions``, call one service and serialize.

Reading needs the token's ``read`` scope, any change its ``write`` scope, reports and the
portfolio its ``report`` scope (``requires``). A community the owner may not know about, and
anything in a community they may not read, is a 404 exactly like on the pages; services'
``NotAllowed`` is a 403 (the app's handler) and their ``DomainError`` a 422 naming the field (409 without a field:
the object's state forbids it, e.g. a locked thread).
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import flask
from flask import Response, abort, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from markupsafe import Markup
from marshmallow import Schema
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized

from cop import permissions
from cop.accounts.models import User
from cop.api import pagination, schemas, serialize, tokens
from cop.api.errors import http_problem, problem
from cop.communities import services as communities
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.errors import DomainError, NotAllowed, Unavailable
from cop.events import services as events
from cop.events.models import Event
from cop.extensions import db, limiter
from cop.library import services as library, storage
from cop.library.models import Resource
from cop.notifications import services as notifications
from cop.notifications.models import Notification
from cop.oversight import periods, portfolio as portfolios, reports
from cop.oversight.objectives import ObjectiveScore
from cop.search import services as search
from cop.search.hits import Hit
from cop.tags import services as tags
from cop.tags.models import normalize_tag
from cop.viewer import readable_post, readable_thread

Body = dict[str, Any]
BodyStatusHeaders = tuple[Body, int, dict[str, str]]

_T = TypeVar("_T")
_View = TypeVar("_View", bound=Callable[..., Any])

if TYPE_CHECKING:

    class Blueprint(flask.Blueprint):
        """What mypy knows of flask-smorest's ``Blueprint`` (a ``flask.Blueprint``), which ships no type information:
        the decorators used here. ``arguments`` adds the parsed arguments before the view's own parameters and
        ``response`` serializes what the view returns, so both make a view of another signature."""

        def __init__(self, name: str, import_name: str, *, description: str = "", **options: Any) -> None: ...

        def route(self, rule: str, *, parameters: list[Any] | None = None, **options: Any) -> Callable[[_T], _T]: ...

        def arguments(
            self, schema: type[Schema] | Schema, *, location: str = "json", **kwargs: Any
        ) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

        def response(
            self, status_code: int, schema: type[Schema] | Schema | None = None, **kwargs: Any
        ) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

        @staticmethod
        def doc(**kwargs: Any) -> Callable[[_T], _T]: ...

else:
    from flask_smorest import Blueprint

bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Communities, discussions, libraries, meetings, tags, search, notifications, reports.",
)

CommunityPage = schemas.page_of(schemas.Community, "CommunityPage")
MemberPage = schemas.page_of(schemas.Member, "MemberPage")
ThreadPage = schemas.page_of(schemas.Thread, "ThreadPage")
PostPage = schemas.page_of(schemas.Post, "PostPage")
ResourcePage = schemas.page_of(schemas.Resource, "ResourcePage")
VersionPage = schemas.page_of(schemas.Version, "VersionPage")
MeetingPage = schemas.page_of(schemas.Meeting, "MeetingPage")
NotificationPage = schemas.page_of(schemas.Notification, "NotificationPage")


# --- authentication, scopes, limits -------------------------------------------------------------


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def rate_limit_key() -> str:
    """Requests are counted per token (its hash), or per address when none is sent."""
    raw = _bearer()
    return "api-token:" + tokens.hash_token(raw)[:32] if raw else "api-ip:" + (request.remote_addr or "")


# Once per process (the blueprint is module-level; limits added per app would each count every request).
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


def requires(scope: str) -> Callable[[_View], _View]:
    """Mark a view as needing ``scope`` (default: ``read`` for GET, ``write`` for anything else)."""

    def mark(view: _View) -> _View:
        view._api_scope = scope  # type: ignore[attr-defined]  # a mark on the function, read back by _authenticate
        return view

    return mark


def _refuse(exc_class: type[HTTPException], detail: str, error: str) -> NoReturn:
    exc = exc_class()
    # Read back by cop.api.errors.http_problem (getattr): werkzeug's exceptions do not declare them.
    exc.api_detail = detail  # type: ignore[attr-defined]
    challenge = f'Bearer realm="cop", error="{error}"'
    exc.data = {"headers": {"WWW-Authenticate": challenge}}  # type: ignore[attr-defined]
    raise exc


@bp.before_request
def _authenticate() -> None:
    """Only a bearer token authenticates: a session cookie is ignored, so there is nothing to forge."""
    raw = _bearer()
    if raw is None:
        _refuse(
            Unauthorized,
            "Send a personal access token: Authorization: Bearer <token> (create one on Edit profile).",
            "invalid_request",
        )
    token = tokens.authenticate(raw)
    if token is None:
        _refuse(
            Unauthorized,
            "This token is not valid: unknown, revoked or expired, or its account is disabled.",
            "invalid_token",
        )
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    scope = getattr(view, "_api_scope", None) or ("read" if request.method in ("GET", "HEAD", "OPTIONS") else "write")
    if scope not in token.scope_set:
        _refuse(Forbidden, f"This token does not have the “{scope}” scope.", "insufficient_scope")
    g.api_token, g.api_user = token, token.user


@bp.after_request
def _finish(response: Response) -> Response:
    token = g.pop("api_token", None)
    if token is not None:
        try:
            tokens.record_use(token)
        except Exception:  # noting the last use must never cost the answer
            current_app.logger.warning("could not record a token's use", exc_info=True)
            db.session.rollback()
    limit = limiter.current_limit
    if limit is not None:
        response.headers["RateLimit-Limit"] = str(limit.limit.amount)
        response.headers["RateLimit-Remaining"] = str(max(0, limit.remaining))
        response.headers["RateLimit-Reset"] = str(max(0, int(limit.reset_at - time.time())))
        if response.status_code == 429:
            response.headers.setdefault("Retry-After", response.headers["RateLimit-Reset"])
    if request.method in ("GET", "HEAD") and response.status_code == 200 and response.mimetype == "application/json":
        response.add_etag()
        response.make_conditional(request)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    return response


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    db.session.rollback()
    if isinstance(exc, Unavailable):
        return problem(503, exc.message)
    if exc.field:
        return problem(422, exc.message, errors=[{"field": exc.field, "message": exc.message}])
    return problem(409, exc.message)


@bp.errorhandler(storage.UploadTooLarge)
def _too_large(_exc: storage.UploadTooLarge) -> Response:
    db.session.rollback()
    return problem(413, f"The file is larger than {current_app.config['MAX_UPLOAD_MB']} MB.")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    db.session.rollback()
    return exc.response if exc.response is not None else http_problem(exc)


def user() -> User:
    owner: User = g.api_user
    return owner


def _created(body: Body, endpoint: str, **values: Any) -> BodyStatusHeaders:
    return body, 201, {"Location": url_for(endpoint, _external=True, **values)}


def _field_error(field: str, message: str) -> NoReturn:
    db.session.rollback()
    abort(problem(422, message, errors=[{"field": field, "message": message}]))


# --- who am I -------------------------------------------------------------------------------------


@bp.route("/me")
@bp.response(200, schemas.Me)
def me() -> Body:
    """The token's owner and what the token may do."""
    token, u = g.api_token, user()
    return {
        "handle": u.handle,
        "name": u.display_name,
        "email": u.email,
        "is_admin": bool(u.is_admin),
        "token_name": token.name,
        "scopes": sorted(token.scope_set),
        "token_expires_at": token.expires_at,
    }


# --- communities ---------------------------------------------------------------------------------


def _listed(slug: str) -> Community:
    return permissions.get_listed_community_or_404(slug[:60], user())


def _readable(slug: str) -> Community:
    return permissions.get_readable_community_or_404(slug[:60], user())


@bp.route("/communities")
@bp.arguments(schemas.CommunityListArgs, location="query")
@bp.response(200, CommunityPage)
def community_list(args: dict[str, Any]) -> BodyStatusHeaders:
    """Communities the owner may know about (as the directory), busiest first."""
    filters = {k: args[k] for k in ("q", "visibility", "stage", "mine")}
    body, headers = pagination.page(
        args,
        filters,
        lambda p, n: communities.directory(
            user(),
            query=args["q"],
            visibility=args["visibility"],
            stage=args["stage"],
            mine=args["mine"],
            page=p,
            per_page=n,
        ),
    )
    body["items"] = [serialize.community(c, user()) for c in body["items"]]
    return body, 200, headers


@bp.route("/communities/<slug>")
@bp.response(200, schemas.CommunityDetail)
def community(slug: str) -> Body:
    """One community's listing (its charter only for those who may read it)."""
    return serialize.community(_listed(slug), user(), detail=True)


@bp.route("/communities/<slug>/join", methods=["POST"])
@bp.arguments(schemas.JoinIn)
@bp.response(200, schemas.Membership)
def join(data: dict[str, Any], slug: str) -> Body:
    """Join an open community, accepting its guidelines."""
    membership = communities.join_community(user(), _listed(slug), data["accept_guidelines"])
    return {"status": membership.status, "role": membership.role}


@bp.route("/communities/<slug>/join-requests", methods=["POST"])
@bp.arguments(schemas.RequestIn)
@bp.response(201, schemas.Membership)
def request_to_join(data: dict[str, Any], slug: str) -> Body:
    """Ask to join a restricted community (its coordinators decide)."""
    membership = communities.request_to_join(user(), _listed(slug), data["accept_guidelines"], data["message"])
    return {"status": membership.status, "role": membership.role}


@bp.route("/communities/<slug>/leave", methods=["POST"])
@bp.arguments(schemas.LeaveIn)
@bp.response(200, schemas.Membership)
def leave(data: dict[str, Any], slug: str) -> Body:
    """Leave a community; its last coordinator names a successor by handle."""
    community = _listed(slug)
    successor = None
    if data["successor"]:
        successor = db.session.scalar(select(User).where(User.handle == data["successor"]))
        if successor is None:
            _field_error("successor", "No one has that handle.")
    communities.leave_community(user(), community, successor)
    return {"status": "left", "role": "member"}


@bp.route("/communities/<slug>/members")
@bp.arguments(schemas.ListArgs, location="query")
@bp.response(200, MemberPage)
def members(args: dict[str, Any], slug: str) -> BodyStatusHeaders:
    """Active members, coordinators first, by name (for those who may read the community)."""
    community = _listed(slug)
    permissions.require(permissions.can_view(user(), community))
    rows = communities.members(community)
    body, headers = pagination.page(args, {}, lambda p, n: pagination.slice_page(rows, p, n))
    body["items"] = [serialize.member(m) for m in body["items"]]
    return body, 200, headers


# --- threads and posts ------------------------------------------------------------------------------


@bp.route("/communities/<slug>/threads", endpoint="community_threads")
class CommunityThreads(MethodView):
    @bp.arguments(schemas.ThreadListArgs, location="query")
    @bp.response(200, ThreadPage)
    def get(self, args: dict[str, Any], slug: str) -> BodyStatusHeaders:
        """Threads with the thread list's filters and sorts (pinned first)."""
        community = _readable(slug)
        filters = {k: args[k] for k in ("kind", "priority", "status", "tag", "sort")}
        body, headers = pagination.page(
            args,
            filters,
            lambda p, n: discussions.thread_list(
                community,
                kind=args["kind"],
                priority=args["priority"] or "",
                status=args["status"],
                tag=args["tag"],
                sort=args["sort"],
                page=p,
                per_page=n,
            ),
        )
        body["items"] = [serialize.thread(t) for t in body["items"]]
        return body, 200, headers

    @bp.arguments(schemas.ThreadIn)
    @bp.response(201, schemas.ThreadDetail)
    @bp.doc(
        responses={
            201: {
                "links": {
                    "GetThread": {
                        "operationRef": "#/paths/~1api~1v1~1threads~1{thread_id}/get",
                        "parameters": {"thread_id": "$response.body#/id"},
                    },
                    "ReplyToThread": {
                        "operationRef": "#/paths/~1api~1v1~1threads~1{thread_id}~1posts/post",
                        "parameters": {"thread_id": "$response.body#/id"},
                    },
                    "ListReplies": {
                        "operationRef": "#/paths/~1api~1v1~1threads~1{thread_id}~1posts/get",
                        "parameters": {"thread_id": "$response.body#/id"},
                    },
                }
            }
        }
    )
    def post(self, data: dict[str, Any], slug: str) -> BodyStatusHeaders:
        """Start a thread (members; announcements: coordinators)."""
        community = _readable(slug)
        thread = discussions.create_thread(
            user(),
            community,
            title=data["title"],
            body=data["body"],
            kind=data["kind"],
            priority=data["priority"],
            tags=", ".join(data["tags"]),
        )
        return _created(serialize.thread_detail(thread), "api.thread", thread_id=thread.id)


def _thread(thread_id: int) -> Thread:
    return readable_thread(user(), thread_id, for_page=True)


def _post(post_id: int) -> Post:
    return readable_post(user(), post_id)


@bp.route("/threads/<int(max=2147483647):thread_id>")
@bp.response(200, schemas.ThreadDetail)
def thread(thread_id: int) -> Body:
    """A thread with its opening post (replies: ``/threads/{id}/posts``)."""
    return serialize.thread_detail(_thread(thread_id))


@bp.route("/threads/<int(max=2147483647):thread_id>/posts", endpoint="thread_posts")
class ThreadPosts(MethodView):
    @bp.arguments(schemas.ListArgs, location="query")
    @bp.response(200, PostPage)
    def get(self, args: dict[str, Any], thread_id: int) -> BodyStatusHeaders:
        """The replies in tree order (``depth`` and ``parent_id`` give the tree), as the thread page pages them."""
        thread = _thread(thread_id)

        def fetch(number: int, per_page: int) -> tuple[list[Post], bool]:
            posts, page, pages = discussions.replies_with_text(thread, number, per_page)
            return (posts if page == number else []), page < pages

        body, headers = pagination.page(args, {}, fetch)
        body["items"] = [serialize.post(p) for p in body["items"]]
        return body, 200, headers

    @bp.arguments(schemas.ReplyIn)
    @bp.response(201, schemas.Post)
    @bp.doc(
        responses={
            201: {
                "links": {
                    "GetPost": {
                        "operationRef": "#/paths/~1api~1v1~1posts~1{post_id}/get",
                        "parameters": {"post_id": "$response.body#/id"},
                    },
                    "EditPost": {
                        "operationRef": "#/paths/~1api~1v1~1posts~1{post_id}/patch",
                        "parameters": {"post_id": "$response.body#/id"},
                    },
                }
            }
        }
    )
    def post(self, data: dict[str, Any], thread_id: int) -> BodyStatusHeaders:
        """Reply to the thread (to its opening post unless ``parent_id`` names another post of it)."""
        thread = _thread(thread_id)
        parent = thread.opening_post
        if data["parent_id"] is not None:
            parent = db.session.get(Post, data["parent_id"])
            if parent is None or parent.thread_id != thread.id:
                _field_error("parent_id", "That post is not part of this thread.")
        post = discussions.reply(user(), thread, parent, data["body"])
        return _created(serialize.post(post), "api.post", post_id=post.id)


@bp.route("/threads/<int(max=2147483647):thread_id>/accepted-answer", methods=["PUT"])
@bp.arguments(schemas.AcceptIn)
@bp.response(200, schemas.Thread)
def accept(data: dict[str, Any], thread_id: int) -> Body:
    """Mark a reply as the accepted answer of a question, or unmark it with ``null`` (asker, coordinators)."""
    thread = _thread(thread_id)
    post = None
    if data["post_id"] is not None:
        post = db.session.get(Post, data["post_id"])
        if post is None:
            _field_error("post_id", "There is no such post.")
    discussions.set_accepted(user(), thread, post)
    return serialize.thread(thread)


@bp.route("/posts/<int(max=2147483647):post_id>", endpoint="post")
class PostResource(MethodView):
    @bp.response(200, schemas.Post)
    def get(self, post_id: int) -> Body:
        """One post (a removed one without its text)."""
        return serialize.post(_post(post_id))

    @bp.arguments(schemas.EditIn)
    @bp.response(200, schemas.Post)
    def patch(self, data: dict[str, Any], post_id: int) -> Body:
        """Replace your post's text (the previous version is kept in its history)."""
        post = _post(post_id)
        discussions.edit_post(user(), post, data["body"])
        return serialize.post(post)

    @bp.response(204)
    def delete(self, post_id: int) -> None:
        """Remove a post (its author or a coordinator); removing the opening post removes the thread."""
        post = _post(post_id)
        if not permissions.can_delete_post(user(), post):
            raise NotAllowed("You cannot delete this post.")
        discussions.delete_post(user(), post)
        return None


# --- library ----------------------------------------------------------------------------------------


@bp.route("/communities/<slug>/resources", endpoint="community_resources")
class CommunityResources(MethodView):
    @bp.arguments(schemas.ResourceListArgs, location="query")
    @bp.response(200, ResourcePage)
    def get(self, args: dict[str, Any], slug: str) -> BodyStatusHeaders:
        """The library: featured first, then by ``sort``, filtered by kind and tag."""
        community = _readable(slug)
        filters = {k: args[k] for k in ("kind", "tag", "sort")}
        body, headers = pagination.page(
            args,
            filters,
            lambda p, n: library.library_page(
                community, kind=args["kind"], tag=args["tag"], sort=args["sort"], page=p, per_page=n
            ),
        )
        body["items"] = [serialize.resource(r) for r in body["items"]]
        return body, 200, headers

    @bp.arguments(schemas.ResourceIn)
    @bp.response(201, schemas.Resource)
    def post(self, data: dict[str, Any], slug: str) -> BodyStatusHeaders:
        """Share a link or start a document (members). Files: upload with the page, then versions here."""
        community = _readable(slug)
        fields = dict(title=data["title"], description=data["description"], tags=", ".join(data["tags"]))
        if data["kind"] == "link":
            resource = library.add_link(user(), community, url=data["url"] or "", **fields)
        else:
            resource = library.add_document(
                user(), community, body=data["body"] or "", change_note=data["change_note"], **fields
            )
        return _created(serialize.resource(resource), "api.resource", resource_id=resource.id)


def _resource(resource_id: int) -> Resource:
    return permissions.readable_or_404(user(), library.get_resource_or_none(resource_id))


@bp.route("/resources/<int(max=2147483647):resource_id>")
@bp.response(200, schemas.Resource)
def resource(resource_id: int) -> Body:
    """One resource's metadata (its content: ``download_url`` with a session, or the versions)."""
    return serialize.resource(_resource(resource_id))


@bp.route("/resources/<int(max=2147483647):resource_id>/versions", endpoint="resource_versions")
class ResourceVersions(MethodView):
    @bp.arguments(schemas.ListArgs, location="query")
    @bp.response(200, VersionPage)
    def get(self, args: dict[str, Any], resource_id: int) -> BodyStatusHeaders:
        """Every version, newest first (a document's with its Markdown)."""
        resource = _resource(resource_id)
        rows = library.versions(resource)
        body, headers = pagination.page(args, {}, lambda p, n: pagination.slice_page(rows, p, n))
        body["items"] = [serialize.version(resource, v) for v in body["items"]]
        return body, 200, headers

    @bp.arguments(schemas.VersionFormIn, location="form")
    @bp.arguments(schemas.VersionFileIn, location="files")
    @bp.response(201, schemas.Version)
    def post(self, form: dict[str, Any], files: dict[str, Any], resource_id: int) -> Response | BodyStatusHeaders:
        """Upload a file resource's next version (its author and the coordinators), as multipart/form-data."""
        resource = _resource(resource_id)
        if resource.kind != "file":
            return problem(409, "Only file resources take uploaded versions; documents are edited on their page.")
        upload = files["file"]
        version = library.upload_version(
            user(), resource, stream=upload.stream, filename=upload.filename, change_note=form["change_note"]
        )
        return _created(serialize.version(resource, version), "api.resource_versions", resource_id=resource.id)


# --- tags and search --------------------------------------------------------------------------------


@bp.route("/tags")
@bp.arguments(schemas.TagListArgs, location="query")
@bp.response(200, schemas.TagList)
def tag_list(args: dict[str, Any]) -> Body:
    """Tags by how often the owner can see them used, with that count."""
    found = tags.popular_tags(user(), prefix=normalize_tag(args["prefix"]), limit=args["limit"])
    return {"items": [{"name": tag.name, "uses": uses} for tag, uses in found]}


@bp.route("/tags/<name>")
@bp.response(200, schemas.TagDetail)
def tag(name: str) -> Body:
    """Everything with a tag the owner may see: totals and the newest threads and resources."""
    found = tags.visible_tag_or_none(user(), name[:60])
    if found is None:
        abort(404)
    page = tags.tag_page(user(), found)
    return {
        "name": found.name,
        "threads_total": page.threads.total,
        "resources_total": page.resources.total,
        "communities_total": page.communities.total,
        "people_total": page.people.total,
        "threads": [serialize.thread(t) for t in page.threads.items],
        "resources": [serialize.resource(r) for r in page.resources.items],
        "communities": [c.slug for c in page.communities.items],
    }


_HIT_PAGES = {
    "thread": ("discussions.thread", "thread_id"),
    "resource": ("library.resource", "resource_id"),
    "community": ("communities.community_home", "slug"),
    "person": ("accounts.profile", "handle"),
}


def _hit(hit: Hit) -> Body:
    endpoint, argument = _HIT_PAGES[hit.type]
    value = {"slug": getattr(hit.obj, "slug", None), "handle": getattr(hit.obj, "handle", None)}.get(argument, hit.id)
    community = getattr(hit.obj, "community", None) if hit.type in ("thread", "resource") else None
    return {
        "type": hit.type,
        "id": hit.id,
        "title": Markup(hit.title).striptags(),
        "snippet_html": str(hit.snippet),
        "community": community.slug if community is not None else None,
        "url": url_for(endpoint, _external=True, **{argument: value}),
    }


@bp.route("/search", endpoint="search")
@bp.arguments(schemas.SearchArgs, location="query")
@bp.response(200, schemas.SearchResults)
def search_(args: dict[str, Any]) -> Response | BodyStatusHeaders:
    """Search what the owner may read, with the search page's query language, facets and sorts."""
    community = _readable(args["community"]) if args["community"] else None
    filters = {k: args[k] for k in ("q", "type", "community", "tag", "author", "date", "kind", "status", "sort")}
    number, per_page = pagination.position(args, filters)
    text = "".join(c if c.isprintable() else " " for c in args["q"]).strip()
    try:
        results = search.search(
            user(),
            text,
            page=number,
            sort=args["sort"],
            per_page=per_page,
            type=args["type"] or None,
            community_id=community.id if community else None,
            tag=args["tag"].lower(),
            author=str(args["author"]) if args["author"] else None,
            date=args["date"],
            kind=args["kind"],
            status=args["status"],
        )
    except search.QueryError as exc:
        return problem(422, exc.message, errors=[{"field": "query:q", "message": exc.message}])
    except search.SearchUnavailable:
        return problem(503, "Search is temporarily unavailable; everything else works.", headers={"Retry-After": "60"})
    cursor = pagination.next_cursor(number, per_page, filters, results.page == number and number < results.pages)
    return (
        {
            "total": results.total,
            "items": [_hit(h) for h in results.hits] if results.page == number else [],
            "facets": [
                {
                    "name": f.name,
                    "label": f.label,
                    "options": [{"value": v, "label": label, "count": n} for v, label, n in f.options],
                }
                for f in results.facets
            ],
            "suggestion": results.suggestion,
            "next_cursor": cursor,
        },
        200,
        pagination.link_header(cursor),
    )


# --- meetings ---------------------------------------------------------------------------------------


def _event(event_id: int) -> Event:
    return permissions.readable_or_404(user(), events.get_event_or_none(event_id))


def _meeting(event: Event) -> Body:
    counts = events.rsvp_counts(event) if permissions.can_see_attendees(user(), event.community) else None
    return serialize.meeting(event, my_response=events.response_of(user(), event), counts=counts)


@bp.route("/communities/<slug>/meetings")
@bp.arguments(schemas.MeetingListArgs, location="query")
@bp.response(200, MeetingPage)
def meeting_list(args: dict[str, Any], slug: str) -> BodyStatusHeaders:
    """Upcoming meetings (soonest first, cancelled ones marked) or past ones (latest first)."""
    community = _readable(slug)
    body, headers = pagination.page(
        args, {"when": args["when"]}, lambda p, n: events.meeting_list(community, args["when"], p, n)
    )
    body["items"] = [serialize.meeting(e) for e in body["items"]]
    return body, 200, headers


@bp.route("/meetings/<int(max=2147483647):event_id>")
@bp.response(200, schemas.Meeting)
def meeting(event_id: int) -> Body:
    """One meeting, your answer, and how many answered what (for the community's people)."""
    return _meeting(_event(event_id))


@bp.route("/meetings/<int(max=2147483647):event_id>/rsvp", methods=["PUT"])
@bp.arguments(schemas.RsvpIn)
@bp.response(200, schemas.Rsvp)
def rsvp(data: dict[str, Any], event_id: int) -> Body:
    """Answer a meeting: yes, maybe or no (members, before it is over)."""
    event = _event(event_id)
    answer = events.respond(user(), event, data["response"])
    return {"meeting_id": event.id, "response": answer.response}


# --- notifications ----------------------------------------------------------------------------------


def _notification(n: Notification) -> Body:
    endpoint, values = notifications.target_of(n)
    return {
        "id": n.id,
        "kind": n.kind,
        "text": notifications.describe(n),
        "community": n.community.slug,
        "thread_id": n.thread_id,
        "post_id": n.post_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "url": url_for(endpoint, _external=True, **values),
    }


@bp.route("/notifications")
@bp.arguments(schemas.ListArgs, location="query")
@bp.response(200, NotificationPage)
def notification_list(args: dict[str, Any]) -> BodyStatusHeaders:
    """The owner's notifications they may still see, newest first."""
    body, headers = pagination.page(args, {}, lambda p, n: notifications.notification_page(user(), p, n))
    body["items"] = [_notification(n) for n in body["items"]]
    return body, 200, headers


@bp.route("/notifications/<int(max=2147483647):notification_id>/read", methods=["POST"])
@bp.response(200, schemas.Notification)
def notification_read(notification_id: int) -> Body:
    """Mark one notification read."""
    found = notifications.open_notification(user(), notification_id)
    if found is None:
        abort(404)
    return _notification(found)


@bp.route("/notifications/read-all", methods=["POST"])
@bp.response(200, schemas.ReadAll)
def notifications_read_all() -> Body:
    """Mark every notification read."""
    return {"marked": notifications.mark_all_read(user())}


# --- reports (the ``report`` scope) -------------------------------------------------------------------


def _score(s: ObjectiveScore) -> Body:
    return {
        "title": s.title,
        "business_goal": s.business_goal,
        "metric": s.metric.key,
        "baseline": s.baseline,
        "target": s.target,
        "due_on": s.due_on,
        "current": s.current,
        "progress_percent": s.progress_percent,
        "status": s.status,
    }


@bp.route("/communities/<slug>/report")
@requires("report")
@bp.arguments(schemas.PeriodArgs, location="query")
@bp.response(200, schemas.Report)
def report(args: dict[str, Any], slug: str) -> Body:
    """The community report's figures over the last 7, 30 or 90 days (sponsors, coordinators, administrators)."""
    community = permissions.get_overseen_community_or_404(slug[:60], user())
    found = reports.reused_report(community, periods.Period.last(args["period"]), user(), recent=True)
    return {
        "community": community.slug,
        "name": found.name,
        "period": serialize.span(found.period),
        "previous": serialize.span(found.previous),
        "generated_at": found.generated_at,
        "main_department": found.main_department,
        "sections": [
            {"key": key, "title": title, "figures": [serialize.figure(f) for f in figures]}
            for key, title, figures in found.sections
        ],
        "objectives": [_score(s) for s in found.objectives],
    }


@bp.route("/portfolio")
@requires("report")
@bp.arguments(schemas.PeriodArgs, location="query")
@bp.response(200, schemas.Portfolio)
def portfolio(args: dict[str, Any]) -> Body:
    """The sponsor's portfolio: one row per community sponsored (administrators: all)."""
    period = periods.Period.last(args["period"])
    rows = portfolios.portfolio(user(), period, reuse=True)
    return {
        "period": serialize.span(period),
        "items": [
            {
                "community": r.slug,
                "name": r.name,
                "stage": r.stage,
                "visibility": r.visibility,
                "figures": [serialize.figure(f) for f in r.figures],
                "objectives_total": r.objectives_total,
            }
            for r in rows
        ],
    }
