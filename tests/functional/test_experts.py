"""Who knows what through the views: the tag page, the people directory, "Ask an expert"; never a leak."""

import html

import pytest

from cop.discussions import services as discussions
from tests.builders import PASSWORD, make_community, make_user


@pytest.fixture
def backend():
    """The ranking itself is checked on both databases in tests/functional/test_expert_evidence.py."""
    return "sqlite"


@pytest.fixture
def world(app):
    asker, ann, eve = make_user(name="Asker"), make_user(name="Ann", department="QA"), make_user(name="Eve")
    insider = make_user(name="Insider")
    guild = make_community("guild", members=[asker, ann, eve])
    secret = make_community("secret", visibility="private", members=[insider, eve])
    question = discussions.create_thread(asker, guild, title="Fixtures?", body="How?", kind="question", tags="pytest")
    answer = discussions.reply(ann, question, question.opening_post, "Use a fixture.")
    discussions.set_accepted(asker, question, answer)
    for n in range(3):  # Eve answers three times in the private community only
        hidden = discussions.create_thread(
            insider, secret, title=f"Secret {n}", body="?", kind="question", tags="pytest"
        )
        reply = discussions.reply(eve, hidden, hidden.opening_post, "Here.")
        discussions.set_accepted(insider, hidden, reply)
    return dict(asker=asker, ann=ann, eve=eve, insider=insider)


def _login(client, user):
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _experts(page: str) -> str:
    return html.unescape(page.split('id="experts-h"')[1].split("</section>")[0])


def test_tag_page_shows_who_knows_and_why_without_private_evidence(client, world):
    _login(client, world["asker"])
    experts = _experts(client.get("/tags/pytest").get_data(as_text=True))
    assert 'Ann</a> <span class="muted expert-why">· 1 accepted answer, 1 post</span>' in experts
    assert "Eve<" not in experts
    _login(client, world["insider"])
    experts = _experts(client.get("/tags/pytest").get_data(as_text=True))
    assert experts.index("Eve") < experts.index("Ann")
    assert "3 accepted answers, 3 posts" in experts


def test_directory_sorted_by_who_knows_a_tag(client, world):
    _login(client, world["asker"])
    page = html.unescape(client.get("/people", query_string={"tag": "pytest", "sort": "knows"}).get_data(as_text=True))
    ranked = page.split('id="knowers-h"')[1].split("</section>")[0]
    assert ranked.index("Ann") < ranked.index("Asker") and "Eve<" not in ranked
    only_qa = client.get("/people", query_string={"tag": "pytest", "sort": "knows", "department": "QA"})
    ranked = only_qa.get_data(as_text=True).split('id="knowers-h"')[1].split("</section>")[0]
    assert "Ann" in ranked and "Asker" not in ranked


def test_ask_an_expert_suggests_people_for_the_chosen_tags(client, world):
    _login(client, world["asker"])
    response = client.post(
        "/c/guild/threads/new",
        data={
            "title": "Parametrize?",
            "kind": "question",
            "priority": "3",
            "tags": "pytest",
            "body": "Draft text",
            "experts": "1",
        },
    )
    page = html.unescape(response.get_data(as_text=True))
    box = page.split('id="suggested-experts"')[1].split("</section>")[0]
    assert f"@{world['ann'].handle}" in box and "Asker<" not in box and "Eve<" not in box
    assert "Draft text" in page  # nothing typed is lost


def test_a_reader_of_most_communities_is_ranked_without_the_ones_they_may_not_read(client, world):
    """With more communities open to the asker than closed, the ranking excludes the few they may not read
    (``_scope``: "not_in") instead of listing the many they may: the private answers still do not count."""
    from cop.tags import experts

    make_community("open-two")
    make_community("open-three")
    _login(client, world["asker"])
    scope, ids = experts._scope(world["asker"])
    assert scope == "not_in" and len(ids) == 1
    page = _experts(client.get("/tags/pytest").get_data(as_text=True))
    assert 'Ann</a> <span class="muted expert-why">· 1 accepted answer, 1 post</span>' in page
    assert "Eve<" not in page
