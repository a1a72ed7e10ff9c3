"""The API's human documentation, ``/api``: the OpenAPI document rendered on the server.

No viewer to vendor and no script at all (a strict CSP allows none inline): every operation,
its parameters, body, answers and the webhook payload are listed from the same document that
``/api/v1/openapi.json`` serves, so the page can never disagree with the API.
"""

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)

DESCRIPTION = (
    "cop's REST API: read and write communities, threads, libraries and meetings with exactly the rights of the "
    "person whose personal access token is sent (`Authorization: Bearer <token>`; create one on Edit profile, "
    "with the scopes `read`, `write` and `report`). Lists are paginated with opaque cursors (`next_cursor` and a "
    '`Link: <...>; rel="next"` header); reads carry an `ETag` (send `If-None-Match` for a 304); every time is '
    "ISO 8601 in UTC; errors are RFC 9457 problem documents (`application/problem+json`) with field errors; "
    "each token is rate limited (`RateLimit-*` headers, 429 with `Retry-After`)."
)
METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = (op.get("requestBody") or {}).get("content", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["api"])[0],
                    "parameters": [p for p in item.get("parameters", []) + op.get("parameters", []) if "name" in p],
                    "body": [
                        (content_type, _ref_name(media.get("schema")) or "object")
                        for content_type, media in body.items()
                    ],
                    "responses": [
                        (code, response.get("description", "") if isinstance(response, dict) else "")
                        for code, response in op.get("responses", {}).items()
                    ],
                    "anchor": f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
                }
            )
    return operations


@bp.route("/api")
def index() -> str:
    """The API's documentation for anyone (it holds no data): operations, schemas and webhooks."""
    from cop.api import current_api

    spec = current_api().spec.to_dict()
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=_operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
        webhooks=spec.get("webhooks", {}),
        ref_name=_ref_name,
    )
