"""The personal time zone: chosen on the profile (a list of IANA zones), offered once from the browser,
taken from the identity provider's ``zoneinfo`` claim; every time then reads in it with the zone named."""

from datetime import datetime

import pytest

from cop.accounts.models import User
from cop.discussions import services as discussions
from cop.extensions import db
from cop.identity.provisioning import ExternalProfile, _refresh_profile
from tests.builders import make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"


def _zone(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User.time_zone).filter_by(email=email))


def test_profile_zone_browser_guess_and_times_shown_in_it(client, login_as):
    ann = make_user("ann@example.com", name="Ann")
    guild = make_community("guild", members=[ann])
    thread = discussions.create_thread(ann, guild, title="Winter", body="x")
    thread.opening_post.created_at = datetime(2026, 1, 15, 9, 30)
    db.session.commit()
    login_as(ann)

    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'name="cop-time-zone-unset"' in page and "2026-01-15 09:30 UTC" in page
    assert client.post("/account/time-zone", data={"time_zone": "Mars/Olympus"}).status_code == 400
    assert client.post("/account/time-zone", data={"time_zone": "Asia/Tokyo"}).status_code == 204
    assert _zone("ann@example.com") == "Asia/Tokyo"
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert (
        '<time datetime="2026-01-15T09:30:00Z" title="2026-01-15 18:30 JST (Asia/Tokyo)">2026-01-15 18:30 JST</time>'
    ) in page
    assert 'name="cop-time-zone-unset"' not in page

    form = {"display_name": "Ann", "title": "", "department": "", "location": "", "bio": "", "expertise": ""}
    bad = client.post("/account/profile", data={**form, "time_zone": "Europe/Nowhere"})
    assert bad.status_code == 400 and 'value="Europe/Nowhere"' in bad.get_data(as_text=True)
    assert "Choose a time zone from the list" in bad.get_data(as_text=True)
    assert client.post("/account/profile", data={**form, "time_zone": "America/New_York"}).status_code == 302
    assert client.post("/account/time-zone", data={"time_zone": "Asia/Tokyo"}).status_code == 204
    assert _zone("ann@example.com") == "America/New_York"  # a choice is never overridden by the browser
    assert 'list="profile-zone-names"' in client.get("/account/profile").get_data(as_text=True)


def test_the_identity_providers_zoneinfo_claim_is_taken_until_one_is_chosen(app):
    user = make_user("bo@example.com")
    profile = ExternalProfile.from_claims({"email": "bo@example.com", "zoneinfo": "Europe/Paris"}, {"email": "email"})
    _refresh_profile(user, profile, "bo@example.com")
    assert user.time_zone == "Europe/Paris"
    _refresh_profile(user, ExternalProfile.from_claims({"zoneinfo": "Asia/Tokyo"}, {}), "bo@example.com")
    assert user.time_zone == "Europe/Paris"
    other = make_user("cy@example.com")
    _refresh_profile(other, ExternalProfile.from_claims({"zoneinfo": "not a zone"}, {}), "cy@example.com")
    assert other.time_zone is None
