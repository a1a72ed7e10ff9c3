"""A real OpenLDAP server (Debian's slapd) on a loopback port, with a temporary configuration and
an LDIF of test people and groups.

``make test`` installs slapd (the ``slapd`` target, like Chromium). Without it the LDAP tests skip,
except with ``CI=true``, where that is a failure.

The directory: ``ou=people`` (inetOrgPerson; ``employeeType: left`` marks leavers, whom cop's user
filter excludes), ``ou=groups`` (groupOfNames) and a search account ``cn=cop-service``. It also
allows unauthenticated binds (a DN with an empty password, RFC 4513 5.1.2), as many servers do:
cop must never send one.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE, Connection, Server
from ldap3.core.exceptions import LDAPException

from tests.conftest import IN_CI

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SUFFIX = "dc=example,dc=com"
ADMIN_DN, ADMIN_PASSWORD = f"cn=admin,{SUFFIX}", "admin-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=cop-service,ou=services,{SUFFIX}", "service-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
USER_FILTER = "(&(objectClass=inetOrgPerson)(!(employeeType=left)))"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
allow bind_anon_dn
database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {root}/data
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="{service_dn}" read
  by self read
  by * none
"""

# (uid, password, given, surname, mail, department (ou), title, location (l), groups, employeeType)
PEOPLE_ROWS = [
    (
        "alice",
        "alice-pass",
        "Alice",
        "Archer",
        "alice@example.com",
        "Platform Engineering",
        "Staff Engineer",
        "Lisbon",
        ["cop-python-guild"],
        None,
    ),
    (
        "bob",
        "bob-pass",
        "Bob",
        "Builder",
        "bob@example.com",
        "Security",
        "Security Lead",
        "Berlin",
        ["cop-python-guild", "cop-sec-champions-leads"],
        None,
    ),
    (
        "carol",
        "carol-pass",
        "Carol",
        "Cole",
        "carol@example.com",
        "Finance",
        "Controller",
        "Paris",
        ["cop-sponsors-finance"],
        None,
    ),
    ("dan", "dan-pass", "Dan", "Departed", "dan@example.com", "Sales", "Account Manager", "Madrid", [], "left"),
    ("o(brien)*", "obrien-pass", "Orla", "O'Brien", "orla@example.com", "Legal", "Counsel", "Dublin", [], None),
    ("back\\slash", "backslash-pass", "Bea", "Slash", "bea@example.com", "Ops", "SRE", "Oslo", [], None),
]
ALL_GROUPS = ["cop-python-guild", "cop-sec-champions-leads", "cop-sponsors-finance", "cop-empty"]


def _dn_value(value: str) -> str:
    """An RDN value escaped as RFC 4514 asks (hex for the backslash)."""
    return value.replace("\\", "\\5C").replace(",", "\\2C").replace("+", "\\2B")


def person_dn(uid: str) -> str:
    return f"uid={_dn_value(uid)},{PEOPLE}"


def _ldif() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: cop-service\nuserPassword: {SERVICE_PASSWORD}",
    ]
    for uid, password, given, surname, mail, department, title, location, _groups, employee_type in PEOPLE_ROWS:
        block = (
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {surname}\n"
            f"givenName: {given}\nsn: {surname}\ndisplayName: {given} {surname}\nmail: {mail}\n"
            f"ou: {department}\ntitle: {title}\nl: {location}\nuserPassword: {password}"
        )
        if employee_type:
            block += f"\nemployeeType: {employee_type}"
        blocks.append(block)
    for group in ALL_GROUPS:
        members = [person_dn(row[0]) for row in PEOPLE_ROWS if group in row[8]] or [SERVICE_DN]
        blocks.append(
            f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n"
            + "\n".join(f"member: {m}" for m in members)
        )
    return "\n\n".join(blocks) + "\n"


