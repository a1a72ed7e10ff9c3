"""Feed routes: Atom feeds of threads and iCalendar feeds of meetings, for feed readers and calendar
programs. They have no session, so there is no login redirect (``cop.access.PUBLIC_ENDPOINTS``): who
reads a feed is ``_reader``'s answer, and ``services`` decides what that reader may see.
"""

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from cop.discussions.models import Thread
from cop.events import ical, services as event_services
from cop.feeds import services
from cop.search import services as search_services
from cop.tags import services as tag_services

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
ICS = "text/calendar; charset=utf-8"


def _reader():
    """The user a feed is read as: the owner of ``?token=``, else the signed-in user, else None (an
    anonymous reader, who gets open communities' content only).

    :raise 404: a token that belongs to no enabled account (reset, disabled or made up): the address
        simply stops existing, for Atom and iCalendar feeds alike; it never silently falls back to
        less content.
    """
    token = request.args.get("token")
    if token is not None:
        return _token_owner(token)
    return current_user._get_current_object() if current_user.is_authenticated else None


def _token_owner(token: str):
    """:raise 404: no enabled account has this feed token."""
    user = services.user_for_token(token)
    if user is None:
        abort(404)
    return user


def _unindexed(body: bytes, mimetype: str, content_type: str) -> Response:
    """A feed document that search engines are asked not to index."""
    response = Response(body, mimetype=mimetype, content_type=content_type)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _atom(body: bytes) -> Response:
    return _unindexed(body, "application/atom+xml", ATOM)


def _thread_url(thread) -> str:
    return url_for("discussions.thread", thread_id=thread.id, _external=True)


@bp.route("/c/<slug>/feed.atom")
def community_feed(slug):
    """:raise 404: no such community, or its content is not readable by the reader."""
    reader = _reader()
    community = services.community_for_feed(reader, slug)
    if community is None:
        abort(404)
    return _atom(
        services.atom_feed(
            feed_id=url_for("communities.community_home", slug=community.slug, _external=True) + "#feed",
            title=f"{community.name} · cop",
            subtitle=community.domain,
            link=url_for("discussions.thread_list", slug=community.slug, _external=True),
            self_link=url_for(".community_feed", slug=community.slug, _external=True),
            threads=services.community_threads(community),
            thread_url=_thread_url,
        )
    )


@bp.route("/tags/<name>/feed.atom")
def tag_feed(name):
    """:raise 404: no such tag, or no thread with it is readable by the reader."""
    reader = _reader()
    tag = tag_services.get_tag(name)
    if tag is None:
        abort(404)
    threads = services.tag_threads(reader, tag)
    if not threads:
        abort(404)
    return _atom(
        services.atom_feed(
            feed_id=url_for("tags.tag", name=tag.name, _external=True) + "#feed",
            title=f"#{tag.name} · cop",
            subtitle=f"Threads tagged {tag.name}",
            link=url_for("tags.tag", name=tag.name, _external=True),
            self_link=url_for(".tag_feed", name=tag.name, _external=True),
            threads=threads,
            thread_url=_thread_url,
        )
    )


@bp.route("/search/feed.atom")
def search_feed():
    """The newest threads matching a saved search (``?q=``), as the reader may see them.

    Search is only for people: without a token or a session the feed is
    valid but empty. :raise 400: a query that cannot be searched.
    :raise 503: the search index is unavailable.
    """
    reader = _reader()
    text = " ".join(services.xml_text(request.args.get("q", "")).split())[: search_services.MAX_QUERY_CHARS]
    threads: list[Thread] = []
    if text:
        try:
            results = search_services.search(reader, text, sort="date", type="thread", per_page=services.FEED_LENGTH)
        except search_services.QueryError:
            abort(400)
        except search_services.SearchUnavailable:
            abort(503)
        threads = [hit.obj for hit in results.hits if isinstance(hit.obj, Thread)]  # the hits of type "thread"
    return _atom(
        services.atom_feed(
            feed_id=url_for("search.search", q=text, _external=True) + "#feed",
            title=f"Search: {text} · cop",
            subtitle=f"Newest threads matching “{text}”",
            link=url_for("search.search", q=text, _external=True),
            self_link=url_for(".search_feed", q=text, _external=True),
            threads=threads,
            thread_url=_thread_url,
        )
    )


# --- iCalendar feeds -------------------------------------------------------------------------


def ics_response(body: bytes) -> Response:
    """An iCalendar document (feeds here, one meeting's download in ``cop.events.views``)."""
    return _unindexed(body, "text/calendar", ICS)


def meeting_url(event) -> str:
    return url_for("events.meeting", event_id=event.id, _external=True)


@bp.route("/c/<slug>/meetings.ics")
def community_calendar(slug):
    """A community's meetings. Open communities: anyone; the others: members by token (or session).

    :raise 404: no such community, not readable by the reader, or a wrong token.
    """
    reader = _reader()
    community = services.community_for_feed(reader, slug)
    if community is None:
        abort(404)
    return ics_response(
        ical.calendar(
            event_services.community_feed_events(community), name=f"{community.name} meetings", page_url=meeting_url
        )
    )


@bp.route("/account/meetings.ics")
def my_calendar():
    """Every meeting of every community the token's owner is an active member of.

    :raise 404: no token (a session is not enough: the address is what calendar programs keep), or a
        token that belongs to no enabled account.
    """
    user = _token_owner(request.args.get("token", ""))
    return ics_response(
        ical.calendar(event_services.personal_feed_events(user), name="My cop meetings", page_url=meeting_url)
    )


@bp.route("/account/feed-token/reset", methods=["POST"])
def reset_token():
    """Create the signed-in user's feed token, or replace it (every old feed address stops working)."""
    services.reset_feed_token(current_user._get_current_object())
    flash("Your feed addresses have changed. Feed readers using the old ones will stop receiving updates.", "success")
    return redirect(url_for("accounts.edit_profile") + "#feeds")


@bp.app_context_processor
def _feed_helpers():
    def feed_url(endpoint, private=True, **values):
        """A feed's address for the signed-in user: with their token when the content is not open."""
        if private and current_user.is_authenticated and current_user.feed_token:
            values["token"] = current_user.feed_token
        return url_for(endpoint, _external=True, **values)

    return {"feed_url": feed_url, "feed_communities": services.member_communities}
