"""Errors of the API as RFC 9457 problem documents (``application/problem+json``).

Only requests under ``/api/v1`` get them (``is_api_request``); every page keeps its HTML error
page. Field errors are a list of ``{"field", "message"}`` (``field`` is a dotted path into the
JSON body, the query string or the form), so a client can show each next to what it sent.
"""

import json

from flask import Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

API_PREFIX = "/api/v1"
PROBLEM = "application/problem+json"


def is_api_request() -> bool:
    path = request.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages: object, prefix: str = "") -> list[dict[str, str]]:
    """webargs/marshmallow messages (``{"json": {"title": ["..."]}}``) as a flat list of field errors."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            found += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            found += [{"field": prefix, "message": m} for m in messages]
        else:
            for index, value in enumerate(messages):
                found += _flatten(value, f"{prefix}.{index}")
    else:
        found.append({"field": prefix, "message": str(messages)})
    return found


DETAILS = {
    400: "The request could not be read.",
    401: "Send a personal access token: Authorization: Bearer <token> (create one on Edit profile).",
    403: "This token or its owner may not do that.",
    404: "There is nothing here, or it is not visible to this token's owner.",
    405: "This address does not accept that method.",
    413: "The request body is larger than this API accepts.",
    415: "Send the body as application/json (file uploads as multipart/form-data).",
    422: "Some fields are missing or invalid.",
    429: "Too many requests with this token: wait until the time in Retry-After.",
    500: "An unexpected error happened on our side. It has been logged.",
}


def http_problem(exc: HTTPException) -> Response:
    """The problem document for an HTTP error raised anywhere while serving an API request."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = []
    for location, messages in (data.get("messages") or {}).items():
        for error in _flatten(messages):
            error["field"] = error["field"] if location == "json" else f"{location}:{error['field']}"
            errors.append(error)
    general = [e["message"] for e in errors if e["field"] in ("", "json")]  # about the whole body, e.g. bad JSON
    errors = [e for e in errors if e["field"] not in ("", "json")]
    detail = data.get("message") or getattr(exc, "api_detail", None) or " ".join(general) or DETAILS.get(status)
    if status == 400 and not data and exc.description and "could not understand" not in exc.description:
        detail = exc.description
    headers = dict(data.get("headers") or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="cop"')
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem(status, detail, errors=errors or None, headers=headers)
