"""Dates and times as each viewer reads them: in their own time zone, with the zone named.

Every timestamp is stored as naive UTC. ``localtime`` (a Jinja filter) renders one as
``<time datetime="…Z">`` with the UTC instant for machines, the viewer's local time for people ("3 hours
ago" when recent, the exact local time on hover and on keyboard focus).
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, has_request_context
from flask_login import current_user
from markupsafe import Markup, escape

from cop.extensions import utcnow

RECENT = timedelta(hours=24)  # newer than this reads as "N minutes/hours ago"


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    """The zone named ``name`` (an IANA name), or UTC for none or an unknown name."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_zone_name(name: str) -> bool:
    from cop.events.services import zone_names

    return name in zone_names()


def viewer_zone() -> ZoneInfo:
    """The signed-in viewer's time zone (UTC for anonymous viewers and people who have not chosen one)."""
    if not has_request_context():
        return ZoneInfo("UTC")
    found = g.get("_viewer_zone")
    if found is None:
        name = getattr(current_user, "time_zone", None) if current_user and current_user.is_authenticated else None
        found = g._viewer_zone = zone(name)
    return found


def _now() -> datetime:
    return g.setdefault("_now", utcnow()) if has_request_context() else utcnow()


def _relative(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''} ago"


def exact(moment: datetime, tz: ZoneInfo | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` (naive UTC) in ``tz`` (the viewer's zone) with the zone's abbreviation: ``2026-03-29 03:30 CEST``."""
    local = moment.replace(tzinfo=UTC).astimezone(tz or viewer_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


def labels(moment: datetime) -> tuple[str, str]:
    """(what is shown, the exact local time) for ``moment``."""
    tz = viewer_zone()
    precise = exact(moment, tz)
    age = _now() - moment
    shown = _relative(age) if timedelta(0) <= age < RECENT else precise
    return shown, f"{precise} ({tz.key})"


def localtime(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """``<time>`` for a naive UTC ``moment``: ISO UTC in ``datetime``, the viewer's local time as text (or
    "N hours ago" within a day, with the exact local time and zone in ``title``, reachable by keyboard)."""
    if moment is None:
        return Markup("")
    iso = moment.isoformat() + "Z"
    shown, precise = labels(moment)
    if fmt != "%Y-%m-%d %H:%M" and not shown.endswith("ago") and shown != "just now":
        shown = exact(moment, fmt=fmt)
    if shown.endswith("ago") or shown == "just now":
        return Markup('<time datetime="{}" title="{}" tabindex="0" class="relative-time">{}</time>').format(
            iso, precise, shown
        )
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso, precise, escape(shown))
