from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request, url_for
from flask_login import current_user

from cop.forms import page_arg
from cop.search import services
from cop.viewer import readable_community

bp = Blueprint("search", __name__)

ARGS = ("q", "type", "community", "tag", "author", "date", "kind", "status", "sort")


def _scope(slug: str):
    """The community a search is limited to (``?community=<slug>``).

    :raise 404: unknown, or not readable by the user (same answer for both).
    """
    if not slug:
        return None
    return readable_community(slug[:60])


def _facet_url(args: dict, name: str, value: str | None) -> str:
    """This search with one facet set (or cleared with ``None``), back on page 1.

    The path is built once per request: a results page links some 60 facet values, and ``url_for`` for
    each was a tenth of the page's time in Python.
    """
    merged = {k: v for k, v in args.items() if v and k != name}
    if value:
        merged[name] = value
    if "_search_path" not in g:
        g._search_path = url_for("search.search")
    return f"{g._search_path}?{urlencode(merged)}" if merged else g._search_path


@bp.route("/search")
def search():
    # Control characters (a NUL byte cannot even be stored in PostgreSQL) become spaces.
    args = {
        name: "".join(c if c.isprintable() else " " for c in (request.args.get(name) or "")[:300]).strip()
        for name in ARGS
    }
    community = _scope(args["community"])
    text = args["q"]
    context = dict(
        args=args,
        community=community,
        results=None,
        message=None,
        facet_url=_facet_url,
        type_labels=services.TYPE_LABELS,
        phrase_candidates=f"{services.PHRASE_CANDIDATES:,}",
    )
    if not text:
        return render_template("search/results.html", **context)
    page = page_arg(request)
    sort = args["sort"] if args["sort"] in services.SORTS else "relevance"
    author = args["author"] if args["author"].isdigit() else None
    try:
        results = services.search(
            current_user,
            text,
            page=page,
            sort=sort,
            type=args["type"] or None,
            community_id=community.id if community else None,
            tag=args["tag"].lower(),
            author=author,
            date=args["date"],
            kind=args["kind"],
            status=args["status"],
        )
    except services.QueryError as exc:
        return render_template("search/results.html", **dict(context, message=exc.message)), 400
    except services.SearchUnavailable:
        return render_template(
            "search/results.html",
            **dict(
                context,
                message="Search is temporarily unavailable. Everything else works; please try again in a few minutes.",
                unavailable=True,
            ),
        ), 503
    # Rendered before the log is written: its commit expires every loaded hit, and the page
    # would then reload each one (three queries per hit).
    page_html = render_template("search/results.html", **dict(context, results=results, sort=sort))
    if page == 1:
        services.record_search(current_user, text, community, results.total)
    return page_html


@bp.app_template_global()
def similar_threads(user, title):
    """Up to five threads like ``title`` that ``user`` may read (the new-thread form)."""
    return services.similar_threads(user, title)


@bp.app_template_global()
def related_threads(user, thread):
    """Up to five threads like ``thread`` that ``user`` may read (the thread page)."""
    return services.related_threads(user, thread)


@bp.app_template_global()
def knowledge_gaps(community):
    """The community's open knowledge gaps (its page shows them to members)."""
    return services.knowledge_gaps(community)
