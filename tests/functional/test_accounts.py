"""Accounts through the views: registration, sessions, passwords, profiles, people."""

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from cop.accounts.models import User
from cop.extensions import db
from tests.builders import PASSWORD, make_user

NEW_PASSWORD = "a-brand-new-passphrase"


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


class _FieldParser(HTMLParser):
    """Collects input values and per-field error texts (``<p class="error" id="<field>-error">``)."""

    def __init__(self):
        super().__init__()
        self.values, self.errors, self._error_for = {}, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value")
        if tag == "p" and attrs.get("class") == "error" and (attrs.get("id") or "").endswith("-error"):
            self._error_for = attrs["id"][: -len("-error")]

    def handle_data(self, data):
        if self._error_for:
            self.errors[self._error_for] = self.errors.get(self._error_for, "") + data

    def handle_endtag(self, tag):
        if tag == "p":
            self._error_for = None


def _fields(response) -> _FieldParser:
    parser = _FieldParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def _register(client, email="new.person@example.com", name="New Person", password=PASSWORD):
    response = client.post("/register", data={"email": email, "display_name": name, "password": password})
    response.close()  # as the WSGI server does once the response is sent: the mail goes then
    return response


def _login(client, email, password=PASSWORD, next_url=None):
    url = "/login" if next_url is None else "/login?next=" + quote(next_url, safe="")
    return client.post(url, data={"email": email, "password": password})


def _signed_in(client) -> bool:
    """True when a login-only page answers (not a redirect to the login page)."""
    response = client.get("/people")
    assert response.status_code in (200, 302)
    return response.status_code == 200


# --- registration -----------------------------------------------------------


