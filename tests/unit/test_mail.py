"""E-mail through a real SMTP server on loopback (aiosmtpd): the messages are parsed and checked.

Immediate mails, digests (idempotent, resumed after the server fails halfway), unsubscribe links
followed with the test client, and the rule that a restricted or private community's post body
never leaves the site.
"""

import email
import email.policy
import os
import re
import threading
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from cop.communities import services as communities
from cop.discussions import services as discussions
from cop.extensions import db, utcnow
from cop.notifications import digests, receivers, services as notifications
from cop.notifications.mail import MailError
from cop.notifications.models import Digest, Notification
from tests.builders import make_community, make_user

BASE = "http://cop.test"
SECRET = "canary-body-that-must-never-be-mailed"


class Inbox:
    """An aiosmtpd handler keeping every message; ``refuse_after`` makes it fail like a server going down."""

    def __init__(self):
        self.messages = []
        self.refuse_after = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
                return "421 4.3.2 Service shutting down"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            message.raw = envelope.content
            self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def to(self, address):
        return [message for rcpts, message in self.messages if address in rcpts]

    def clear(self):
        self.messages.clear()
        self.refuse_after = None


class _AnyPortController(Controller):
    """aiosmtpd's controller on a port the OS picks (port 0): the port is read from the listening socket
    before the controller's first connection to it (with port 0 it would connect to port 0)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = _AnyPortController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def app_config(smtp):
    smtp.clear()
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port}


@pytest.fixture
def people(app):
    names = ("coord", "asker", "helper", "watcher", "outsider")
    found = {n: make_user(f"{n}@example.com", n.title()) for n in names}
    found["open"] = make_community(
        "guild", coordinators=[found["coord"]], members=[found["asker"], found["helper"], found["watcher"]]
    )
    found["private"] = make_community(
        "circle", visibility="private", coordinators=[found["coord"]], members=[found["asker"], found["helper"]]
    )
    return found


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def parts(message):
    """(text, html, links in the HTML) of a multipart/alternative message, checking its shape."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    parser = _Links()
    parser.feed(html)
    return text, html, parser.hrefs


def text_links(text):
    return re.findall(r"https?://\S+", text)


def path_of(url):
    assert url.startswith(BASE + "/"), url
    return urlsplit(url).path


def send_committed():
    """What the end of a request does: send the immediate mails this context committed."""
    return digests.deliver_notifications(receivers.take_committed_mail())


def test_an_immediate_mail_has_both_parts_headers_and_working_links(app, client, smtp, people):
    thread = discussions.create_thread(
        people["asker"], people["open"], title="Fixtures across modules", body="How do I share one?"
    )
    discussions.reply(
        people["helper"],
        thread,
        thread.opening_post,
        "Use **conftest.py**, @asker — and <script>alert(1)</script> is not a tag here.",
    )
    result = send_committed()
    assert result.sent == 1
    [message] = smtp.to("asker@example.com")
    assert message["Subject"] == "Helper mentioned you in “Fixtures across modules”"
    assert message["From"] == "cop <cop@example.com>"
    assert message["To"].addresses[0].addr_spec == "asker@example.com"
    notification = db.session.scalar(select(Notification).where(Notification.user_id == people["asker"].id))
    assert message["Message-ID"] == f"<notification-{notification.id}@example.com>"
    assert notification.emailed_at is not None and notification.kind == "mention"

    text, html, hrefs = parts(message)
    # An open community: an excerpt of the rendered text, never the stored HTML.
    assert "Use conftest.py, @asker" in text and "<strong>" not in text
    assert "<strong>" not in html and "&lt;script&gt;" not in html and "<script>" not in html
    post_url = f"{BASE}/p/{notification.post_id}"
    assert post_url in text_links(text) and post_url in hrefs

    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert re.search(rb"^List-Unsubscribe: <http://cop\.test/unsubscribe/[\w.-]+>\r?$", message.raw, re.M)
    assert unsubscribe in text_links(text) and unsubscribe in hrefs
    # The link works without logging in, asks first (GET changes nothing), then stops this kind only.
    page = client.get(path_of(unsubscribe))
    assert page.status_code == 200 and b"Stop sending e-mails about: mentions of you" in page.data
    assert notifications.cadences(people["asker"])["mention"] == "immediately"
    done = client.post(path_of(unsubscribe))
    assert done.status_code == 200 and b"will no longer receive" in done.data
    chosen = notifications.cadences(people["asker"])
    assert chosen["mention"] == "never" and chosen["reply"] == "immediately"
    assert client.get(path_of(unsubscribe)[:-3] + "xyz").status_code == 404

    # Mentioned again: in the app, but no more mail.
    discussions.reply(people["helper"], thread, thread.opening_post, "@asker once more")
    assert send_committed().sent == 0
    assert len(smtp.to("asker@example.com")) == 1
    assert notifications.unread_count(people["asker"]) == 2