def require_slapd() -> None:
    if not SLAPD.exists() or not SLAPADD.exists():
        message = f"OpenLDAP's slapd is not installed at {SLAPD} (make test installs Debian's slapd)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def _unused_port() -> int:
    """A loopback port nothing listens on at this moment.

    slapd cannot bind port 0 itself (it reads port 0 in its URL as LDAP's 389), so it is handed a
    port, and ``Slapd.__enter__`` starts it again on another one if something took this one meanwhile.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Slapd:
    """slapd on 127.0.0.1 with the test directory; ``admin()`` opens a connection as its root DN."""

    ATTEMPTS = 5  # ports tried when another process takes the handed port first

    def __init__(self, root: Path):
        self.root = root
        self.port = 0
        self.url = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "Slapd":
        (self.root / "data").mkdir(parents=True)
        config = self.root / "slapd.conf"
        config.write_text(
            CONFIG.format(
                root=self.root, suffix=SUFFIX, admin_dn=ADMIN_DN, admin_password=ADMIN_PASSWORD, service_dn=SERVICE_DN
            )
        )
        (self.root / "people.ldif").write_text(_ldif())
        subprocess.run(
            [str(SLAPADD), "-f", str(config), "-l", str(self.root / "people.ldif")], check=True, capture_output=True
        )
        for _attempt in range(self.ATTEMPTS):
            self.port = _unused_port()
            self.url = f"ldap://127.0.0.1:{self.port}"
            if self._start(config):
                return self
        raise RuntimeError(f"slapd found no free port in {self.ATTEMPTS} attempts")

    def _start(self, config: Path) -> bool:
        """Start slapd on ``self.port``: True once it listens, False when the port was taken.

        :raise RuntimeError: slapd failed for another reason, or did not listen within 15 s."""
        with open(self.root / "slapd.log", "wb") as log:
            # -d keeps slapd in the foreground (so the fixture owns the process); 0 logs nothing extra.
            self._process = subprocess.Popen(
                [str(SLAPD), "-h", self.url + "/", "-f", str(config), "-d", "0"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                if self._port_taken():  # slapd logs nothing at -d 0: it could not bind
                    return False
                raise RuntimeError(f"slapd exited: {(self.root / 'slapd.log').read_text()[-2000:]}")
            if self._answers():
                return True
            time.sleep(0.05)
        raise RuntimeError("slapd did not start listening within 15 s")

    def _port_taken(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def _answers(self) -> bool:
        """Does an LDAP server answer an anonymous bind on the port (not merely accept a connection:
        a process that took the port first would)? The plain connection comes first: ldap3 leaves its
        socket open when the connection is refused."""
        if not self._port_taken():
            return False
        conn = Connection(Server(self.url, connect_timeout=1), receive_timeout=1)
        try:
            return bool(conn.bind())
        except LDAPException:
            return False
        finally:
            conn.unbind()

    def __exit__(self, *exc):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.root / "data", ignore_errors=True)

    def modify(self, dn: str, changes: dict) -> None:
        """Change an entry as the directory's root DN (ldap3's ``with`` does not unbind a bound connection)."""
        conn = Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, receive_timeout=5)
        try:
            assert conn.modify(dn, changes), conn.result
        finally:
            conn.unbind()

    def set_attribute(self, uid: str, attribute: str, values: list[str]) -> None:
        self.modify(person_dn(uid), {attribute: [(MODIFY_REPLACE, values)]})

    def set_group_members(self, group: str, uids: list[str]) -> None:
        members = [person_dn(uid) for uid in uids] or [SERVICE_DN]
        self.modify(f"cn={group},{GROUPS}", {"member": [(MODIFY_REPLACE, members)]})

    def reset(self) -> None:
        """Put departments, employee types and group members back as the LDIF has them."""
        for uid, _password, _given, _surname, _mail, department, *_rest, employee_type in PEOPLE_ROWS:
            self.set_attribute(uid, "ou", [department])
            self.set_attribute(uid, "employeeType", [employee_type] if employee_type else [])
        for group in ALL_GROUPS:
            self.set_group_members(group, [row[0] for row in PEOPLE_ROWS if group in row[8]])


def ldap_config(server: Slapd, **overrides) -> dict:
    """App settings for cop against ``server``."""
    return {
        "AUTH_MODES": ("ldap", "local"),
        "LDAP_URL": server.url,
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_USER_BASE": PEOPLE,
        "LDAP_USER_FILTER": USER_FILTER,
        "LDAP_LOGIN_ATTRIBUTE": "uid",
        "LDAP_ID_ATTRIBUTE": "entryUUID",
        "LDAP_GROUP_BASE": GROUPS,
        "LDAP_ATTRIBUTE_MAP": "department=ou",
        "LDAP_TIMEOUT": 2,
        "LDAP_LABEL": "company account",
        "LINK_EMAIL_DOMAINS": ("example.com",),
        **overrides,
    }


def running_slapd(tmp_path_factory):
    """For a module- or session-scoped fixture: ``with running_slapd(f) as server: yield server``."""
    require_slapd()
    return Slapd(tmp_path_factory.mktemp("slapd"))


os.environ.setdefault("LDAPNOINIT", "1")  # ldap-utils in the tests read no ~/.ldaprc or /etc/ldap/ldap.conf
