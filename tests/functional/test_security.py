"""Cross-cutting protections: CSRF, body size limits, headers, cookies, hidden communities, error pages."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from cop.accounts.models import User
from cop.communities.models import Membership
from cop.extensions import db
from tests.builders import PASSWORD, add_membership, make_community, make_user

TEN_MB = 10 * 1024 * 1024


class _MainText(HTMLParser):
    """The text inside ``<main>``, whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def main_text(response) -> str:
    parser = _MainText()
    parser.feed(response.get_data(as_text=True))
    return " ".join(" ".join(parser.parts).split())


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _cookie_attributes(response, name) -> dict[str, str]:
    """The attributes of the ``Set-Cookie`` header for ``name``, keys lowercased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            attributes = {}
            for part in header.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no Set-Cookie for {name!r}")


# --- CSRF ---------------------------------------------------------------------


def test_join_without_csrf_token_changes_nothing(client):
    user = make_user()
    community = make_community(visibility="open")
    _login(client, user)
    response = client.post(f"/c/{community.slug}/join", data={"accept_guidelines": "y"}, csrf=False)
    assert response.status_code == 400
    assert "nothing was changed" in main_text(response)
    assert _count(Membership) == 0
    db.session.refresh(community)
    assert community.member_count == 0
    # The same request with the token does join: the token was the only difference.
    assert client.post(f"/c/{community.slug}/join", data={"accept_guidelines": "y"}).status_code == 302
    assert _count(Membership) == 1


def test_register_without_csrf_token_changes_nothing(client):
    data = {"email": "csrf@example.com", "display_name": "No Token", "password": PASSWORD}
    response = client.post("/register", data=data, csrf=False)
    assert response.status_code == 400
    assert _count(User) == 0
    assert client.get("/people").status_code == 302  # not signed in


def test_wrong_csrf_token_is_refused(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/people").status_code == 302


# --- body size ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_huge_form_body_is_413(client, path):
    body = f"csrf_token={client.csrf_token()}&email=a%40example.com&password=" + "x" * TEN_MB
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    text = main_text(response)
    assert "Too large" in text and "Error 413" in text
    assert _count(User) == 0


# --- headers and cookies --------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path, status", [("/login", 200), ("/no-such-page", 404), ("/static/missing.css", 404)])
def test_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    csp = _csp(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # only with SECURE_COOKIES


def test_session_cookie_flags(client):
    user = make_user()
    response = client.get("/login")  # stores the CSRF token: the session cookie is set
    attributes = _cookie_attributes(response, "session")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert "secure" not in attributes

    login = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert login.status_code == 302
    remember = _cookie_attributes(login, "remember_token")
    assert "httponly" in remember and remember["samesite"].lower() == "lax"


@pytest.mark.parametrize("app_config", [{"SECURE_COOKIES": True}])
def test_secure_cookies_when_configured(client, app_config):
    user = make_user()
    response = client.get("/login", base_url="https://localhost")
    attributes = _cookie_attributes(response, "session")
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")

    # Over HTTPS, Flask-WTF also wants a same-site Referer, as a browser sends.
    login = client.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
        data={"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": _token_over_https(client)},
        csrf=False,
    )
    assert login.status_code == 302
    assert "secure" in _cookie_attributes(login, "remember_token")


def _token_over_https(client) -> str:
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


# --- hidden communities ---------------------------------------------------------


@pytest.mark.parametrize("subpath", ["", "/members", "/join", "/request", "/invitation", "/leave", "/edit", "/invite"])
def test_private_community_reads_as_missing(client, subpath):
    outsider = make_user()
    coordinator = make_user()
    make_community("secret-circle", visibility="private", coordinators=[coordinator])
    _login(client, outsider)

    missing = client.get(f"/c/no-such-community{subpath}")
    hidden = client.get(f"/c/secret-circle{subpath}")
    assert missing.status_code == 404
    assert hidden.status_code == 404
    assert main_text(hidden) == main_text(missing)
    assert "secret" not in hidden.get_data(as_text=True).lower()


def test_private_community_post_reads_as_missing(client):
    outsider = make_user()
    coordinator = make_user()
    member = make_user()
    community = make_community("secret-circle", visibility="private", coordinators=[coordinator])
    add_membership(community, member)
    _login(client, outsider)
    missing = client.post(f"/c/no-such-community/members/{member.id}/remove", data={})
    hidden = client.post(f"/c/secret-circle/members/{member.id}/remove", data={})
    assert missing.status_code == hidden.status_code == 404
    assert main_text(hidden) == main_text(missing)
    assert _count(Membership) == 2


def test_private_community_is_visible_to_its_members(client):
    member = make_user()
    make_community("secret-circle", visibility="private", members=[member])
    _login(client, member)
    assert client.get("/c/secret-circle").status_code == 200


def test_unknown_community_is_404(client):
    _login(client, make_user())
    response = client.get("/c/does-not-exist")
    assert response.status_code == 404
    assert "Page not found" in main_text(response)


def test_anonymous_sees_no_difference_between_private_and_missing(client):
    make_community("secret-circle", visibility="private")
    hidden = client.get("/c/secret-circle")
    missing = client.get("/c/no-such-community")
    assert hidden.status_code == missing.status_code == 302
    assert hidden.headers["Location"].startswith("/login?next=")


# --- error pages ----------------------------------------------------------------


def test_error_pages_show_no_traceback(app, client):
    def explode():
        raise RuntimeError("boom: secret internals")

    app.add_url_rule("/__explode__", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    user = make_user()
    responses = {
        404: client.get("/no-such-page"),
        405: client.get("/logout"),
        400: client.post("/register", data={}, csrf=False),
        413: client.post("/login", data="x=" + "y" * TEN_MB, content_type="application/x-www-form-urlencoded"),
    }
    _login(client, user)
    responses[403] = client.get("/admin/")
    responses[500] = client.get("/__explode__")
    for status, response in responses.items():
        assert response.status_code == status
        body = response.get_data(as_text=True)
        assert f"Error {status}" in main_text(response)
        assert "Traceback" not in body and "secret internals" not in body and 'File "' not in body
        assert response.headers["Content-Type"].startswith("text/html")