def test_a_private_communitys_post_body_is_never_mailed(app, smtp, people):
    thread = discussions.create_thread(
        people["asker"], people["private"], title="Reorg plans", body="Opening " + SECRET
    )
    discussions.reply(people["helper"], thread, thread.opening_post, f"@asker {SECRET} in the reply")
    send_committed()
    [message] = smtp.to("asker@example.com")
    text, html, hrefs = parts(message)
    assert "Reorg plans" in message["Subject"] and "Reorg plans" in text
    raw = message.as_string()
    assert SECRET not in raw and SECRET not in text and SECRET not in html
    assert any(h.startswith(f"{BASE}/p/") for h in hrefs)

    # Nor in a digest.
    notifications.save_preferences(people["asker"], {"mention": "daily"}, auto_watch=True)
    discussions.reply(people["helper"], thread, thread.opening_post, f"@asker {SECRET} again")
    assert digests.send_digests("daily").sent == 1
    digest = smtp.to("asker@example.com")[-1]
    assert digest["Subject"] == "Your daily digest: 1 notification"
    assert SECRET not in digest.as_string() and "Reorg plans" in parts(digest)[0]


def _daily_for(people, names, thread):
    for name in names:
        notifications.save_preferences(people[name], {"watched_thread": "daily", "reply": "daily"}, auto_watch=True)
        notifications.set_thread_watch(people[name], thread, "watch")


def test_digests_are_idempotent_and_resume_after_the_server_fails_halfway(app, runner, smtp, people):
    readers = ("coord", "asker", "helper", "watcher")
    communities.join_community(people["outsider"], people["open"], accepted_guidelines=True)
    thread = discussions.create_thread(people["outsider"], people["open"], title="Shared thread", body="Hello")
    _daily_for(people, readers, thread)
    discussions.reply(people["outsider"], thread, thread.opening_post, "First news")
    discussions.reply(people["outsider"], thread, thread.opening_post, "Second news")
    assert send_committed().sent == 0  # all daily

    smtp.refuse_after = 2  # the server accepts two digests, then goes down
    with pytest.raises(MailError):
        digests.send_digests("daily")
    assert len(smtp.messages) == 2
    smtp.refuse_after = None
    again = digests.send_digests("daily")
    assert again.sent == 2
    assert digests.send_digests("daily").sent == 0  # a third run: nothing twice
    for name in readers:
        [digest] = smtp.to(f"{name}@example.com")
        text, _html, hrefs = parts(digest)
        assert text.count("Outsider replied in “Shared thread”") == 2
        assert digest["List-Unsubscribe"].strip("<>") in hrefs
    assert db.session.scalar(select(func.count()).select_from(Digest).where(Digest.sent_at.is_(None))) == 0

    # The next day's run sends only what is new; the CLI reports it.
    discussions.reply(people["outsider"], thread, thread.opening_post, "Third news")
    smtp.clear()
    outcome = runner.invoke(args=["cop", "send-digests", "daily"], catch_exceptions=False)
    assert outcome.exit_code == 0 and "Sent 0 daily digests" in outcome.output  # same day: already sent
    assert digests.send_digests("daily", now=utcnow() + timedelta(days=1)).sent == 4
    assert all(len(smtp.to(f"{name}@example.com")) == 1 for name in readers)


def test_the_command_fails_clearly_when_the_server_is_down_and_the_next_run_delivers(app, runner, smtp, people):
    notifications.save_preferences(people["asker"], {"invitation": "weekly"}, auto_watch=True)
    communities.invite(people["coord"], make_community("other", coordinators=[people["coord"]]), "asker@example.com")
    smtp.refuse_after = 0
    outcome = runner.invoke(args=["cop", "send-digests", "weekly"])
    assert outcome.exit_code != 0 and "run this again" in outcome.output
    record = db.session.scalar(select(Digest))
    assert record.sent_at is None and "421" in record.error
    smtp.refuse_after = None
    assert runner.invoke(args=["cop", "send-digests", "weekly"]).exit_code == 0
    [digest] = smtp.to("asker@example.com")
    assert "Coord invited you to join Other" in parts(digest)[0]


