"""LDAP / Active Directory sign-in: search for the person as the service account, then bind as them.

The login name goes into the search filter only through ldap3's ``escape_filter_chars`` (RFC 4515:
``*``, ``(``, ``)``, ``\\`` and NUL become ``\\2a`` ... ``\\00``), so nobody can widen the filter to match
someone else. An empty password is refused before any bind: to LDAP it would be an "unauthenticated
bind" (RFC 4513 5.1.2) that many servers accept as anonymous. ``COP_LDAP_STARTTLS`` upgrades
``ldap://`` connections; ``ldaps://`` URLs use TLS from the start; ``COP_LDAP_CA_FILE`` names the CA to
trust. Every connection has ``COP_LDAP_TIMEOUT`` to connect and to answer.
"""

import logging
import math
import ssl
from dataclasses import dataclass, field

from flask import current_app
from ldap3 import ANONYMOUS, NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from cop.identity import DEFAULT_LDAP_ATTRIBUTES, parse_field_map
from cop.identity.errors import ProviderUnavailable

log = logging.getLogger(__name__)

UNAVAILABLE = "The company directory is unavailable at the moment. Please try again in a few minutes."
MAX_LOGIN_LENGTH = 256


@dataclass
class DirectoryEntry:
    """One person as the directory has them: first values of the mapped attributes, and group names."""

    dn: str
    subject: str
    attributes: dict[str, str]
    groups: list[str] = field(default_factory=list)


def _first(value):
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, bytes):  # objectGUID and other binary identifiers
        return value.hex()
    return value


