"""Accounts from a provider's claims or a directory's attributes: made on first sign-in, refreshed at
every one, linked to an existing local account only on a verified address at an allowed domain.

``sign_in_external`` is the one service behind both OIDC and LDAP sign-in; it owns the transaction.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from cop.accounts.models import User
from cop.accounts.services import _unique_handle, end_all_sessions, find_user_by_email
from cop.admin import audit
from cop.extensions import db, utcnow
from cop.identity.errors import AccountRefused, SignInRejected
from cop.identity.groups import sync_memberships
from cop.identity.models import ExternalIdentity
from cop.tags.models import get_or_create_tags, parse_tags
from cop.timefmt import is_zone_name

PROVIDER_LABELS = {"oidc": "single sign-on", "ldap": "the company directory"}
# The longest value each profile field keeps (the columns' sizes).
FIELD_LIMITS = {"display_name": 80, "department": 120, "title": 120, "location": 120, "expertise": 500}
MAX_GROUPS = 1000
_SPACES = re.compile(r"\s+")


def clean_text(value, limit: int) -> str:
    """A claim as a single line of at most ``limit`` characters: NFC, control and format characters
    (NUL, escapes, bidi overrides) turned into spaces, runs of spaces collapsed. Non-strings read as ""."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = value[0]  # LDAP attributes and some claims are lists
    if not isinstance(value, str):
        return ""
    value = unicodedata.normalize("NFC", value[: limit * 4])
    value = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value)
    return _SPACES.sub(" ", value).strip()[:limit].strip()