def test_a_removed_member_gets_no_more_mail_about_the_community(app, smtp, people):
    thread = discussions.create_thread(people["asker"], people["private"], title="Private plans", body="x")
    notifications.save_preferences(people["helper"], {"watched_thread": "daily"}, auto_watch=True)
    notifications.set_thread_watch(people["helper"], thread, "watch")
    discussions.reply(people["asker"], thread, thread.opening_post, "Update one")  # helper: daily, pending
    communities.remove_member(people["coord"], people["private"], people["helper"])
    discussions.reply(people["asker"], thread, thread.opening_post, "Update two @helper")
    send_committed()
    assert smtp.to("helper@example.com") == []
    # The pending notification from before the removal is no longer visible: no digest either.
    result = digests.send_digests("daily")
    assert (result.sent, result.empty) == (0, 1)
    assert smtp.to("helper@example.com") == []
    assert notifications.unread_count(people["helper"]) == 0


def test_without_an_smtp_host_mail_is_written_to_the_instance_folder(app, people):
    app.config["SMTP_HOST"] = None
    communities.invite(
        people["coord"], make_community("another", coordinators=[people["coord"]]), "outsider@example.com"
    )
    assert send_committed().sent == 1
    folder = os.path.join(app.instance_path, "mail")
    [name] = os.listdir(folder)
    with open(os.path.join(folder, name), "rb") as handle:
        message = email.message_from_bytes(handle.read(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "outsider@example.com"
    assert "invited you to join Another" in parts(message)[0]


def test_sponsors_get_one_weekly_summary_of_their_communities(app, runner, smtp, people):
    sponsor = make_user("sponsor@example.com", "Sam Sponsor")
    funded = make_community(
        "funded", name="Funded Guild", coordinators=[people["coord"]], members=[people["asker"]], sponsors=[sponsor]
    )
    thread = discussions.create_thread(people["asker"], funded, title="Kick-off", body="Hello")
    discussions.reply(people["coord"], thread, thread.opening_post, "Welcome")
    smtp.clear()
    outcome = runner.invoke(args=["cop", "send-digests", "weekly"], catch_exceptions=False)
    assert outcome.exit_code == 0 and "Sent 1 sponsor summaries." in outcome.output
    [summary] = smtp.to("sponsor@example.com")
    assert summary["Subject"].startswith("Your communities this week (")
    text, html, hrefs = parts(summary)
    assert "== Funded Guild ==" in text and f"{BASE}/c/funded/report" in hrefs
    assert re.search(r"Posts: 2 \(0\)", text), text
    assert summary["List-Unsubscribe"].strip("<>") in hrefs
    assert digests.send_sponsor_summaries().sent == 0  # once a week
    notifications.unsubscribe(sponsor, "sponsor_summary")
    assert digests.send_sponsor_summaries(now=utcnow() + timedelta(days=7)).sent == 0


def test_a_password_reset_link_works_once(app, client, smtp, people):
    page = client.get("/login")
    assert b"Forgot your password?" in page.data
    sent = client.post("/account/forgot-password", data={"email": "Asker@Example.com"}, follow_redirects=True)
    assert b"If an account uses that address" in sent.data
    unknown = client.post("/account/forgot-password", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert b"If an account uses that address" in unknown.data  # the same answer: nothing revealed
    [message] = smtp.to("asker@example.com")
    assert len(smtp.messages) == 1
    text, _html, hrefs = parts(message)
    [link] = [h for h in hrefs if "/account/reset-password/" in h]
    assert link in text_links(text)

    short = client.post(path_of(link), data={"password": "short"})
    assert short.status_code == 400 and b"at least 10 characters" in short.data
    done = client.post(path_of(link), data={"password": "a brand new passphrase"})
    assert done.status_code == 302
    assert "Asker" in client.get("/").get_data(as_text=True)  # logged in
    assert client.get(path_of(link)).status_code == 404  # used once
    client.post("/logout")
    assert (
        client.post("/login", data={"email": "asker@example.com", "password": "a brand new passphrase"}).status_code
        == 302
    )
