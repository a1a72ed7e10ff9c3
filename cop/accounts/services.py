"""Account services: each owns its transaction and raises ``DomainError``."""

import re

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from cop.accounts.models import User, user_expertise
from cop.admin import audit
from cop.database import contains_text
from cop.errors import DomainError
from cop.extensions import db, utcnow
from cop.markup import MarkupError, render_markdown
from cop.tags.models import Tag, get_or_create_tags, normalize_tag, parse_tags


def normalize_email(raw: str) -> str:
    """Validate the syntax of an address and return it lowercased.

    :raise DomainError: (field ``email``) if it is not an address, or its
        domain is outside ``COP_ALLOWED_EMAIL_DOMAINS`` when that is set.
    """
    try:
        email = validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(f"That is not a valid e-mail address: {exc}", field="email") from None
    allowed = current_app.config.get("ALLOWED_EMAIL_DOMAINS") or ()
    if allowed and email.rsplit("@", 1)[1] not in allowed:
        raise DomainError("Registration is limited to addresses at " + ", ".join(allowed) + ".", field="email")
    return email


def check_password_strength(password: str | None) -> None:
    """:raise DomainError: (field ``password``) if it is shorter than the minimum (or missing)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if password is None or len(password) < minimum:
        raise DomainError(f"Use a password of at least {minimum} characters.", field="password")
    if len(password) > 1024:
        raise DomainError("That password is too long (at most 1024 characters).", field="password")


def _unique_handle(email: str) -> str:
    base = re.sub(r"[^a-z0-9_]+", "", email.split("@", 1)[0].replace(".", "_").replace("-", "_"))[:32] or "user"
    taken = set(db.session.scalars(select(User.handle).where(or_(User.handle == base, User.handle.like(base + "%")))))
    handle, n = base, 1
    while handle in taken:
        n += 1
        handle = f"{base}{n}"
    return handle


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def validate_registration(email: str, display_name: str, password: str | None) -> tuple[str, str]:
    """The normalised address and display name of a registration; says nothing about existing accounts.

    :raise DomainError: invalid or disallowed email, empty or long display name, weak password.
    """
    email = normalize_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise DomainError("Tell us the name colleagues know you by.", field="display_name")
    if len(display_name) > 80:
        raise DomainError("Keep the display name under 80 characters.", field="display_name")
    check_password_strength(password)
    return email, display_name


def register_user(
    email: str, display_name: str, password: str | None = None, *, password_hash: str | None = None, **profile: str
) -> User:
    """Create an account (with a password, or the hash of one chosen earlier: ``cop.accounts.registration``).

    :raise DomainError: invalid or disallowed email, duplicate email,
        empty display name or a short password.
    """
    if password_hash is None:
        email, display_name = validate_registration(email, display_name, password)
    else:
        email, display_name = normalize_email(email), (display_name or "").strip()[:80] or email.split("@")[0]
    if find_user_by_email(email):
        raise DomainError("An account with this e-mail address already exists. Log in instead?", field="email")
    user = User(email=email, display_name=display_name, handle=_unique_handle(email), **profile)
    if password_hash is None:
        assert password is not None  # validate_registration refused a missing one
        user.set_password(password)
    else:
        user.password_hash = password_hash
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the credentials match an enabled account, else None.

    A disabled account fails like a wrong password, so nothing is revealed; so does an account that
    signs in through a provider or directory, and, with ``local`` off in ``COP_AUTH_MODES``, every
    account but the break-glass administrator.
    """
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing reveals nothing.
        User(password_hash="scrypt:32768:8:1$x$00").check_password(password or "")
        return None
    if not user.check_password(password or "") or user.is_disabled or not user.uses_password:
        return None
    if "local" not in current_app.config["AUTH_MODES"] and not user.is_break_glass:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def end_all_sessions(user: User) -> None:
    """End every session ``user`` holds, on every device (the caller commits).

    The one way cop.identity signs a leaver out everywhere (and password changes, resets and disabling):
    it deletes the user's server-side sessions (``cop.accounts.sessions``), so session and remember
    cookies stop working on their next request, and rotates the token in password-reset links.
    """
    from cop.accounts import sessions

    sessions.end_all_sessions(user)
    user.rotate_session_token()


