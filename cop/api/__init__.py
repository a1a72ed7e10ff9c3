"""The REST API, ``/api/v1`` (JSON), built with flask-smorest: its OpenAPI 3.1 document comes from the code.

Why flask-smorest (over APIFlask and SpecTree): it is an extension for a plain Flask app and its
blueprints (APIFlask wants the app itself to be an ``APIFlask``), it documents marshmallow
schemas as OpenAPI 3.1 (nullable as ``["string", "null"]``) and serves the document without any
CDN-hosted viewer (SpecTree registers Swagger, ReDoc and Scalar pages loaded from CDNs), and it
is quiet under ``-W error``. Its app-wide JSON error handler is switched off (``CopApi``): pages
keep their HTML error pages and API errors are RFC 9457 problem documents (``cop.api.errors``).

Who calls: a personal access token (``Authorization: Bearer``), never a session cookie, so the
API has no CSRF surface and is exempt from the CSRF check. Every endpoint asks ``cop.permissions``
and writes through the same services as the pages.
"""

import http
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from cop.api.errors import PROBLEM, http_problem

API_TITLE = "cop API"
API_VERSION = "1"


class CopApi(Api):  # type: ignore[misc]  # flask-smorest ships no type information
    """flask-smorest's ``Api`` documenting errors as problem documents, without taking over the app's error pages.

    The OpenAPI document is completed on first use (``spec``: ``/api/v1/openapi.json``, ``/api``, the
    ``flask openapi`` commands), not while the app is made: documenting every operation's schemas took
    half of ``create_app``'s time, paid by every worker and every test's app, and only the documentation
    reads it. The steps run once, in the order flask-smorest runs them eagerly, so the document is the same.
    """

    def __init__(self, app: Flask) -> None:
        self._spec_lock = threading.RLock()
        self._spec_steps: list[Callable[[], None]] = []
        self._collecting_spec_steps = True  # until init_app has registered everything
        self._applying_spec_steps = False
        super().__init__(app)

    @property
    def spec(self) -> Any:
        """The app's OpenAPI document (``apispec.APISpec``), its deferred steps applied on first use."""
        if self._spec_steps and not self._collecting_spec_steps:
            with self._spec_lock:
                # The thread applying the steps reads ``spec`` too (flask-smorest's helpers): it gets the document.
                if not self._applying_spec_steps:
                    self._applying_spec_steps = True
                    try:
                        while self._spec_steps:
                            self._spec_steps.pop(0)()
                    finally:
                        self._applying_spec_steps = False
        return self._apispec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._apispec = value

    def document(self, step: Callable[[], None]) -> None:
        """Run ``step`` (which adds to ``spec``) when the document is first read, after the steps before it."""
        self._spec_steps.append(step)

    def registered(self) -> None:
        """Everything is registered: the next read of ``spec`` applies the steps."""
        self._collecting_spec_steps = False

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Register ``blp`` on the app now and document its views later (flask-smorest does both at once)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def document_views() -> None:
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})

        self.document(document_views)

    def _register_error_handlers(self) -> None:
        """Nothing app-wide: ``cop.register_errorhandlers`` answers API paths with problem documents."""

    # flask-smorest's own steps of the document, deferred in the order it runs them.
    def _register_responses(self) -> None:
        self.document(self._document_responses)

    def _register_etag_headers(self) -> None:
        self.document(super()._register_etag_headers)

    def _register_pagination_header(self) -> None:
        self.document(super()._register_pagination_header)

    def _document_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as an RFC 9457 problem document", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def current_api() -> CopApi:
    """This app's ``CopApi`` (each app made by ``create_app`` has its own, and its own OpenAPI document)."""
    api: CopApi = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api


def init_app(app: Flask) -> None:
    """Configure and register the API, its documentation and its hooks on ``app``."""
    from cop.api import docs, tokens_views, views
    from cop.api.schemas import Problem
    from cop.extensions import csrf
    from cop.webhooks.payloads import WEBHOOKS_DOC, WebhookEvent

    CopApi.ERROR_SCHEMA = Problem
    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_RATE_LIMIT", "300 per minute")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": docs.DESCRIPTION},
            "security": [{"bearer": []}],
            "webhooks": WEBHOOKS_DOC,
        },
    )
    api = CopApi(app)

    def document_security_and_webhooks() -> None:
        api.spec.components.security_scheme(
            "bearer", {"type": "http", "scheme": "bearer", "description": "A personal access token from Edit profile."}
        )
        api.spec.components.schema("WebhookEvent", schema=WebhookEvent)

    api.document(document_security_and_webhooks)
    csrf.exempt(views.bp)
    api.register_blueprint(views.bp)
    api.registered()
    app.register_blueprint(docs.bp)
    app.register_blueprint(tokens_views.bp)


def api_error_response(exc: HTTPException) -> Response | None:
    """The problem document for ``exc`` when the request is an API request (else None)."""
    from cop.api.errors import is_api_request

    return http_problem(exc) if is_api_request() else None
