"""``/healthz``: may this host take traffic? For load balancers and monitoring; no login, no secrets."""

import logging
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from cop.extensions import db
from cop.ops import querycount
from cop.search import index

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)
bp.record_once(lambda state: querycount.init_app(state.app))


def health() -> tuple[dict, bool]:
    """The site's state and whether the database answers.

    ``search_index.state`` is ``ok``, ``behind`` (changes waiting in the outbox),
    ``unavailable`` (missing or broken: search says so, other pages work) or
    ``unknown`` (the database did not answer). Nothing in it names a path, a
    host or a credential.
    """
    report: dict[str, Any] = {
        "status": "ok",
        "database": "ok",
        "search_index": {"state": "unknown", "documents": None, "applied": None, "pending": None},
    }
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        log.warning("health check: the database does not answer", exc_info=True)
        db.session.rollback()
        report.update(status="error", database="error")
        return report, False
    try:
        info = index.status()
    except Exception:
        log.warning("health check: index status failed", exc_info=True)
        report["status"] = "degraded"
        report["search_index"]["state"] = "unavailable"
        return report, True
    state = "ok" if info["available"] else "unavailable"
    if info["available"] and info["backlog"]:
        state = "behind"
    report["search_index"] = {
        "state": state,
        "documents": info["documents"],
        "applied": info["last_applied"],
        "pending": info["backlog"],
    }
    if state == "unavailable":
        report["status"] = "degraded"
    return report, True


@bp.route("/healthz")
def healthz():
    report, database_ok = health()
    response = jsonify(report)
    response.status_code = 200 if database_ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