def sign_out_everywhere(user: User) -> None:
    """End every session of ``user`` (*Sign out everywhere* on the profile)."""
    end_all_sessions(user)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password and end every other session of this user.

    :raise DomainError: wrong current password or a weak new one.
    """
    if not user.check_password(current_password or ""):
        raise DomainError("Your current password is not right.", field="current_password")
    check_password_strength(new_password)
    user.set_password(new_password)
    end_all_sessions(user)
    db.session.commit()


def update_profile(
    user: User, *, display_name: str, title: str, department: str, location: str, bio: str, expertise: str
) -> None:
    """Save profile fields; the bio is rendered from Markdown once, here. Fields the company directory
    fills for this person (``cop.identity.directory_fields``) keep the directory's value.

    :raise DomainError: empty display name or a bio that cannot be rendered.
    """
    from cop.identity import directory_fields

    locked = directory_fields(user)
    display_name = user.display_name if "display_name" in locked else (display_name or "").strip()
    title = user.title if "title" in locked else title
    department = user.department if "department" in locked else department
    location = user.location if "location" in locked else location
    if not display_name:
        raise DomainError("Your display name cannot be empty.", field="display_name")
    try:
        bio_html = render_markdown(bio or "")
    except MarkupError as exc:
        raise DomainError(exc.args[0], field="bio") from None
    user.display_name = display_name[:80]
    user.title = (title or "").strip()[:120]
    user.department = (department or "").strip()[:120]
    user.location = (location or "").strip()[:120]
    user.bio_md = bio or ""
    user.bio_html = bio_html
    user.expertise = get_or_create_tags(parse_tags(expertise))
    db.session.commit()


def set_time_zone(user: User, name: str, *, only_if_unset: bool = False) -> bool:
    """Show ``user`` every time in the IANA zone ``name`` (empty: UTC, and the browser's zone is offered
    again). ``only_if_unset``: keep a zone already chosen (the browser's guess never overrides a choice).

    Returns whether the zone was stored. :raise DomainError: not an IANA zone name.
    """
    from cop.timefmt import is_zone_name

    name = (name or "").strip()
    if name and not is_zone_name(name):
        raise DomainError(
            "Choose a time zone from the list, for example Europe/Berlin or America/New_York.", field="time_zone"
        )
    if only_if_unset and user.time_zone:
        return False
    user.time_zone = name or None
    db.session.commit()
    return True


def set_disabled(admin: User, user: User, disabled: bool) -> None:
    """Disable or re-enable an account; disabling ends all its sessions.

    :raise DomainError: an administrator disabling their own account.
    """
    if user.id == admin.id and disabled:
        raise DomainError("You cannot disable your own account.")
    user.is_disabled = disabled
    if disabled:
        end_all_sessions(user)
    audit.record(admin, "account.disable" if disabled else "account.enable", user, detail=user.email)
    db.session.commit()


def make_admin(email: str, password: str | None = None, display_name: str | None = None) -> tuple[User, bool]:
    """Create an administrator or promote an existing account.

    The account becomes the break-glass administrator: it may always sign in with its password, even
    with ``local`` off in ``COP_AUTH_MODES`` (a password given for an existing account replaces its own).
    Returns ``(user, created)``. :raise DomainError: if a new account needs
    a password and none (or a short one) is given.
    """
    user = find_user_by_email(email)
    if user is None:
        if not password:
            raise DomainError("A new administrator needs a password.", field="password")
        user = register_user(email, display_name or email.split("@")[0].title(), password)
        created = True
    else:
        created = False
        if password:
            check_password_strength(password)
            user.set_password(password)
    user.is_break_glass = bool(user.password_hash)
    user.is_admin = True
    user.is_disabled = False
    audit.record(None, "account.make_admin", user, detail=user.email)
    db.session.commit()
    return user, created


def people_directory(
    query: str = "", department: str = "", tag: str = "", page: int = 1, per_page: int = 30
) -> Pagination:
    """Enabled people matching a free-text filter, a department and an expertise tag.

    The tag is normalised like stored tags, so "Machine Learning" finds
    ``machine-learning``.
    """
    tag = normalize_tag(tag)
    stmt = select(User).where(User.is_disabled.is_(False))
    if query:
        stmt = stmt.where(
            contains_text(query, User.display_name, User.title, User.department, User.location, User.handle)
        )
    if department:
        stmt = stmt.where(User.department == department)
    if tag:
        stmt = stmt.where(
            User.id.in_(
                select(user_expertise.c.user_id).join(Tag, Tag.id == user_expertise.c.tag_id).where(Tag.name == tag)
            )
        )
    stmt = stmt.order_by(User.display_name).options(selectinload(User.expertise))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def departments() -> list[str]:
    return list(
        db.session.scalars(select(User.department).where(User.department != "").distinct().order_by(User.department))
    )
