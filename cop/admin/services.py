"""Read-side queries for the administration pages."""

from collections.abc import Iterable

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.admin.models import AuditEntry
from cop.communities.models import Community
from cop.database import contains_text
from cop.extensions import db


def audit_log(page: int = 1, per_page: int = 50, action: str = "") -> Pagination:
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"{action}%"))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def audit_target_names(entries: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """Readable names for the targets of ``entries`` (people, communities, threads), by ``(type, id)``:
    one query per type on the page. A target that is gone keeps its type and number."""
    from cop.discussions.models import Thread

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    columns = {
        "user": (User.id, User.display_name),
        "community": (Community.id, Community.name),
        "thread": (Thread.id, Thread.title),
    }
    names: dict[tuple[str, int], str] = {}
    for target_type, (key, label) in columns.items():
        if wanted.get(target_type):
            for ident, name in db.session.execute(select(key, label).where(key.in_(wanted[target_type]))):
                names[(target_type, ident)] = name
    return names


def all_communities() -> list[Community]:
    return list(
        db.session.scalars(select(Community).order_by(Community.name).options(selectinload(Community.sponsors)))
    )


def accounts(query: str = "", page: int = 1, per_page: int = 50) -> Pagination:
    stmt = select(User).order_by(User.display_name)
    if query:
        stmt = stmt.where(contains_text(query, User.email, User.display_name))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
