"""Configuration read from the environment.

Every setting an operator may change is a ``COP_*`` environment variable.
Settings whose default lives in the instance folder (the SQLite file, the
generated secret key) are left as ``None`` here and resolved by
``create_app`` once the instance path is known.
"""

import os


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _csv(name: str) -> tuple[str, ...]:
    raw = os.environ.get(name, "")
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


class Config:
    # Where the SQLite file, the secret key (and later uploads and the search
    # index) live; Flask's default is ./instance beside the package.
    INSTANCE_PATH = os.environ.get("COP_INSTANCE_PATH") or None
    SECRET_KEY = os.environ.get("COP_SECRET_KEY") or None
    SQLALCHEMY_DATABASE_URI = os.environ.get("COP_DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # SQLite: seconds a write waits for another's lock before the request answers 503 "try again".
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("COP_SQLITE_BUSY_TIMEOUT", "5"))
    # PostgreSQL: settings of every session the app opens (libpq's "options"; empty: the server's own).
    # By default no parallel workers and no JIT compilation: requests already keep every core busy, and
    # compiling a report's statement cost more than running it (cop.database).
    POSTGRES_OPTIONS = os.environ.get("COP_POSTGRES_OPTIONS", "-c max_parallel_workers_per_gather=0 -c jit=off")
    # Rate-limit counters: default a SQLite file in the instance folder that every worker on this
    # host shares (cop.ratelimits); redis://host:6379 for several hosts.
    RATELIMIT_STORAGE_URI = os.environ.get("COP_RATELIMIT_STORAGE_URI") or None
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Reverse proxies in front of cop that append the client's address to X-Forwarded-For (0: none,
    # the peer's address is the client's). Rate limits count per client address.
    PROXY_HOPS = int(os.environ.get("COP_PROXY_HOPS") or 0)
    LOGIN_RATE_LIMIT_IP = os.environ.get("COP_LOGIN_RATE_LIMIT_IP", "20 per minute")
    LOGIN_RATE_LIMIT_ACCOUNT = os.environ.get("COP_LOGIN_RATE_LIMIT_ACCOUNT", "5 per 5 minutes")

    ALLOWED_EMAIL_DOMAINS = _csv("COP_ALLOWED_EMAIL_DOMAINS")
    PASSWORD_MIN_LENGTH = int(os.environ.get("COP_PASSWORD_MIN_LENGTH", "10"))

    # Library uploads: files up to MAX_UPLOAD_MB (create_app derives the
    # request limit, MAX_CONTENT_LENGTH, from it); ordinary form fields are
    # capped far lower so a huge urlencoded body is a 413, not a slow parse.
    # Files are stored under UPLOAD_FOLDER (default <instance>/uploads).
    MAX_UPLOAD_MB = int(os.environ.get("COP_MAX_UPLOAD_MB", "25"))
    MAX_CONTENT_LENGTH = (MAX_UPLOAD_MB + 1) * 1024 * 1024
    UPLOAD_FOLDER = os.environ.get("COP_UPLOAD_FOLDER") or None
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    # The Whoosh index (default <instance>/search_index); each host keeps its
    # own copy. SEARCH_INDEX_ON_COMMIT applies index changes right after each
    # commit; off, they wait in the outbox for `flask cop search catch-up`.
    SEARCH_INDEX_DIR = os.environ.get("COP_SEARCH_INDEX_DIR") or None
    # The search engine: "whoosh" (pure Python, the default) or "tantivy" (large deployments; see README).
    SEARCH_ENGINE = os.environ.get("COP_SEARCH_ENGINE") or "whoosh"
    SEARCH_INDEX_ON_COMMIT = _flag("COP_SEARCH_INDEX_ON_COMMIT", True)

    # Benchmarks only: an X-Query-Count header on every response (bench/).
    COUNT_QUERIES = _flag("COP_COUNT_QUERIES")
    # Every cache of cop.caching off (computed and rendered each time): to compare, or to rule caches out.
    CACHES_OFF = _flag("COP_CACHES_OFF")

    # E-mail (cop.notifications.mail). Without SMTP_HOST, mails are written as
    # .eml files to <instance>/mail so a machine with no mail server works.
    # SMTP_TLS: "starttls" (or 1/true/yes/on), "ssl" (implicit TLS), or off.
    # BASE_URL is the address in the links of e-mails (they are often sent from the CLI).
    SMTP_HOST = os.environ.get("COP_SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("COP_SMTP_PORT") or 0) or None
    SMTP_USER = os.environ.get("COP_SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("COP_SMTP_PASSWORD") or None
    SMTP_TLS = (os.environ.get("COP_SMTP_TLS") or "").strip().lower()
    MAIL_FROM = os.environ.get("COP_MAIL_FROM") or "cop <cop@localhost>"
    BASE_URL = (os.environ.get("COP_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    # Send immediate e-mails at the end of the request that caused them; off:
    # they wait for `flask cop send-mail` (e.g. from cron).
    MAIL_ON_COMMIT = _flag("COP_MAIL_ON_COMMIT", True)

    # Sign-in (cop.identity): which ways are offered, in this order: any of local, oidc, ldap.
    # With local off, only the break-glass administrator (``cop create-admin``) signs in with a password.
    AUTH_MODES = _csv("COP_AUTH_MODES") or ("local",)
    # Existing local accounts are linked to a directory identity only for verified addresses at these
    # domains (default: COP_ALLOWED_EMAIL_DOMAINS; neither set: never linked).
    LINK_EMAIL_DOMAINS = _csv("COP_LINK_EMAIL_DOMAINS")
    # Directory groups -> community roles, read from a TOML file (and the admin page's own mappings).
    GROUP_MAP_FILE = os.environ.get("COP_GROUP_MAP_FILE") or None
    # OpenID Connect: discovery from <issuer>/.well-known/openid-configuration.
    OIDC_ISSUER = (os.environ.get("COP_OIDC_ISSUER") or "").rstrip("/") or None
    OIDC_CLIENT_ID = os.environ.get("COP_OIDC_CLIENT_ID") or None
    OIDC_CLIENT_SECRET = os.environ.get("COP_OIDC_CLIENT_SECRET") or None
    OIDC_SCOPES = os.environ.get("COP_OIDC_SCOPES") or "openid email profile"
    OIDC_PROVIDER_NAME = os.environ.get("COP_OIDC_PROVIDER_NAME") or "single sign-on"
    OIDC_CLAIM_MAP = os.environ.get("COP_OIDC_CLAIM_MAP") or ""
    OIDC_GROUPS_CLAIM = os.environ.get("COP_OIDC_GROUPS_CLAIM") or "groups"
    OIDC_ALGORITHMS = _csv("COP_OIDC_ALGORITHMS") or ("rs256", "rs384", "rs512", "ps256", "es256", "es384")
    OIDC_TIMEOUT = float(os.environ.get("COP_OIDC_TIMEOUT") or 5)
    OIDC_CLOCK_SKEW = int(os.environ.get("COP_OIDC_CLOCK_SKEW") or 60)
    # LDAP / Active Directory: search as the bind DN, then bind as the person found.
    LDAP_URL = os.environ.get("COP_LDAP_URL") or None
    LDAP_BIND_DN = os.environ.get("COP_LDAP_BIND_DN") or None
    LDAP_BIND_PASSWORD = os.environ.get("COP_LDAP_BIND_PASSWORD") or None
    LDAP_USER_BASE = os.environ.get("COP_LDAP_USER_BASE") or None
    LDAP_USER_FILTER = os.environ.get("COP_LDAP_USER_FILTER") or "(objectClass=person)"
    LDAP_LOGIN_ATTRIBUTE = os.environ.get("COP_LDAP_LOGIN_ATTRIBUTE") or "uid"
    LDAP_ID_ATTRIBUTE = os.environ.get("COP_LDAP_ID_ATTRIBUTE") or "entryUUID"
    LDAP_ATTRIBUTE_MAP = os.environ.get("COP_LDAP_ATTRIBUTE_MAP") or ""
    LDAP_GROUP_BASE = os.environ.get("COP_LDAP_GROUP_BASE") or None
    LDAP_GROUP_FILTER = os.environ.get("COP_LDAP_GROUP_FILTER") or "(|(member={dn})(uniqueMember={dn}))"
    LDAP_STARTTLS = _flag("COP_LDAP_STARTTLS")
    LDAP_CA_FILE = os.environ.get("COP_LDAP_CA_FILE") or None
    LDAP_TIMEOUT = float(os.environ.get("COP_LDAP_TIMEOUT") or 5)
    LDAP_LABEL = os.environ.get("COP_LDAP_LABEL") or "company account"
    # The REST API (cop.api): requests per token (flask-limiter syntax).
    API_RATE_LIMIT = os.environ.get("COP_API_RATE_LIMIT", "300 per minute")
    # Webhooks (cop.webhooks): endpoints may be plain http, or resolve to loopback/private/link-local
    # addresses, only when an operator allows it; deliveries are sent after the request that caused
    # them unless WEBHOOKS_ON_COMMIT is off (then `flask cop webhooks run` sends them).
    WEBHOOK_ALLOW_HTTP = _flag("COP_WEBHOOK_ALLOW_HTTP")
    WEBHOOK_ALLOW_PRIVATE = _flag("COP_WEBHOOK_ALLOW_PRIVATE")
    WEBHOOKS_ON_COMMIT = _flag("COP_WEBHOOKS_ON_COMMIT", True)

    # Server-side sessions (cop.accounts.sessions): a sign-in lasts at most SESSION_MAX_AGE seconds
    # (also the remember cookie's lifetime); without "Keep me signed in" it also ends after
    # SESSION_IDLE seconds unused.
    SESSION_MAX_AGE = int(os.environ.get("COP_SESSION_MAX_AGE") or 14 * 24 * 3600)
    SESSION_IDLE = int(os.environ.get("COP_SESSION_IDLE") or 12 * 3600)

    SECURE_COOKIES = _flag("COP_SECURE_COOKIES")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = SECURE_COOKIES
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SECURE_COOKIES
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    TESTING = False


class TestingConfig(Config):
    """Tests keep CSRF and rate limits on: both are behaviour under test."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = None  # set by the test fixtures
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_MIN_LENGTH = 10
    ALLOWED_EMAIL_DOMAINS = ()
    SMTP_HOST = None  # mails go to <instance>/mail unless a test points them at its SMTP server
    SMTP_PORT = None
    SMTP_USER = None
    SMTP_PASSWORD = None
    SMTP_TLS = ""
    MAIL_FROM = "cop <cop@example.com>"
    BASE_URL = "http://cop.test"
    AUTH_MODES = ("local",)  # tests that sign in through a provider or directory set their own
    LINK_EMAIL_DOMAINS = ()
    GROUP_MAP_FILE = None
    OIDC_ISSUER = None
    LDAP_URL = None
