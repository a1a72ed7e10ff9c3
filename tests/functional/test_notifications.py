"""Notifications through the views: the header's unread count, the list, opening one (a POST),
settings, watch and mute buttons, and unsubscribing from a mail's link without logging in."""

import re

import pytest
from sqlalchemy import event, select

from cop.communities import services as communities
from cop.discussions import services as discussions
from cop.extensions import db
from cop.notifications import mail, services as notifications
from cop.notifications.models import Notification
from tests.builders import make_community, make_user

UNREAD = re.compile(r'<span class="unread-count">(\d+)<span class="visually-hidden"> unread</span>')


@pytest.fixture
def scene(app):
    people = {n: make_user(f"{n}@example.com", n.title()) for n in ("coord", "asker", "helper")}
    guild = make_community("guild", coordinators=[people["coord"]], members=[people["asker"], people["helper"]])
    vault = make_community(
        "vault", visibility="restricted", coordinators=[people["coord"]], members=[people["asker"], people["helper"]]
    )
    thread = discussions.create_thread(people["helper"], guild, title="Release checklist", body="Draft")
    answer = discussions.reply(people["asker"], thread, thread.opening_post, "Looks good, @helper!")
    secret = discussions.create_thread(people["asker"], vault, title="Vault audit", body="@helper see this")
    return dict(people=people, guild=guild, vault=vault, thread=thread, answer=answer, secret=secret)


def unread_in(page) -> int:
    found = UNREAD.search(page.get_data(as_text=True))
    return int(found.group(1)) if found else 0


def test_unread_count_list_open_and_mark_all_read(app, client, login_as, scene):
    people = scene["people"]
    login_as(people["helper"])
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        home = client.get("/communities")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert unread_in(home) == 2
    # The header's count: a probe of the user's unread index entries, then (something is unread) one
    # permission-filtered count; never a query per notification.
    counted = [s for s in statements if "FROM notifications" in s]
    assert len(counted) == 2 and "LIMIT" in counted[0] and "anon_1" in counted[1]

    listing = client.get("/notifications")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "Asker mentioned you in “Release checklist”" in text and "Asker mentioned you in “Vault audit”" in text

    mention = db.session.scalar(
        select(Notification).where(
            Notification.user_id == people["helper"].id, Notification.post_id == scene["answer"].id
        )
    )
    opened = client.post("/notifications/open", data={"id": mention.id})
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/p/{scene['answer'].id}#post-{scene['answer'].id}"
    assert unread_in(client.get("/communities")) == 1

    # Someone else's notification, or nonsense: back to the list, nothing changed.
    theirs = discussions.reply(people["helper"], scene["thread"], scene["answer"], "Thanks @asker")
    other = db.session.scalar(select(Notification).where(Notification.post_id == theirs.id))
    refused = client.post("/notifications/open", data={"id": other.id}, follow_redirects=True)
    assert b"That notification is no longer available." in refused.data
    assert db.session.get(Notification, other.id).read_at is None

    # Removed from the restricted community: its notification leaves the list and the count.
    communities.remove_member(people["coord"], scene["vault"], people["helper"])
    listing = client.get("/notifications").get_data(as_text=True)
    assert "Vault audit" not in listing and "Release checklist" in listing
    assert unread_in(client.get("/communities")) == 0

    done = client.post("/notifications/read-all", follow_redirects=True)
    assert b"Nothing unread." in done.data


def test_settings_are_saved_and_bad_choices_come_back_with_a_message(app, client, login_as, scene):
    people = scene["people"]
    login_as(people["asker"])
    page = client.get("/account/notifications")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Mentions of you" in text and '<option selected value="immediately">' in text
    assert "Weekly summary of the communities you sponsor" not in text  # not a sponsor
    assert "Release checklist" in text  # the thread the asker replied to is watched

    form = {
        kind: "daily"
        for kind in (
            "reply",
            "accepted",
            "invitation",
            "decision",
            "join_request",
            "flag",
            "meeting",
            "new_thread",
            "watched_thread",
        )
    }
    bad = client.post("/account/notifications", data={**form, "mention": "hourly", "auto_watch": "y"})
    assert bad.status_code == 400
    assert b"Not a valid choice" in bad.data and b'<option selected value="daily">' in bad.data
    saved = client.post("/account/notifications", data={**form, "mention": "weekly"})
    assert saved.status_code == 302
    chosen = notifications.cadences(people["asker"])
    assert chosen["mention"] == "weekly" and chosen["reply"] == "daily"
    assert notifications.auto_watch_enabled(people["asker"].id) is False


def test_watch_buttons_and_unsubscribing_without_logging_in(app, client, login_as, scene):
    people = scene["people"]
    login_as(people["coord"])
    community_page = client.get("/c/guild").get_data(as_text=True)
    assert "Watch this community" in community_page
    assert client.post("/c/guild/watch", data={"level": "watch"}).status_code == 302
    assert "Stop watching" in client.get("/c/guild").get_data(as_text=True)
    assert client.post(f"/t/{scene['thread'].id}/watch", data={"level": "mute"}).status_code == 302
    assert "You muted this thread." in client.get(f"/t/{scene['thread'].id}").get_data(as_text=True)
    shouted = client.post("/c/guild/watch", data={"level": "shout"}, follow_redirects=True)
    assert b"Choose to watch, mute, or neither." in shouted.data
    coord = people["coord"]
    assert notifications.watch_level(coord, community=scene["guild"]) == "watch"
    assert notifications.watch_level(coord, thread=scene["thread"]) == "mute"

    # A private community the user cannot read: 404, as everywhere.
    private = make_community("circle", visibility="private", coordinators=[people["asker"]])
    assert client.post("/c/circle/watch", data={"level": "watch"}).status_code == 404
    assert notifications.watch_level(coord, community=private) is None

    # The mail's unsubscribe link, in a browser with no session.
    client.post("/logout")
    token = mail.unsubscribe_token(people["helper"].id, "mention")
    confirm = client.get(f"/unsubscribe/{token}")
    assert confirm.status_code == 200 and b"helper@example.com" in confirm.data
    assert notifications.cadences(people["helper"])["mention"] == "immediately"
    assert client.post(f"/unsubscribe/{token}", data={}, csrf=False).status_code == 400
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert notifications.cadences(people["helper"])["mention"] == "never"
    assert client.get(f"/unsubscribe/{token[:-2]}").status_code == 404