def _mails(app, to: str) -> list:
    """The e-mails written to the instance folder (no SMTP server in these tests) for ``to``."""
    import email
    import email.policy
    from pathlib import Path

    found = []
    for path in sorted((Path(app.instance_path) / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to in message["To"]:
            found.append(message)
    return found


def _link(message, part: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"http://cop\.test(\S*" + re.escape(part) + r"\S*)", text).group(1)).path


def test_register_mails_a_link_that_creates_the_account(app, client):
    response = _register(client, email="Ada.Lovelace@Example.com", name="Ada Lovelace")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _user("ada.lovelace@example.com") is None and not _signed_in(client)
    [message] = _mails(app, "ada.lovelace@example.com")
    assert message["Subject"] == "Confirm your cop account"
    link = _link(message, "/register/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "Ada Lovelace" in page.get_data(as_text=True)
    assert _user("ada.lovelace@example.com") is None  # opening the link (a mail scanner too) creates nothing
    created = client.post(link)
    assert created.status_code == 302 and created.headers["Location"] == "/communities"
    user = _user("ada.lovelace@example.com")
    assert user is not None and user.display_name == "Ada Lovelace"
    assert user.handle == "ada_lovelace"
    assert user.check_password(PASSWORD)
    assert _signed_in(client)
    # The link works once; a forged one is a 404.
    other = app.test_client()
    assert other.post(link).status_code == 302 and _user_count() == 1
    assert other.get("/register/confirm/" + link.rsplit("/", 1)[1][:-4] + "AAAA").status_code == 404


def test_register_with_a_taken_address_answers_like_a_new_one_and_mails_the_owner(app, client):
    """Issue 14 (6): the page says nothing about which addresses have accounts."""
    make_user("taken@example.com", "First Owner")
    before = _user_count()
    taken = _register(client, email="TAKEN@example.com", name="Second Person")
    fresh = _register(app.test_client(), email="fresh@example.com", name="Second Person")
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"] == "/login"
    assert client.get("/login").get_data(as_text=True).count("Almost there") == 1
    assert _user_count() == before
    assert _user("taken@example.com").display_name == "First Owner"
    assert _user("taken@example.com").check_password(PASSWORD)
    assert not _signed_in(client)
    [note] = _mails(app, "taken@example.com")
    assert note["Subject"] == "You already have a cop account"
    assert "/register/confirm/" not in note.get_body(("plain",)).get_content()
    assert _link(note, "/account/forgot-password") == "/account/forgot-password"


def test_register_short_password_is_refused(client):
    response = _register(client, password="short")
    assert response.status_code == 400
    assert "at least 10 characters" in _fields(response).errors["password"]
    assert _user_count() == 0
    assert not _signed_in(client)


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.com", "spaces in@example.com", "nobody@"])
def test_register_invalid_email_is_refused(client, email):
    response = _register(client, email=email)
    assert response.status_code == 400
    assert "not a valid e-mail address" in _fields(response).errors["email"]
    assert _user_count() == 0


@pytest.mark.parametrize("app_config", [{"ALLOWED_EMAIL_DOMAINS": ("example.com",)}])
def test_register_outside_allowed_domains_is_refused(client, app_config):
    refused = _register(client, email="someone@elsewhere.org")
    assert refused.status_code == 400
    assert "limited to addresses at example.com" in _fields(refused).errors["email"]
    look_alike = _register(client, email="someone@example.com.evil.org")
    assert look_alike.status_code == 400
    assert _user_count() == 0

    allowed = _register(client, email="someone@EXAMPLE.com")
    assert allowed.status_code == 302
    [message] = _mails(client.application, "someone@example.com")
    assert client.post(_link(message, "/register/confirm/")).status_code == 302
    assert _user("someone@example.com") is not None


# --- login, logout, sessions --------------------------------------------------


def test_login_success_and_failure(client):
    user = make_user("grace@example.com")
    wrong = _login(client, "Grace@Example.com", "not-the-password")
    assert wrong.status_code == 400
    fields = _fields(wrong)
    assert fields.values["email"] == "Grace@Example.com"
    assert fields.values.get("password") in (None, "")  # the password is never echoed
    assert "not-the-password" not in wrong.get_data(as_text=True)
    assert "do not match" in fields.errors["password"]
    assert not _signed_in(client)

    unknown = _login(client, "nobody@example.com")
    assert unknown.status_code == 400
    assert "do not match" in _fields(unknown).errors["password"]

    ok = _login(client, "Grace@Example.com")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert _signed_in(client)
    assert _user(user.email).last_login_at is not None


def test_logout_must_be_post(client):
    make_user("ida@example.com")
    assert _login(client, "ida@example.com").status_code == 302
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not _signed_in(client)


def test_login_starts_a_new_session(client):
    make_user("hedy@example.com")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "attacker-chosen"
    before = client.get_cookie("session").value
    assert _login(client, "hedy@example.com").status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_change_password_wrong_current_password(client):
    user = make_user("alan@example.com")
    _login(client, user.email)
    response = client.post(
        "/account/password", data={"current_password": "wrong-password!", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert "not right" in _fields(response).errors["current_password"]
    assert _user(user.email).check_password(PASSWORD)


def test_change_password_ends_other_sessions_only(app, client):
    user = make_user("barbara@example.com")
    other_device = app.test_client()
    assert _login(client, user.email).status_code == 302
    assert _login(other_device, user.email).status_code == 302
    assert _signed_in(other_device)

    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/people/{user.handle}"

    assert _signed_in(client)
    assert not _signed_in(other_device)
    assert _login(other_device, user.email, PASSWORD).status_code == 400
    assert _login(other_device, user.email, NEW_PASSWORD).status_code == 302


def test_disabling_an_account_ends_its_sessions(app, client):
    admin = make_user("root@example.com", admin=True)
    user = make_user("mallory@example.com")
    assert _login(client, user.email).status_code == 302
    assert _signed_in(client)

    admin_client = app.test_client()
    assert _login(admin_client, admin.email).status_code == 302
    response = admin_client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    assert _user(user.email).is_disabled

    assert not _signed_in(client)
    refused = _login(client, user.email)
    assert refused.status_code == 400
    assert not _signed_in(client)


# --- open redirects -----------------------------------------------------------

OPEN_REDIRECTS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",  # sent as-is: a literal percent sign
    "/\t/evil.example",  # what /%09/evil.example decodes to
    "javascript:alert(1)",
    "http:evil.example",
    "/\x00/x",
    " //evil.example",
    "/\n/evil.example",
    "///evil.example",
]


def _assert_same_site(location: str):
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert parts.scheme in ("", "http"), location
    assert location.startswith("/"), location
    # What a browser would do with it: drop tabs and newlines, read \ as /.
    browser_view = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    assert not browser_view.startswith("//"), location


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_off_site(client, target):
    make_user("eve@example.com")
    # A literal "%09" is only an odd same-site path; everything else is refused
    # and replaced by the home page (werkzeug would mask some of these otherwise).
    expected = target if target == "/%09/evil.example" else "/"
    response = _login(client, "eve@example.com", next_url=target)
    assert response.status_code == 302
    _assert_same_site(response.headers["Location"])
    assert response.headers["Location"] == expected
    # Already signed in, the login page sends the user on at once: same rule.
    again = client.get("/login?next=" + quote(target, safe=""))
    assert again.status_code == 302
    _assert_same_site(again.headers["Location"])
    assert again.headers["Location"] == expected


def test_login_honours_a_same_site_next(client):
    make_user("joan@example.com")
    response = _login(client, "joan@example.com", next_url="/communities?q=python")
    assert response.status_code == 302
    assert response.headers["Location"] == "/communities?q=python"


def test_login_redirect_from_protected_page_round_trip(client):
    make_user("lin@example.com")
    bounced = client.get("/communities")
    assert bounced.status_code == 302
    login_url = bounced.headers["Location"]
    assert login_url == "/login?next=%2Fcommunities"
    response = client.post(login_url, data={"email": "lin@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/communities"


# --- rate limits --------------------------------------------------------------


def _limit_count(setting: str) -> int:
    return int(setting.split()[0])


def test_login_rate_limit_per_account_does_not_lock_the_owner_out(app, client):
    """Issue 14 (5): failures count per account and address; the owner elsewhere still signs in."""
    make_user("target@example.com")
    allowed = _limit_count(app.config["LOGIN_RATE_LIMIT_ACCOUNT"])
    for _ in range(allowed):
        assert _login(client, "target@example.com", "wrong-guess-123").status_code == 400
    blocked = _login(client, "Target@example.com", "wrong-guess-456")  # any case
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # The attacker's address may not try this account again, even with the right password...
    assert _login(client, "target@example.com").status_code == 429
    # ...but the owner, at their own address, is not locked out.
    owner = app.test_client()
    owner.environ_base = {"REMOTE_ADDR": "10.9.8.7"}
    assert _login(owner, "target@example.com").status_code == 302
    # Other accounts are not locked out either.
    make_user("bystander@example.com")
    assert _login(client, "bystander@example.com").status_code == 302


def test_successful_logins_do_not_use_up_the_account_limit(app, client):
    make_user("regular@example.com")
    for _ in range(_limit_count(app.config["LOGIN_RATE_LIMIT_ACCOUNT"]) + 1):
        assert _login(client, "regular@example.com").status_code == 302
        client.post("/logout")


def test_login_rate_limit_per_ip(app, client):
    allowed = _limit_count(app.config["LOGIN_RATE_LIMIT_IP"])
    for n in range(allowed):
        assert _login(client, f"guess{n}@example.com", "wrong-guess-123").status_code == 400
    blocked = _login(client, "one-more@example.com", "wrong-guess-123")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    other_ip = app.test_client()
    other_ip.environ_base = {"REMOTE_ADDR": "10.1.2.3"}
    assert _login(other_ip, "one-more@example.com", "wrong-guess-123").status_code == 400


# --- profile and people -------------------------------------------------------


def test_edit_profile(client):
    user = make_user("rosalind@example.com", "Rosalind Franklin")
    _login(client, user.email)
    response = client.post(
        "/account/profile",
        data={
            "display_name": "Rosalind E. Franklin",
            "title": "Crystallographer",
            "department": "Biophysics",
            "location": "London",
            "expertise": "X-Ray  Diffraction, python, Python, , #DNA!",
            "bio": "I work on **fibres**.\n\n<script>alert('x')</script>\n\n[site](javascript:alert(2))",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/people/{user.handle}"

    saved = _user(user.email)
    assert (saved.display_name, saved.title, saved.department, saved.location) == (
        "Rosalind E. Franklin",
        "Crystallographer",
        "Biophysics",
        "London",
    )
    assert [t.name for t in saved.expertise] == ["#dna", "python", "x-ray-diffraction"]
    assert "<script" not in saved.bio_html and "javascript:" not in saved.bio_html

    page = client.get(f"/people/{user.handle}").get_data(as_text=True)
    assert "<strong>fibres</strong>" in page
    assert "Crystallographer" in page and "Biophysics" in page
    # The only scripts on the page are the site's own (static/), never the bio's.
    assert "<script" not in page.replace('<script src="/static/tags.js" defer></script>', "").replace(
        '<script src="/static/timezone.js" defer></script>', ""
    )
    assert "alert(" not in page
    assert "x-ray-diffraction" in page

    form = _fields(client.get("/account/profile"))
    assert form.values["expertise"] == "#dna, python, x-ray-diffraction"


def test_edit_profile_refuses_an_empty_name(client):
    user = make_user("nameless@example.com", "Has A Name")
    _login(client, user.email)
    response = client.post("/account/profile", data={"display_name": "   ", "title": "Changed"})
    assert response.status_code == 400
    assert _fields(response).errors["display_name"]
    assert _user(user.email).display_name == "Has A Name"
    assert _user(user.email).title == ""


def _people(client, **params) -> set[str]:
    response = client.get("/people", query_string=params)
    assert response.status_code == 200
    return set(re.findall(r'<a href="/people/([^"]+)">', response.get_data(as_text=True)))


def test_people_directory_filters(client):
    viewer = make_user("viewer@example.com", "Viewer", department="Finance")
    make_user("katherine@example.com", "Katherine Johnson", title="Mathematician", department="Flight Research")
    make_user("dorothy@example.com", "Dorothy Vaughan", title="Programmer", department="Computing")
    make_user("mary@example.com", "Mary Jackson", title="Engineer", department="Flight Research")
    make_user("ghost@example.com", "Ghost Flight", department="Flight Research", disabled=True)
    _login(client, viewer.email)
    client.post("/account/profile", data={"display_name": "Viewer", "department": "Finance", "expertise": "budgets"})
    for email, tags in [("katherine@example.com", "Orbital Mechanics, fortran"), ("dorothy@example.com", "fortran")]:
        other = client.application.test_client()
        _login(other, email)
        person = _user(email)
        saved = other.post(
            "/account/profile",
            data={
                "display_name": person.display_name,
                "title": person.title,
                "department": person.department,
                "expertise": tags,
            },
        )
        assert saved.status_code == 302

    assert _people(client) == {"viewer", "katherine", "dorothy", "mary"}  # not the disabled account
    assert _people(client, q="flight") == {"katherine", "mary"}
    assert _people(client, q="MATHEMATICIAN") == {"katherine"}
    assert _people(client, department="Flight Research") == {"katherine", "mary"}
    assert _people(client, department="Flight") == set()
    assert _people(client, tag="fortran") == {"katherine", "dorothy"}
    assert _people(client, tag="Orbital Mechanics") == {"katherine"}
    assert _people(client, tag="fortran", department="Computing") == {"dorothy"}
    assert _people(client, q="nobody-matches-this") == set()


def test_sign_out_deletes_the_keep_me_signed_in_cookie(client):
    """Issue 14 (1): signed in with "Keep me signed in", sign-out must delete the remember cookie too."""
    make_user("kim@example.com")
    response = client.post("/login", data={"email": "kim@example.com", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302 and client.get_cookie("remember_token")
    assert _signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert client.get_cookie("remember_token") is None
    # The client keeps every cookie the server left it: it is anonymous, now and on the next visit.
    assert not _signed_in(client)
    client.delete_cookie("session")
    assert not _signed_in(client)


def _copy_cookies(app, client, names=("session", "remember_token")):
    """A second browser holding copies of ``client``'s cookies (as a thief would)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def _sessions_of(user):
    from cop.accounts.models import UserSession

    db.session.expire_all()
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()


def test_a_cookie_copied_before_sign_out_dies_with_it(app, client):
    """Issue 14 (2): sign-out deletes the server-side session, so copies of its cookies stop working."""
    user = make_user("grace@example.com")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302 and client.get_cookie("remember_token")
    thief = _copy_cookies(app, client)
    only_remember = _copy_cookies(app, client, names=("remember_token",))
    assert _signed_in(thief) and _signed_in(only_remember)
    assert len(_sessions_of(user)) == 1
    client.post("/logout")
    assert _sessions_of(user) == []
    assert not _signed_in(thief)
    assert not _signed_in(only_remember)


def test_sign_out_everywhere_lists_and_ends_every_session(app, client):
    user = make_user("margaret@example.com")
    laptop = app.test_client()
    assert _login(laptop, user.email).status_code == 302
    laptop_copy = _copy_cookies(app, laptop)
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        headers={"User-Agent": "PhoneBrowser/1.0"},
    )
    page = client.get(f"/people/{user.handle}").get_data(as_text=True)
    assert "Where you are signed in" in page and page.count("This browser") == 1
    assert "PhoneBrowser/1.0" in page and "kept signed in" in page
    assert len(_sessions_of(user)) == 2
    other = make_user("other@example.com")
    assert "Where you are signed in" not in client.get(f"/people/{other.handle}").get_data(as_text=True)

    assert client.post("/account/sessions/end-all", csrf=False).status_code == 400  # CSRF required
    assert _signed_in(laptop)
    response = client.post("/account/sessions/end-all")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert _sessions_of(user) == []
    assert client.get_cookie("remember_token") is None
    for browser in (client, laptop, laptop_copy):
        assert not _signed_in(browser)


@pytest.mark.parametrize("app_config", [{"SESSION_MAX_AGE": 3600, "SESSION_IDLE": 600}])
def test_sessions_expire_absolutely_and_when_idle(app, client, app_config):
    from datetime import timedelta

    from cop.extensions import utcnow

    user = make_user("frances@example.com")
    remembered = app.test_client()
    remembered.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    _login(client, user.email)
    assert _signed_in(client) and _signed_in(remembered)
    plain, kept = sorted(_sessions_of(user), key=lambda s: s.remember)
    assert not plain.remember and kept.remember

    # Idle for longer than SESSION_IDLE: the plain session ends, the remembered one does not.
    plain.last_seen_at = kept.last_seen_at = utcnow() - timedelta(seconds=700)
    db.session.commit()
    assert not _signed_in(client)
    assert _signed_in(remembered)
    # A remembered session is used: last_seen_at is written (it was older than five minutes).
    kept = [s for s in _sessions_of(user) if s.remember][0]
    assert (utcnow() - kept.last_seen_at).total_seconds() < 60

    # Older than SESSION_MAX_AGE: even a remembered session ends, its cookie with it.
    kept.created_at = utcnow() - timedelta(seconds=3700)
    db.session.commit()
    assert not _signed_in(remembered)
    assert not _signed_in(_copy_cookies(app, remembered, names=("remember_token",)))

    # A new sign-in (anyone's) deletes expired sessions (both of them): only live ones are left.
    assert len(_sessions_of(user)) == 2
    other = make_user("other.signer@example.com")
    _login(app.test_client(), other.email)
    assert _sessions_of(user) == [] and len(_sessions_of(other)) == 1
    _login(client, user.email)
    assert len(_sessions_of(user)) == 1 and _signed_in(client)


def test_last_seen_is_not_written_on_every_request(app, client):
    from sqlalchemy import event

    user = make_user("hopper@example.com")
    _login(client, user.email)
    writes = []

    def note(conn, cursor, statement, *args):
        if "user_sessions" in statement and not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            assert _signed_in(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert writes == []


def test_forgot_password_answers_alike_and_mails_only_after_the_response(app, client):
    """Issue 14 (6): no mail work inside the request, so its time says nothing about the address."""
    make_user("known@example.com")
    answers = []
    for address in ("known@example.com", "unknown@example.com"):
        response = client.post("/account/forgot-password", data={"email": address})
        assert _mails(app, address) == []  # nothing sent while the response is being made
        response.close()  # the WSGI server has sent the response
        answers.append((response.status_code, response.headers["Location"]))
    assert answers[0] == answers[1] == (302, "/login")
    [message] = _mails(app, "known@example.com")
    assert _link(message, "/account/reset-password/").startswith("/account/reset-password/")
    assert _mails(app, "unknown@example.com") == []
    assert "If an account uses that address" in client.get("/login").get_data(as_text=True)