class DirectoryClient:
    def __init__(self, config):
        self.url = config["LDAP_URL"]
        self.bind_dn = config.get("LDAP_BIND_DN")
        self.bind_password = config.get("LDAP_BIND_PASSWORD")
        self.user_base = config["LDAP_USER_BASE"]
        self.user_filter = config.get("LDAP_USER_FILTER") or "(objectClass=person)"
        self.login_attribute = config.get("LDAP_LOGIN_ATTRIBUTE") or "uid"
        self.id_attribute = config.get("LDAP_ID_ATTRIBUTE") or "entryUUID"
        self.group_base = config.get("LDAP_GROUP_BASE")
        self.group_filter = config.get("LDAP_GROUP_FILTER") or "(|(member={dn})(uniqueMember={dn}))"
        self.starttls = bool(config.get("LDAP_STARTTLS"))
        self.timeout = float(config.get("LDAP_TIMEOUT") or 5)
        self.field_map = parse_field_map(config.get("LDAP_ATTRIBUTE_MAP", ""), DEFAULT_LDAP_ATTRIBUTES)
        self.attributes = sorted(
            {self.id_attribute, self.login_attribute, "memberOf", *(a for a in self.field_map.values() if a)}
        )
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.get("LDAP_CA_FILE"))
        self.server = Server(
            self.url,
            use_ssl=self.url.lower().startswith("ldaps://"),
            tls=tls,
            connect_timeout=self.timeout,
            get_info=NONE,
        )

    # --- connections ------------------------------------------------------------------------

    def _bound(self, user: str | None, password: str | None) -> Connection | None:
        """A connection bound as ``user`` (anonymous without one), or None when the bind is refused.

        :raise ProviderUnavailable: the server cannot be reached, or StartTLS fails.
        """
        # ldap3 sets the socket's receive timeout in whole seconds.
        conn = Connection(
            self.server,
            user=user,
            password=password,
            authentication=SIMPLE if user else ANONYMOUS,
            receive_timeout=max(1, math.ceil(self.timeout)),
            read_only=True,
            raise_exceptions=False,
        )
        try:
            conn.open()
            if self.starttls and not conn.start_tls():
                raise ProviderUnavailable(UNAVAILABLE, f"StartTLS refused: {conn.result}")
            if conn.bind():
                return conn
        except LDAPException as exc:
            _close(conn)
            raise ProviderUnavailable(UNAVAILABLE, f"ldap: {type(exc).__name__}: {exc}") from None
        _close(conn)
        return None

    def service_connection(self) -> Connection:
        """Bound as ``COP_LDAP_BIND_DN`` (anonymous when unset). :raise ProviderUnavailable: refused too."""
        conn = self._bound(self.bind_dn, self.bind_password)
        if conn is None:
            raise ProviderUnavailable(UNAVAILABLE, "the search account's bind was refused")
        return conn

    # --- reading ----------------------------------------------------------------------------

    def _entry(self, item: dict) -> DirectoryEntry | None:
        attributes = {name: _first(value) for name, value in (item.get("attributes") or {}).items()}
        subject = attributes.get(self.id_attribute)
        if not subject:
            log.warning("LDAP: %s has no %s; skipped", item.get("dn"), self.id_attribute)
            return None
        groups = item.get("attributes", {}).get("memberOf") or []
        return DirectoryEntry(
            dn=item["dn"],
            subject=str(subject)[:255],
            attributes={k: v for k, v in attributes.items() if isinstance(v, str)},
            groups=[name for name in map(_group_name, groups) if name],
        )

    def _search(self, conn: Connection, base: str, search_filter: str, attributes, size_limit: int = 0) -> list:
        try:
            conn.search(
                base,
                search_filter,
                SUBTREE,
                attributes=attributes,
                size_limit=size_limit,
                time_limit=max(1, math.ceil(self.timeout)),
            )
        except LDAPException as exc:
            raise ProviderUnavailable(UNAVAILABLE, f"ldap search: {type(exc).__name__}: {exc}") from None
        if conn.result.get("result") not in (0, 4):  # success, or size limit exceeded (two matches)
            raise ProviderUnavailable(UNAVAILABLE, f"ldap search: {conn.result.get('description')}")
        return [item for item in conn.response or () if item.get("type") == "searchResEntry"]

    def find(self, conn: Connection, login: str, *, active_only: bool = True) -> DirectoryEntry | None:
        """The one entry whose login attribute is ``login`` (and that matches the user filter when
        ``active_only``); None for no match or more than one."""
        condition = f"({self.login_attribute}={escape_filter_chars(login)})"
        search_filter = f"(&{self.user_filter}{condition})" if active_only else condition
        found = self._search(conn, self.user_base, search_filter, self.attributes, size_limit=2)
        return self._entry(found[0]) if len(found) == 1 else None

    def groups_of(self, conn: Connection, entry: DirectoryEntry) -> list[str]:
        """Group names (their ``cn``): a search under ``COP_LDAP_GROUP_BASE``, else ``memberOf``."""
        if not self.group_base:
            return entry.groups
        search_filter = self.group_filter.replace("{dn}", escape_filter_chars(entry.dn))
        found = self._search(conn, self.group_base, search_filter, ["cn"])
        return [name for name in (_first(item["attributes"].get("cn")) for item in found) if name]

    def all_entries(self, conn: Connection):
        """Every entry matching the user filter, a page at a time (``cop sync-directory``)."""
        search_filter = f"(&{self.user_filter}({self.login_attribute}=*))"
        try:
            for item in conn.extend.standard.paged_search(
                self.user_base, search_filter, SUBTREE, attributes=self.attributes, paged_size=500, generator=True
            ):
                if item.get("type") == "searchResEntry" and (entry := self._entry(item)):
                    yield entry
        except LDAPException as exc:
            raise ProviderUnavailable(UNAVAILABLE, f"ldap paged search: {type(exc).__name__}: {exc}") from None

    # --- signing in -----------------------------------------------------------------------------

    def authenticate(self, login: str, password: str) -> tuple[DirectoryEntry | None, DirectoryEntry | None]:
        """``(entry, leaver)``: the person signed in with ``password``, or (None, the entry of a person the
        directory still has but whom the user filter now excludes — someone who left).

        :raise ProviderUnavailable: the directory cannot be reached or the search account is refused.
        """
        if not password or not login or len(login) > MAX_LOGIN_LENGTH or len(password) > 1024:
            return None, None  # an empty password is never sent: it would be an unauthenticated bind
        conn = self.service_connection()
        try:
            entry = self.find(conn, login)
            if entry is None:
                return None, self.find(conn, login, active_only=False)
            user_conn = self._bound(entry.dn, password)
            if user_conn is None:
                return None, None
            _close(user_conn)
            entry.groups = self.groups_of(conn, entry)
            return entry, None
        finally:
            _close(conn)


def _close(conn: Connection) -> None:
    """Unbind, and close the socket that ldap3 keeps after a failed connect."""
    try:
        conn.unbind()
    except LDAPException:
        pass
    if conn.socket is not None:
        conn.socket.close()


def _group_name(dn) -> str:
    """``CN=cop-python-guild,OU=Groups,DC=corp`` -> ``cop-python-guild`` (a plain name stays as it is)."""
    if isinstance(dn, bytes):
        dn = dn.decode("utf-8", "replace")
    try:
        return parse_dn(dn)[0][1]
    except Exception:  # ldap3 raises several types for a value that is not a DN
        return str(dn)


def directory_client() -> DirectoryClient:
    client = current_app.extensions.get("cop_ldap")
    if client is None:
        client = current_app.extensions["cop_ldap"] = DirectoryClient(current_app.config)
    return client
