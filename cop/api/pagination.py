"""Cursor pagination for API lists: opaque, signed cursors and ``Link`` headers.

A cursor names a position in one list with one set of filters (the page and page size the
services' paginations take, and a digest of the endpoint and its filters). It is signed with
the app's secret: a client cannot forge one or move it to another list (both are a 400), and
the lists stay the very queries the pages use.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import BadRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_PAGE = 10_000
_SALT = "cop.api.cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _scope(filters: dict[str, Any]) -> str:
    """A digest of the list (endpoint and path arguments) and its filters."""
    described = json.dumps(
        [request.endpoint, request.view_args, sorted((k, str(v)) for k, v in filters.items())],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(described.encode()).hexdigest()[:16]


class BadCursor(BadRequest):
    """A cursor that is not one of this list's: a 400 whose problem document says so."""

    api_detail = "The cursor is not valid for this list: start again without it."


def position(args: dict[str, Any], filters: dict[str, Any]) -> tuple[int, int]:
    """``(page, per_page)`` from the request's ``cursor`` and ``limit``.

    :raise 400: a cursor that is forged, damaged or from another list or filter set.
    """
    raw = args.get("cursor")
    if not raw:
        return 1, args.get("limit") or DEFAULT_LIMIT
    try:
        data = _serializer().loads(raw)
    except (BadSignature, UnicodeError, ValueError):
        raise BadCursor() from None
    if (
        not isinstance(data, dict)
        or data.get("s") != _scope(filters)
        or not isinstance(data.get("p"), int)
        or not isinstance(data.get("n"), int)
        or not 1 <= data["p"] <= MAX_PAGE
        or not 1 <= data["n"] <= MAX_LIMIT
    ):
        raise BadCursor()
    return data["p"], data["n"]


def next_cursor(page: int, per_page: int, filters: dict[str, Any], has_next: bool) -> str | None:
    if not has_next or page >= MAX_PAGE:
        return None
    return _serializer().dumps({"p": page + 1, "n": per_page, "s": _scope(filters)})


def link_header(cursor: str | None) -> dict[str, str]:
    """``{"Link": '<...?cursor=...>; rel="next"'}`` for the same list and filters, or ``{}``."""
    if cursor is None:
        return {}
    query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "limit")]
    query.append(("cursor", cursor))
    return {"Link": f'<{request.base_url}?{urlencode(query)}>; rel="next"'}


def page(
    args: dict[str, Any], filters: dict[str, Any], fetch: Callable[[int, int], Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """One page of a list: ``fetch(page, per_page)`` returns a Flask-SQLAlchemy pagination or
    ``(items, has_next)``. Returns the envelope ``{"items", "next_cursor"}`` and its headers."""
    number, per_page = position(args, filters)
    found = fetch(number, per_page)
    items, has_next = (found.items, found.has_next) if hasattr(found, "has_next") else found
    cursor = next_cursor(number, per_page, filters, has_next)
    return {"items": list(items), "next_cursor": cursor}, link_header(cursor)


def slice_page(rows: list[Any], number: int, per_page: int) -> tuple[list[Any], bool]:
    """A page of an in-memory list as ``(items, has_next)``."""
    start = (number - 1) * per_page
    return rows[start : start + per_page], len(rows) > start + per_page
