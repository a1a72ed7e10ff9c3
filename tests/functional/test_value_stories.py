"""Value stories through the views: recording, bad input, confirming, and who may see them."""

import csv
import html
import io

import pytest
from sqlalchemy import func, select

from cop.discussions import services as discussions
from cop.extensions import db
from cop.value.models import ValueStory
from tests.builders import PASSWORD, make_community, make_user


@pytest.fixture
def backend():
    """The figures are checked on both databases in tests/unit/test_value_report.py."""
    return "sqlite"


@pytest.fixture
def login_as(client):
    """Sign out first, so the next person is really signed in (the login page redirects a signed-in user)."""

    def switch(user):
        client.post("/logout")
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302

    return switch


@pytest.fixture
def people(app):
    sponsor, coordinator = make_user(name="Sam Sponsor"), make_user(name="Cora Coordinator")
    member, outsider = make_user(name="Mo Member"), make_user(name="Oz Outsider")
    guild = make_community(
        "guild", visibility="private", sponsors=[sponsor], coordinators=[coordinator], members=[member]
    )
    return dict(sponsor=sponsor, coordinator=coordinator, member=member, outsider=outsider, guild=guild)


STORY = {
    "cycle": "realized",
    "text": "The new runbook zqrunbook cut on-call handovers.",
    "amount": "12.5",
    "unit": "hours_saved",
    "custom_unit": "",
    "subject_kind": "community",
    "subject_id": "",
}


def test_a_member_records_a_coordinator_confirms_a_sponsor_sees_the_sum(client, login_as, people):
    thread = discussions.create_thread(people["member"], people["guild"], title="On-call handovers", body="How?")
    login_as(people["member"])
    form = client.get(f"/c/guild/stories/new?on=thread&id={thread.id}").get_data(as_text=True)
    assert "On-call handovers" in form
    response = client.post(
        "/c/guild/stories/new", data=STORY | {"subject_kind": "thread", "subject_id": str(thread.id)}
    )
    assert response.status_code == 302
    story = db.session.scalars(select(ValueStory)).one()
    assert (story.thread_id, story.amount, story.unit, story.confirmed_at) == (thread.id, 12.5, "hours_saved", None)
    # A member cannot confirm; until a coordinator does, the report sums nothing.
    assert client.post(f"/c/guild/stories/{story.id}/confirm").status_code == 403
    login_as(people["sponsor"])
    page = client.get("/c/guild/report").get_data(as_text=True)
    assert 'id="cycle-realized"><th scope="row">Realized</th><td>1</td>' in page
    assert "No confirmed realized value in these periods." in page
    login_as(people["coordinator"])
    assert "Confirm this story" in client.get("/c/guild/stories").get_data(as_text=True)
    assert client.post(f"/c/guild/stories/{story.id}/confirm").status_code == 302
    login_as(people["sponsor"])
    page = client.get("/c/guild/report").get_data(as_text=True)
    assert '<td class="realized-amount">12.5 <span class="muted">(1 story)</span>' in page
    assert "zqrunbook" in page
    rows = list(csv.reader(io.StringIO(client.get("/c/guild/report.csv").get_data(as_text=True))))
    assert ["Realized value (confirmed)", "hours saved", "12.5", "1", "0", "0"] in rows
    assert "12.5 hours saved" in client.get("/c/guild/report/print").get_data(as_text=True)
    portfolio = client.get("/oversight").get_data(as_text=True)
    assert '<td class="value-cell" id="value-guild">1 story<br>12.5 hours saved</td>' in portfolio


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"amount": "lots"}, "amount", "Give the amount as a number"),
        ({"amount": "-3"}, "amount", "Give an amount of zero or more"),
        ({"unit": ""}, "unit", "Say what the amount measures"),
        ({"unit": "custom"}, "custom_unit", "Name the unit"),
        ({"cycle": "applied"}, "amount", "Only a realized-value story has a measured result"),
        ({"text": "x" * 2001}, "text", "Field cannot be longer than 2000 characters."),
        ({"cycle": ""}, "cycle", "Choose the value cycle"),
    ],
)
def test_bad_input_comes_back_with_what_was_typed(client, login_as, people, changes, field, message):
    login_as(people["member"])
    response = client.post("/c/guild/stories/new", data=STORY | changes)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page
    assert (STORY | changes)["text"] in page
    assert db.session.scalar(select(func.count()).select_from(ValueStory)) == 0


def test_a_private_communitys_stories_stay_inside(client, login_as, people):
    login_as(people["member"])
    client.post("/c/guild/stories/new", data=STORY)
    story_id = db.session.scalar(select(ValueStory.id))
    login_as(people["outsider"])
    for url in ("/c/guild/stories", "/c/guild/stories/new"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/c/guild/stories/{story_id}/confirm").status_code == 404
    assert client.post("/c/guild/stories/new", data=STORY).status_code == 404
    assert client.get("/c/guild/report").status_code == 404
    assert client.get("/c/guild/report.csv").status_code == 404
    found = client.get("/search", query_string={"q": "zqrunbook"}).get_data(as_text=True)
    assert "zqrunbook" not in found.split("<main", 1)[-1].replace('value="zqrunbook"', "")
    assert "zqrunbook" not in client.get("/oversight").get_data(as_text=True)
