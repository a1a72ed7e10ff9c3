"""Where a webhook may be sent: refuse addresses inside the network unless an operator allows them.

An endpoint's host is resolved when it is registered and again before every delivery, and the
delivery connects to the very address that was checked (``sender``), so a name that later
resolves to an internal address (DNS rebinding) is refused then too. Every address a name
resolves to must be public: loopback, private (RFC 1918, unique local), link-local (the cloud
metadata service at 169.254.169.254 included), shared, multicast, reserved and unspecified
addresses are refused unless ``WEBHOOK_ALLOW_PRIVATE`` is on.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from cop.errors import DomainError
from cop.library.urls import URL_MAX


class UnsafeAddress(DomainError):
    """The endpoint's address may not be reached (its message says why)."""


def _kind(ip) -> str | None:
    """What makes ``ip`` internal, or None for a public address."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return name
    return None if ip.is_global else "non-public"


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses ``host`` resolves to, each checked.

    :raise UnsafeAddress: the name does not resolve, or any of its addresses is internal (unless allowed).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeAddress(f"“{host}” could not be resolved.", field="url") from None
    # An IPv4 or IPv6 socket address starts with the address as text (typeshed allows other families' ints).
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        kind = _kind(ipaddress.ip_address(address.split("%", 1)[0]))
        if kind and not allow_private:
            raise UnsafeAddress(
                f"“{host}” resolves to {address}, a {kind} address: webhooks go to public addresses only.", field="url"
            )
    if not addresses:
        raise UnsafeAddress(f"“{host}” could not be resolved.", field="url")
    return addresses


def check_url(raw: str, *, allow_http: bool, allow_private: bool) -> str:
    """The endpoint URL, trimmed, if deliveries may go there.

    :raise UnsafeAddress: (field ``url``) not https (or http when allowed), no host, credentials in
        it, too long, or a host that resolves to an internal address.
    """
    url = (raw or "").strip()
    if not url or len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeAddress(
            "Enter the endpoint's full address, for example https://hooks.example.com/cop.", field="url"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeAddress("That address has an invalid port.", field="url") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        raise UnsafeAddress(
            "The address must start with https://" + (" or http://" if allow_http else "") + ".", field="url"
        )
    if not parts.hostname or parts.username is not None or parts.password is not None or "\\" in parts.netloc:
        raise UnsafeAddress("The address needs a host name and no user name or password in it.", field="url")
    resolve(parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80), allow_private=allow_private)
    return url
