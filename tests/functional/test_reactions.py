"""Reactions through the views: toggling (once per person and kind), counts and who, helpful rules,
bad input, privacy (a private community's reactions never reach a non-member), and the helpful counts
the reports read."""

import pytest

from cop import permissions
from cop.accounts.sessions import start_session
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.extensions import db
from cop.oversight import periods, reports
from cop.reactions import services as reactions
from cop.reactions.models import Reaction
from tests.builders import make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"  # nothing here differs on PostgreSQL (the migration test covers the table)


@pytest.fixture
def sign_in(app, client):
    def new_client(user):
        other = app.test_client()
        with other.session_transaction() as session:
            session["_user_id"] = start_session(user)
            session["_fresh"] = True
        return other

    return new_client


@pytest.fixture
def world(app):
    ann, bob, cy, outsider = (make_user(f"{n}@example.com", name=n.title()) for n in ("ann", "bob", "cy", "out"))
    secret = make_community("secret", visibility="private", members=[ann, bob, cy])
    thread = discussions.create_thread(ann, secret, title="Deploy keys", body="How do you rotate them?")
    answer = discussions.reply(bob, thread, thread.opening_post, "With a **vault**.")
    return {
        "ann": ann,
        "bob": bob,
        "cy": cy,
        "outsider": outsider,
        "secret": secret,
        "thread": thread,
        "answer": answer,
        "thread_id": thread.id,
        "answer_id": answer.id,
    }


def test_members_react_once_per_kind_and_see_counts_and_who(world, sign_in):
    ann, cy = sign_in(world["ann"]), sign_in(world["cy"])
    url = f"/p/{world['answer_id']}/react"

    first = ann.post(url, data={"kind": "helpful"})
    assert first.status_code == 303 and first.headers["Location"].endswith(f"#post-{world['answer_id']}")
    cy.post(url, data={"kind": "helpful"})
    cy.post(url, data={"kind": "thumbs_up"})

    page = ann.get(f"/t/{world['thread_id']}").get_data(as_text=True)
    bar = page[page.index(f'id="reactions-{world["answer_id"]}"') :]
    assert 'value="helpful" class="reaction mine" aria-pressed="true"' in bar
    assert 'Helpful <span class="reaction-count">2</span>' in bar
    assert "Helpful: Ann, Cy" in bar and "Thumbs up: Cy" in bar

    ann.post(url, data={"kind": "helpful"})  # a second press takes it back: never twice
    assert db.session.query(Reaction).filter_by(post_id=world["answer_id"], kind="helpful").count() == 1
    page = ann.get(f"/t/{world['thread_id']}").get_data(as_text=True)
    assert (
        "Helpful: Cy" in page
        and 'aria-pressed="true"' not in page[page.index(f'id="reactions-{world["answer_id"]}"') :]
    )


def test_the_script_gets_the_updated_bar(world, sign_in):
    response = sign_in(world["ann"]).post(
        f"/p/{world['answer_id']}/react", data={"kind": "insight"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<div class="reactions" id="reactions-{world["answer_id"]}"')
    assert "Insightful: Ann" in body


def test_bad_input_and_own_post(world, sign_in):
    bob = sign_in(world["bob"])
    own = bob.post(f"/p/{world['answer_id']}/react", data={"kind": "helpful"}, follow_redirects=True)
    assert own.status_code == 200 and "You cannot mark your own post as helpful." in own.get_data(as_text=True)
    unknown = bob.post(
        f"/p/{world['answer_id']}/react", data={"kind": "<script>"}, headers={"X-Requested-With": "fetch"}
    )
    assert unknown.status_code == 400
    assert bob.post(f"/p/{world['answer_id']}/react", data={"kind": "helpful"}, csrf=False).status_code == 400
    assert bob.get(f"/p/{world['answer_id']}/react").status_code == 405
    assert bob.post("/p/999999/react", data={"kind": "helpful"}).status_code == 404
    assert db.session.query(Reaction).count() == 0


def test_a_private_communitys_reactions_never_reach_outsiders(world, sign_in):
    sign_in(world["ann"]).post(f"/p/{world['answer_id']}/react", data={"kind": "helpful"})
    outsider = sign_in(world["outsider"])
    assert outsider.post(f"/p/{world['answer_id']}/react", data={"kind": "helpful"}).status_code == 404
    assert outsider.get(f"/t/{world['thread_id']}").status_code == 404
    # A member of an open community who is not a member here gets nothing either; an open community's
    # non-member may see reactions but not react.
    open_ = make_community("open-guild", members=[world["ann"]])
    thread = discussions.create_thread(world["ann"], open_, title="Open one", body="Hello")
    assert outsider.post(f"/p/{thread.opening_post_id}/react", data={"kind": "thumbs_up"}).status_code == 403
    # Reports count only the communities they are asked about (the caller passes what the viewer may read).
    assert reactions.helpful_received([open_.id]) == {}
    assert reactions.helpful_received([world["secret"].id]) == {world["bob"].id: 1}
    assert (
        reactions.helpful_received(permissions.visible_communities(world["outsider"]).with_only_columns(Community.id))
        == {}
    )


def test_helpful_counts_feed_the_reports_influence_section(world, sign_in):
    for who in ("ann", "cy"):
        sign_in(world[who]).post(f"/p/{world['answer_id']}/react", data={"kind": "helpful"})
    sign_in(world["ann"]).post(f"/p/{world['answer_id']}/react", data={"kind": "celebrate"})  # not helpful
    report = reports.community_report(world["secret"], periods.Period.last(30))
    bob = next(c for c in report.top_contributors if c.handle == "bob")
    assert bob.helpful == 2 and bob.posts == 1
    assert reactions.helpful_received([world["secret"].id], user_ids=[world["bob"].id]) == {world["bob"].id: 2}
    # A hidden post's reactions stop counting.
    db.session.get(type(world["answer"]), world["answer_id"]).is_hidden = True
    db.session.commit()
    assert reactions.helpful_received([world["secret"].id]) == {}
