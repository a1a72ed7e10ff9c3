"""``flask cop sync-directory``: bring every LDAP-linked account in line with the directory.

Accounts whose entry no longer matches ``COP_LDAP_USER_FILTER`` (or is gone) are disabled and all their
sessions end; the others get their profile fields and directory-managed memberships refreshed, as at a
sign-in. Accounts are still only made at a person's first sign-in. Safe to run from cron: a second
run changes nothing, and a directory that is unreachable, or that would disable more than half of the
linked accounts at once (a broken filter, an empty base), changes nothing unless ``--force``.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select

from cop.accounts.services import end_all_sessions
from cop.admin import audit
from cop.errors import DomainError
from cop.extensions import db
from cop.identity.errors import SignInError
from cop.identity.groups import sync_memberships
from cop.identity.ldap import _close, directory_client
from cop.identity.models import ExternalIdentity
from cop.identity.provisioning import ExternalProfile, _refresh_profile, _usable_email

log = logging.getLogger(__name__)

PROFILE_FIELDS = ("email", "display_name", "department", "title", "location")
BATCH = 100


@dataclass
class SyncSummary:
    entries: int = 0
    updated: int = 0
    membership_changes: int = 0
    disabled: int = 0
    without_account: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (
            f"{self.entries} directory entries checked: {self.updated} accounts updated, "
            f"{self.membership_changes} membership changes, {self.disabled} accounts disabled "
            f"(no longer in the directory), {self.without_account} people without a cop account yet"
            + (f", {self.skipped} entries skipped (see the log)" if self.skipped else "")
            + "."
        )


def sync_directory(progress: Callable[[int], AbstractContextManager], force: bool = False) -> SyncSummary:
    """Apply the directory to every LDAP-linked account. ``progress(total)`` gives a context manager
    whose value has ``update(n)`` (a click progress bar).

    :raise ProviderUnavailable: the directory cannot be read (nothing changed).
    :raise DomainError: more than half of the linked, enabled accounts would be disabled (without ``force``).
    """
    client = directory_client()
    conn = client.service_connection()
    try:
        entries = list(client.all_entries(conn))
        identities = {
            i.subject: i
            for i in db.session.scalars(select(ExternalIdentity).where(ExternalIdentity.provider == "ldap"))
        }
        present = {entry.subject for entry in entries}
        enabled = [i for i in identities.values() if not i.user.is_disabled]
        leavers = [i for i in enabled if i.subject not in present]
        if leavers and not force and len(leavers) * 2 > len(enabled):
            raise DomainError(
                f"This would disable {len(leavers)} of {len(enabled)} directory accounts. "
                "Check COP_LDAP_USER_BASE and COP_LDAP_USER_FILTER, or pass --force."
            )
        summary = SyncSummary(entries=len(entries))
        with progress(len(entries)) as bar:
            for number, entry in enumerate(entries, start=1):
                identity = identities.get(entry.subject)
                if identity is None:
                    summary.without_account += 1
                elif not identity.user.is_disabled:
                    _apply_entry(client, conn, identity, entry, summary)
                if number % BATCH == 0:
                    db.session.commit()
                bar.update(1)
        for identity in leavers:
            user = identity.user
            user.is_disabled = True
            end_all_sessions(user)
            summary.membership_changes += sync_memberships(user, [], "sync-directory: leaver")
            audit.record(
                None,
                "account.directory_disable",
                user,
                detail="ldap: no longer matches the directory's user filter (sync-directory)",
            )
            summary.disabled += 1
        db.session.commit()
        return summary
    finally:
        db.session.rollback()  # nothing half-done stays in the session after an error
        _close(conn)


def _apply_entry(client, conn, identity: ExternalIdentity, entry, summary: SyncSummary) -> None:
    user = identity.user
    groups = client.groups_of(conn, entry)
    profile = ExternalProfile.from_claims(
        entry.attributes, client.field_map, groups=groups, email_verified=True, directory_dn=entry.dn
    )
    try:
        email = _usable_email(profile, "ldap")
    except SignInError:
        log.warning("sync-directory: %s has no usable e-mail address; skipped", entry.dn)
        summary.skipped += 1
        return
    before = tuple(getattr(user, name) for name in PROFILE_FIELDS)
    _refresh_profile(user, profile, email)
    if tuple(getattr(user, name) for name in PROFILE_FIELDS) != before:
        summary.updated += 1
    summary.membership_changes += sync_memberships(user, profile.groups, "sync-directory")
    identity.directory_dn = profile.directory_dn
