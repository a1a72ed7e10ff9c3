"""Field rules that several domains' services share (one wording for the same mistake everywhere)."""

from cop.errors import DomainError


def clean_title(title: str | None, thing: str, limit: int) -> str:
    """``title`` with its whitespace collapsed, as a thread, resource or meeting stores it.

    :raise DomainError: (field ``title``) empty once collapsed, or longer than ``limit`` characters.
    """
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(f"Give the {thing} a title.", field="title")
    if len(title) > limit:
        raise DomainError(f"Keep the title under {limit} characters.", field="title")
    return title
