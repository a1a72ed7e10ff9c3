"""Writing the audit log. Services call ``record`` inside their own transaction."""

from cop.admin.models import AuditEntry
from cop.extensions import db


def record(actor, action: str, target, community=None, detail: str = "") -> AuditEntry:
    """Add an audit entry to the session (the calling service commits).

    ``target`` is any model instance with an ``id``; its class name becomes
    the target type so entries stay readable after the target is gone.
    """
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        # ``__class__``, not ``type()``: views pass ``current_user``, a proxy whose type is LocalProxy.
        target_type=target.__class__.__name__.lower(),
        target_id=getattr(target, "id", None),
        community_id=getattr(community, "id", None),
        detail=detail[:1000],
    )
    db.session.add(entry)
    return entry
