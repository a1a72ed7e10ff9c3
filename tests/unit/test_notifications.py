"""Notification services against a real database: who is told what, de-duplication, watches and
mutes, preferences, and the read-time filter (a removed member no longer sees old notifications)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cop import signals
from cop.communities import services as communities
from cop.discussions import services as discussions
from cop.errors import DomainError, NotAllowed
from cop.events.models import Event
from cop.extensions import db, utcnow
from cop.notifications import mail, services as notifications
from cop.notifications.models import Notification, NotificationPreference, Watch
from cop.tags.models import Tag, TagWatch
from tests.builders import make_community, make_user


@pytest.fixture
def crowd(app):
    people = {
        n: make_user(f"{n}@example.com", n.title())
        for n in ("coord", "asker", "helper", "watcher", "outsider", "admin")
    }
    people["admin"].is_admin = True
    open_c = make_community(
        "guild", coordinators=[people["coord"]], members=[people["asker"], people["helper"], people["watcher"]]
    )
    restricted = make_community(
        "vault", visibility="restricted", coordinators=[people["coord"]], members=[people["asker"], people["helper"]]
    )
    return people, open_c, restricted


def told(user) -> list[tuple[str, str]]:
    """(kind, sentence) of every notification ``user`` may see, oldest first."""
    rows = db.session.scalars(notifications.readable_notifications(user))
    return [(n.kind, notifications.describe(n)) for n in reversed(list(rows))]


def stored(user) -> list[str]:
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id))
    )


def test_a_reply_that_mentions_the_asker_is_one_mention_and_never_told_to_its_author(crowd):
    people, guild, _ = crowd
    thread = discussions.create_thread(people["asker"], guild, title="Flaky tests", body="Why?")
    notifications.set_thread_watch(people["watcher"], thread, "watch")
    answer = discussions.reply(people["helper"], thread, thread.opening_post, "Ask @asker and @watcher, @helper.")
    assert told(people["asker"]) == [("mention", "Helper mentioned you in “Flaky tests”")]
    assert told(people["watcher"]) == [("mention", "Helper mentioned you in “Flaky tests”")]
    assert stored(people["helper"]) == []  # mentioning yourself tells nobody
    # A reply to the helper's post: the helper hears of it as a reply to their post, the asker (thread author,
    # watching automatically) as a reply in their thread, the watcher as activity in a watched thread.
    discussions.reply(people["coord"], thread, answer, "Agreed.")
    assert told(people["helper"]) == [("reply", "Coord replied to your post in “Flaky tests”")]
    assert told(people["asker"])[-1] == ("reply", "Coord replied to your thread “Flaky tests”")
    assert told(people["watcher"])[-1] == ("watched_thread", "Coord replied in “Flaky tests”")
    # The helper replied, so now watches the thread; the coordinator's later edit mentions only newcomers.
    assert notifications.watch_level(people["helper"], thread=thread) == "watch"
    discussions.edit_post(people["helper"], answer, "Ask @asker, @watcher and @coord.")
    assert stored(people["coord"]) == ["mention"]
    assert stored(people["asker"]) == ["mention", "reply"]


def test_accepted_answers_flags_and_membership_news_reach_the_right_people(crowd):
    people, guild, vault = crowd
    thread = discussions.create_thread(people["asker"], guild, title="Which runner?", body="?", kind="question")
    answer = discussions.reply(people["helper"], thread, thread.opening_post, "pytest")
    discussions.set_accepted(people["asker"], thread, answer)
    discussions.set_accepted(people["asker"], thread, answer)  # accepting it again tells nobody again
    assert [k for k, _ in told(people["helper"])] == ["accepted"]
    discussions.flag_post(people["watcher"], answer, "add-value")
    assert told(people["coord"]) == [("flag", "Watcher flagged a post in “Which runner?” (Add value)")]

    communities.request_to_join(people["watcher"], vault, accepted_guidelines=True)
    assert told(people["coord"])[-1] == ("join_request", "Watcher asked to join Vault")
    membership = communities.find_membership(vault, people["watcher"])
    communities.decide_request(people["coord"], membership, approve=False)
    assert told(people["watcher"])[-1] == ("decision", "Your request to join Vault was declined")

    private = make_community("circle", visibility="private", coordinators=[people["coord"]])
    communities.invite(people["coord"], private, "outsider@example.com")
    # The invitee cannot read the private community yet, but may see the invitation.
    assert told(people["outsider"]) == [("invitation", "Coord invited you to join Circle")]
    assert notifications.unread_count(people["outsider"]) == 1


def test_only_people_who_may_read_the_community_are_told(crowd):
    people, guild, vault = crowd
    python = Tag(name="python")
    db.session.add(python)
    db.session.flush()
    db.session.add_all(
        [
            TagWatch(user_id=people["outsider"].id, tag_id=python.id),
            TagWatch(user_id=people["watcher"].id, tag_id=python.id),
        ]
    )
    db.session.commit()
    discussions.create_thread(people["asker"], vault, title="Secret", body="@outsider @watcher look", tags="python")
    assert stored(people["outsider"]) == [] and stored(people["watcher"]) == []
    discussions.create_thread(people["asker"], guild, title="Open", body="hi", tags="python")
    assert told(people["outsider"]) == [("new_thread", "Asker started “Open” in Guild")]
    # A disabled account hears nothing.
    people["watcher"].is_disabled = True
    db.session.commit()
    discussions.create_thread(people["asker"], guild, title="Open again", body="hi", tags="python")
    assert stored(people["watcher"]) == ["new_thread"]


def test_a_removed_member_stops_being_told_and_no_longer_sees_old_notifications(crowd):
    people, guild, vault = crowd
    # Removed from an open community: still able to read it, but told nothing more about it.
    notifications.set_community_watch(people["watcher"], guild, "watch")
    communities.remove_member(people["coord"], guild, people["watcher"])
    discussions.create_thread(people["asker"], guild, title="After", body="@watcher hi")
    assert stored(people["watcher"]) == []
    thread = discussions.create_thread(people["asker"], vault, title="Vault plans", body="x")
    discussions.reply(people["asker"], thread, thread.opening_post, "@helper have a look")
    assert notifications.unread_count(people["helper"]) == 1
    communities.remove_member(people["coord"], vault, people["helper"])
    assert told(people["helper"]) == [] and notifications.unread_count(people["helper"]) == 0
    discussions.reply(people["asker"], thread, thread.opening_post, "@helper again")
    assert stored(people["helper"]) == ["mention"]  # only the old one, which stays hidden
    # A deleted thread's notifications disappear too.
    discussions.reply(people["coord"], thread, thread.opening_post, "@asker done")
    assert notifications.unread_count(people["asker"]) == 1
    discussions.delete_post(people["asker"], thread.opening_post)
    assert notifications.unread_count(people["asker"]) == 0
    # A thread moved to a community the user cannot read takes its notifications along.
    moved = discussions.create_thread(people["coord"], guild, title="Moving", body="@outsider hi")
    assert notifications.unread_count(people["outsider"]) == 1
    discussions.move_thread(people["coord"], moved, vault)
    assert notifications.unread_count(people["outsider"]) == 0


def test_watching_and_muting_communities_threads_and_tags(crowd):
    people, guild, _ = crowd
    watcher, asker = people["watcher"], people["asker"]
    notifications.set_community_watch(watcher, guild, "watch")
    discussions.create_thread(asker, guild, title="One", body="x", tags="ci")
    assert told(watcher) == [("new_thread", "Asker started “One” in Guild")]
    # A muted tag silences the community watch for threads with it; unmuting brings them back.
    ci = db.session.scalar(select(Tag).where(Tag.name == "ci"))
    notifications.set_tag_watch(watcher, ci, "mute")
    assert notifications.watch_level(watcher, tag=ci) == "mute"
    discussions.create_thread(asker, guild, title="Two", body="x", tags="ci")
    assert len(told(watcher)) == 1
    notifications.set_tag_watch(watcher, ci, "watch")
    assert notifications.watch_level(watcher, tag=ci) == "watch"
    assert db.session.scalar(select(Watch).where(Watch.tag_id == ci.id)) is None
    discussions.create_thread(asker, guild, title="Three", body="x", tags="ci")
    assert len(told(watcher)) == 2

    # Muting the community: no new threads, no meetings.
    notifications.set_community_watch(watcher, guild, "mute")
    discussions.create_thread(asker, guild, title="Four", body="x")
    meeting = Event(
        community_id=guild.id,
        organiser_id=people["coord"].id,
        title="Retro",
        starts_at=utcnow() + timedelta(days=1),
        ends_at=utcnow() + timedelta(days=1, hours=1),
    )
    db.session.add(meeting)
    db.session.flush()
    signals.meeting_saved.send(people["coord"], event=meeting, change="new")
    db.session.commit()
    assert len(told(watcher)) == 2
    assert told(asker)[-1] == ("meeting", "New meeting in Guild: “Retro”")
    told_of_meeting = db.session.scalar(select(Notification).where(Notification.kind == "meeting"))
    assert notifications.target_of(told_of_meeting) == ("events.meeting", {"event_id": meeting.id})
    assert stored(people["coord"]) == []  # the organiser is not told of their own meeting

    # Muting a thread you started: replies to the thread are silent, a reply to your own later post is not.
    thread = discussions.create_thread(asker, guild, title="Five", body="x")
    notifications.set_thread_watch(asker, thread, "mute")
    discussions.reply(people["helper"], thread, thread.opening_post, "to the thread")
    before = len(stored(asker))
    mine = discussions.reply(asker, thread, thread.opening_post, "my own post")
    assert notifications.watch_level(asker, thread=thread) == "mute"  # replying does not undo a mute
    discussions.reply(people["helper"], thread, mine, "to your post")
    assert len(stored(asker)) == before + 1 and told(asker)[-1][0] == "reply"

    with pytest.raises(DomainError):
        notifications.set_thread_watch(asker, thread, "shout")
    private = make_community("circle", visibility="private", coordinators=[people["coord"]])
    with pytest.raises(NotAllowed):
        notifications.set_community_watch(people["outsider"], private, "watch")


def test_auto_watch_can_be_turned_off(crowd):
    people, guild, _ = crowd
    notifications.save_preferences(people["helper"], {}, auto_watch=False)
    thread = discussions.create_thread(people["helper"], guild, title="Mine", body="x")
    discussions.reply(people["helper"], thread, thread.opening_post, "me again")
    assert notifications.watch_level(people["helper"], thread=thread) is None
    discussions.reply(people["asker"], thread, thread.opening_post, "a reply")
    assert [k for k, _ in told(people["helper"])] == ["reply"]  # still told as the thread's author


def test_preferences_decide_delivery_and_unsubscribe_stops_one_kind(crowd):
    people, guild, _ = crowd
    helper = people["helper"]
    with pytest.raises(DomainError) as info:
        notifications.save_preferences(helper, {"mention": "hourly"}, auto_watch=True)
    assert info.value.field == "mention"
    with pytest.raises(DomainError):
        notifications.save_preferences(helper, {"sponsor_summary": "daily"}, auto_watch=True)
    notifications.save_preferences(helper, {"mention": "weekly", "reply": "daily"}, auto_watch=True)
    discussions.create_thread(people["asker"], guild, title="T", body="@helper hi")
    mention = db.session.scalar(select(Notification).where(Notification.user_id == helper.id))
    assert (mention.kind, mention.delivery) == ("mention", "weekly")

    token = mail.unsubscribe_token(helper.id, "weekly")
    user, kind = notifications.user_for_unsubscribe(token)
    assert (user.id, kind) == (helper.id, "weekly")
    notifications.unsubscribe(user, kind)
    chosen = notifications.cadences(helper)
    assert chosen["mention"] == "never" and chosen["reply"] == "daily"
    db.session.refresh(mention)
    assert mention.delivery == "never"  # the pending mail is not sent either
    assert notifications.user_for_unsubscribe(token + "x") is None
    assert notifications.user_for_unsubscribe(mail.unsubscribe_token(helper.id, "everything")) is None
    # Only choices that differ from the default are stored: choosing the default again removes the row.
    notifications.save_preferences(helper, {"reply": "immediately"}, auto_watch=True)
    assert db.session.get(NotificationPreference, (helper.id, "reply")) is None
    assert db.session.get(NotificationPreference, (helper.id, "mention")).cadence == "never"


def test_opening_and_marking_read(crowd):
    people, guild, _ = crowd
    thread = discussions.create_thread(people["asker"], guild, title="T", body="@helper @watcher hi")
    discussions.reply(people["asker"], thread, thread.opening_post, "@helper more")
    mine = db.session.scalars(select(Notification).where(Notification.user_id == people["helper"].id)).all()
    theirs = db.session.scalar(select(Notification).where(Notification.user_id == people["watcher"].id))
    assert notifications.open_notification(people["helper"], theirs.id) is None
    assert notifications.open_notification(people["helper"], "not a number") is None
    opened = notifications.open_notification(people["helper"], mine[0].id)
    assert opened.read_at is not None and notifications.unread_count(people["helper"]) == 1
    assert notifications.target_of(opened) == ("discussions.post_link", {"post_id": thread.opening_post_id})
    assert notifications.mark_all_read(people["helper"]) == 1
    assert notifications.unread_count(people["helper"]) == 0 and notifications.unread_count(people["watcher"]) == 1
    page = notifications.notification_page(people["helper"], per_page=1)
    assert page.total == 2 and len(page.items) == 1