def clean_groups(value) -> list[str]:
    """Group names from a claim or attribute: a list (or one string), each cleaned, at most 1000."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    groups = [clean_text(v, 255) for v in values[:MAX_GROUPS]]
    return list(dict.fromkeys(g for g in groups if g))


@dataclass
class ExternalProfile:
    """What a provider or directory says about a person, already cleaned."""

    email: str
    email_verified: bool
    display_name: str = ""
    department: str = ""
    title: str = ""
    location: str = ""
    expertise: str = ""
    groups: list[str] = field(default_factory=list)
    directory_dn: str = ""
    time_zone: str = ""  # OpenID Connect's ``zoneinfo`` claim: the person's zone until they choose one

    @classmethod
    def from_claims(
        cls, claims: dict, field_map: dict[str, str], *, groups=None, email_verified=None, directory_dn: str = ""
    ) -> "ExternalProfile":
        def claim(name: str):
            source = field_map.get(name) or ""
            return claims.get(source) if source else None

        email = claim("email")
        if isinstance(email, list) and email:
            email = email[0]
        if email_verified is None:
            email_verified = claims.get("email_verified") in (True, "true", "True", 1)
        return cls(
            email=email if isinstance(email, str) else "",
            email_verified=bool(email_verified),
            groups=clean_groups(groups),
            directory_dn=clean_text(directory_dn, 1000),
            time_zone=clean_text(claims.get("zoneinfo"), 64),
            **{name: clean_text(claim(name), limit) for name, limit in FIELD_LIMITS.items()},
        )


def _usable_email(profile: ExternalProfile, provider: str) -> str:
    """:raise SignInRejected: no address, or one that is not an e-mail address."""
    raw = profile.email or ""
    if not raw:
        raise SignInRejected(
            f"{PROVIDER_LABELS[provider].capitalize()} did not tell us your e-mail address, "
            "which cop needs for your account. Ask IT to release it to cop.",
            "no email claim",
        )
    if len(raw) > 254 or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in raw):
        raise SignInRejected(
            "The e-mail address the sign-in service sent cannot be used. Nothing was created.", "unusable email claim"
        )
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise SignInRejected(
            "The e-mail address the sign-in service sent cannot be used. Nothing was created.", "invalid email claim"
        ) from None


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[1]


def _check_new_account_allowed(email: str) -> None:
    allowed = current_app.config.get("ALLOWED_EMAIL_DOMAINS") or ()
    if allowed and _domain(email) not in allowed:
        raise AccountRefused(
            "cop accounts are limited to addresses at "
            + ", ".join(allowed)
            + f", and yours is {email}. Nothing was created.",
            "domain not allowed",
        )


def _check_link_allowed(user: User, provider: str, profile: ExternalProfile, email: str) -> None:
    """An existing account is linked only on a verified address at an allowed domain.

    :raise AccountRefused: with the reason, for the page that explains it.
    """
    label = PROVIDER_LABELS[provider]
    if user.is_disabled:
        raise AccountRefused(
            "The cop account with your e-mail address is disabled. Ask a cop administrator.",
            "link to a disabled account",
        )
    taken = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.user_id == user.id, ExternalIdentity.provider == provider)
    )
    if taken is not None:
        raise AccountRefused(
            f"The cop account with the address {email} is already linked to another "
            f"{label} identity, so it cannot be linked to yours. Ask a cop administrator.",
            "account linked to another subject",
        )
    if not profile.email_verified:
        raise AccountRefused(
            f"A cop account with the address {email} already exists, but {label} did not "
            "confirm that this address is verified, so we cannot link your sign-in to it. "
            "Ask IT to mark the address as verified, or a cop administrator to help.",
            "email not verified",
        )
    domains = current_app.config.get("LINK_EMAIL_DOMAINS") or current_app.config.get("ALLOWED_EMAIL_DOMAINS") or ()
    if _domain(email) not in domains:
        where = (
            ("only addresses at " + ", ".join(domains) + " are linked")
            if domains
            else "this site does not link existing accounts to sign-in services"
        )
        raise AccountRefused(
            f"A cop account with the address {email} already exists, and {where}. "
            "Sign in with your cop password, or ask a cop administrator.",
            "domain not linkable",
        )


def _refresh_profile(user: User, profile: ExternalProfile, email: str) -> None:
    """The directory's fields win; the person's own bio and expertise stay theirs."""
    if profile.display_name:
        user.display_name = profile.display_name
    for name in ("department", "title", "location"):
        value = getattr(profile, name)
        if value:
            setattr(user, name, value)
    if email != user.email and find_user_by_email(email) is None:
        user.email = email
    if profile.time_zone and not user.time_zone and is_zone_name(profile.time_zone):
        user.time_zone = profile.time_zone


def sign_in_external(provider: str, subject: str, profile: ExternalProfile) -> User:
    """The account for ``subject`` at ``provider``: found, linked by e-mail, or made; profile refreshed.

    :raise SignInRejected: no usable e-mail address.
    :raise AccountRefused: a disabled account, a link that is not allowed, a domain not allowed.
    """
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == provider, ExternalIdentity.subject == subject)
    )
    email = _usable_email(profile, provider)
    if identity is not None:
        user = identity.user
        if user.is_disabled:
            raise AccountRefused(
                "Your cop account is disabled. Ask a cop administrator if this is a mistake.", "disabled account"
            )
    else:
        existing = find_user_by_email(email)
        if existing is not None:
            user = existing
            _check_link_allowed(user, provider, profile, email)
            user.auth_source = provider
            audit.record(user, "account.link", user, detail=f"{provider}: {email}")
        else:
            _check_new_account_allowed(email)
            user = User(
                email=email,
                handle=_unique_handle(email),
                password_hash="",
                auth_source=provider,
                display_name=profile.display_name or email.split("@")[0],
            )
            db.session.add(user)
            db.session.flush()
            if profile.expertise:
                user.expertise = get_or_create_tags(parse_tags(profile.expertise))
            audit.record(user, "account.provision", user, detail=f"{provider}: {email}")
        identity = ExternalIdentity(user_id=user.id, provider=provider, subject=subject)
        db.session.add(identity)
    _refresh_profile(user, profile, email)
    sync_memberships(user, profile.groups, f"{provider} sign-in")
    identity.directory_dn = profile.directory_dn
    identity.last_login_at = user.last_login_at = utcnow()
    db.session.commit()
    return user


def sign_in_with_directory(login: str, password: str) -> User | None:
    """LDAP sign-in: the account of the person the directory signs in, or None for a wrong name or
    password. A person the directory still has but whose entry no longer matches the user filter (a
    leaver) gets None too, and their cop account is disabled with every session ended.

    :raise ProviderUnavailable: the directory cannot be reached.
    :raise SignInRejected, AccountRefused: as ``sign_in_external``.
    """
    from cop.identity.ldap import directory_client

    client = directory_client()
    entry, leaver = client.authenticate(login, password)
    if entry is None:
        if leaver is not None:
            disable_leaver("ldap", leaver.subject, "no longer matches the directory's user filter (at sign-in)")
        return None
    profile = ExternalProfile.from_claims(
        entry.attributes, client.field_map, groups=entry.groups, email_verified=True, directory_dn=entry.dn
    )
    return sign_in_external("ldap", entry.subject, profile)


def disable_leaver(provider: str, subject: str, detail: str) -> User | None:
    """Disable the account linked to ``subject`` and end all its sessions (audited); None if there is
    no such account or it was already disabled."""
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == provider, ExternalIdentity.subject == subject)
    )
    if identity is None or identity.user.is_disabled:
        return None
    user = identity.user
    user.is_disabled = True
    end_all_sessions(user)
    sync_memberships(user, [], f"{provider}: leaver")
    audit.record(None, "account.directory_disable", user, detail=f"{provider}: {detail}"[:1000])
    db.session.commit()
    return user


def end_sessions_of(provider: str, subject: str, detail: str) -> User | None:
    """End every session of the account linked to ``subject`` (audited); None when there is none."""
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.provider == provider, ExternalIdentity.subject == subject)
    )
    if identity is None:
        return None
    end_all_sessions(identity.user)
    audit.record(None, "account.sessions_ended", identity.user, detail=f"{provider}: {detail}")
    db.session.commit()
    return identity.user
