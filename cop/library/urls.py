"""Addresses: the links members share, and the resource URLs written in posts.

A link is accepted only as an absolute http or https URL, checked when it
is entered (``clean_link_url``) and again whenever it is shown
(``is_safe_link``), so a row written by anything else still cannot put a
``javascript:`` address on a page.
"""

import re
from urllib.parse import urlsplit

from cop.errors import DomainError

URL_MAX = 2000
SCHEMES = ("http", "https")

# ``/r/<id>`` as a relative path, or after any http(s) host: ``https://cop.example/r/12``.
# The relative form must start a word (line start, space, bracket or quote) so that
# ``/docs/r/12`` or ``example.com/r/12`` without a scheme do not count.
_RESOURCE_URL = re.compile(r"""(?:https?://[^\s/()<>"'\]]+|(?<![^\s(<\["'])) /r/(\d{1,12})(?![\w-])""", re.X)


def is_safe_link(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host, no credentials, no whitespace or control characters."""
    if not url or len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return (
        parts.scheme.lower() in SCHEMES
        and bool(parts.hostname)
        and port_ok
        and parts.username is None
        and parts.password is None
        and "\\" not in parts.netloc
    )


def clean_link_url(raw: str | None) -> str:
    """The URL a member typed, trimmed, if it is a safe http(s) link.

    :raise DomainError: (field ``url``) for any other scheme (``javascript:``,
        ``data:``, ``file:``, ``ftp:``...), a missing host, credentials in the
        address, or a URL that is too long.
    """
    url = (raw or "").strip()
    if not url:
        raise DomainError("Enter the address of the link.", field="url")
    if len(url) > URL_MAX:
        raise DomainError(f"Keep the address under {URL_MAX} characters.", field="url")
    if not is_safe_link(url):
        raise DomainError(
            "Only web addresses starting with http:// or https:// (with a host name and no "
            "password in them) can be shared.",
            field="url",
        )
    return url


def resource_ids_in(text: str) -> set[int]:
    """The ids of every ``/r/<id>`` address (relative or absolute) written in ``text``."""
    return {int(match) for match in _RESOURCE_URL.findall(text or "")}
