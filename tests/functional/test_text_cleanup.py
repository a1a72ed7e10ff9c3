"""Control and invisible characters (issue 14, item 7): text is NFC with no control characters but
newline and tab in bodies; names and titles refuse invisible and direction-changing characters with a
form error; NUL reaches neither PostgreSQL (which cannot store it) nor an e-mail header or a file name.
Through the web forms and the API, on SQLite and PostgreSQL.
"""

import unicodedata

import pytest
from sqlalchemy import select

from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.library.services import safe_filename
from cop.notifications.mail import build_message
from tests.builders import bearer, make_community, make_token, make_user

DECOMPOSED = unicodedata.normalize("NFD", "café")  # "cafe" + a combining accent
HOSTILE_BODY = f"Line\x00one\r\nline\x0btwo\ttabbed \x85{DECOMPOSED}\x1b[31m"
CLEAN_BODY = "Lineone\nlinetwo\ttabbed café[31m"


@pytest.fixture
def member(app, login_as):
    user = make_user("writer@example.com", "Writer")
    make_community("guild", members=[user])
    login_as(user)
    return user


def _new_thread(client, title, body="Hello"):
    return client.post(
        "/c/guild/threads/new", data={"title": title, "body": body, "kind": "question", "priority": "3", "tags": ""}
    )


def test_bodies_and_titles_are_stored_clean_on_both_databases(client, member):
    response = _new_thread(client, f"Title\x00 with\u0085 {DECOMPOSED}", HOSTILE_BODY)

    assert response.status_code == 302
    thread = db.session.scalar(select(Thread))
    assert thread.title == "Title with café"
    assert db.session.get(Post, thread.opening_post_id).body_md == CLEAN_BODY


@pytest.mark.parametrize("backend", ["sqlite"])  # a form error before any SQL
@pytest.mark.parametrize("title", ["ad\u200bmin notice", "Invoice \u202egnp.exe", "\ufeffBOM first"])
def test_a_title_with_invisible_or_bidi_characters_is_refused_with_the_form_kept(client, member, title):
    response = _new_thread(client, title, "Keep this text")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "invisible or direction-changing characters" in page and "Keep this text" in page
    assert db.session.scalar(select(Thread)) is None


def test_the_api_cleans_and_refuses_alike(client, member):
    secret = make_token(member, scopes=("read", "write"))
    refused = client.post(
        "/api/v1/communities/guild/threads",
        csrf=False,
        headers=bearer(secret),
        json={"title": "ad\u200bmin", "body": "x"},
    )
    assert refused.status_code == 422 and "title" in refused.get_data(as_text=True)

    created = client.post(
        "/api/v1/communities/guild/threads",
        csrf=False,
        headers=bearer(secret),
        json={"title": "Clean\x00 me", "body": HOSTILE_BODY, "tags": ["a\x00b"]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    thread = db.session.get(Thread, created.json["id"])
    assert (thread.title, db.session.get(Post, thread.opening_post_id).body_md) == ("Clean me", CLEAN_BODY)
    assert [t.name for t in thread.tags] == ["ab"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_nul_and_line_breaks_never_reach_a_mail_header_or_a_file_name(app, member):
    member.display_name = "Writer\x00\r\nBcc: victim@example.com"  # as an old row might hold
    with app.test_request_context():
        message = build_message(
            member, subject="New reply\x00 in\r\nBcc: x@example.com", text="t", html="<p>t</p>", message_key="k-1"
        )
    assert "\x00" not in message.as_string() and message["Bcc"] is None
    assert message["Subject"] == "New reply in Bcc: x@example.com"
    assert message["To"].addresses[0].display_name == "Writer Bcc: victim@example.com"
    assert safe_filename("report.pdf\x00.html") == "report.pdf"
    assert safe_filename("invoice\u202egnp.exe") == "invoicegnp.exe"
    db.session.rollback()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_passwords_are_left_as_typed(client, app):
    password = "pass\tword\u00a0with spaces "  # a tab and odd spaces are part of someone's password
    user = make_user("odd@example.com", password=password)
    assert client.post("/login", data={"email": user.email, "password": password}).status_code == 302


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_display_name_that_looks_like_another_is_refused_and_controls_are_dropped(client, member):
    refused = client.post(
        "/account/profile",
        data={"display_name": "ad\u200bmin", "title": "", "department": "", "location": "", "bio": "", "expertise": ""},
    )
    assert refused.status_code == 400 and "invisible or direction-changing" in refused.get_data(as_text=True)

    saved = client.post(
        "/account/profile",
        data={
            "display_name": "Ada\x00 Love\u0301lace",
            "title": "",
            "department": "",
            "location": "",
            "bio": "",
            "expertise": "",
        },
    )
    assert saved.status_code == 302
    db.session.refresh(member)
    assert member.display_name == "Ada Lovélace"
