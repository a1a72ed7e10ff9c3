"""Who knows what: the ranking on a hand-built set, with the exact order, and the leak test (SQLite and
PostgreSQL). The set is written through the ORM, so the evidence table is what the session hooks kept.

Fixed clock: NOW (31 March 2026, 12:00, 0.984 of its month gone). An item counts 1 / (1 + d / 180) of its
weight, d the age of its month's midpoint in months of 30.44 days:

* this month (March 2026): d = (0.984 - 0.5) * 30.44 = 14.73 days, weight 0.924
* 180 days ago (2 October 2025, 5 months back): d = 5.484 * 30.44 = 166.9 days, weight 0.519
* 360 days ago (5 April 2025, 11 months back): d = 11.484 * 30.44 = 349.5 days, weight 0.340
"""

from datetime import datetime, timedelta

import pytest

from cop.accounts.models import User
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.library.models import Resource
from cop.reactions.models import Reaction
from cop.tags import evidence, experts
from cop.tags.experts import ranking
from cop.tags.models import get_or_create_tags
from tests.builders import make_community, make_user
from tests.conftest import fresh_app_context

NOW = datetime(2026, 3, 31, 12, 0)


def days_ago(n):
    return NOW - timedelta(days=n)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    with fresh_app_context(request.param, tmp_path_factory.mktemp("experts")):
        yield _build()


def _thread(community, author, created, tags=("pytest",)):
    t = Thread(
        community_id=community.id,
        author_id=author.id,
        title="t",
        kind="question",
        created_at=created,
        last_activity_at=created,
    )
    t.tags = get_or_create_tags(list(tags))
    db.session.add(t)
    db.session.flush()
    opening = _post(t, author, created)
    t.opening_post_id = opening.id
    return t


def _post(t, author, created, hidden=False):
    post = Post(
        thread_id=t.id,
        author_id=author.id,
        parent_id=t.opening_post_id,
        body_md="x",
        body_html="x",
        created_at=created,
        is_hidden=hidden,
    )
    db.session.add(post)
    db.session.flush()
    return post


def _build():
    asker, ann, bob, cat, dan, eve, insider, viewer = (
        make_user(name=n) for n in ("Asker", "Ann", "Bob", "Cat", "Dan", "Eve", "Insider", "Viewer")
    )
    gone = make_user(name="Gone", disabled=True)
    open_c = make_community("open-c", members=[asker, ann, bob, cat, dan, eve, viewer, gone])
    secret = make_community("secret", visibility="private", members=[insider, eve])
    # Ann: an accepted answer today (5) and a helpful mark on it today (2): 1 post + 5 + 2 = 8.
    t1 = _thread(open_c, asker, days_ago(0))
    answer = _post(t1, ann, days_ago(0))
    t1.accepted_post_id = answer.id
    db.session.add(Reaction(post_id=answer.id, user_id=asker.id, kind="helpful", created_at=days_ago(0)))
    db.session.add(Reaction(post_id=answer.id, user_id=ann.id, kind="helpful", created_at=days_ago(0)))  # own
    # Bob: a resource today (3) and two posts 180 days ago (2 x 0.5): 4.
    db.session.add(
        Resource(
            community_id=open_c.id,
            author_id=bob.id,
            title="Fixtures guide",
            kind="document",
            created_at=days_ago(0),
            tags=get_or_create_tags(["pytest"]),
        )
    )
    t2 = _thread(open_c, bob, days_ago(180))
    _post(t2, bob, days_ago(180))
    # Cat: declared expertise only: 4 (ties with Bob: by name, Bob first).
    cat.expertise = get_or_create_tags(["pytest"])
    # Dan: an accepted answer 360 days ago: (1 + 5) / 3 = 2.
    t3 = _thread(open_c, asker, days_ago(360))
    old = _post(t3, dan, days_ago(360))
    t3.accepted_post_id = old.id
    # Hidden posts, disabled accounts and other tags do not count.
    _post(t1, eve, days_ago(0), hidden=True)
    _post(t1, gone, days_ago(0))
    _post(_thread(open_c, asker, days_ago(0), tags=("java",)), eve, days_ago(0))
    # Eve's private-community evidence: 3 accepted answers in "secret", visible to members only.
    for _ in range(3):
        t = _thread(secret, insider, days_ago(0))
        p = _post(t, eve, days_ago(0))
        t.accepted_post_id = p.id
    db.session.commit()
    tag_id = get_or_create_tags(["pytest"])[0].id
    db.session.commit()
    return dict(
        tag_id=tag_id,
        viewer=viewer,
        insider=insider,
        asker=asker,
        names={u.id: u.display_name for u in db.session.query(User)},
    )


def _order(world, viewer, **kwargs):
    return [(e.name, e.score) for e in ranking(viewer, [world["tag_id"]], now=NOW, **kwargs)]


W_NOW, W_180, W_360 = (
    12 / (12 + 0.4838710 * 365.2425 / 180),
    12 / (12 + 5.4838710 * 365.2425 / 180),
    12 / (12 + 11.4838710 * 365.2425 / 180),
)


def test_month_weights():
    assert (round(W_NOW, 3), round(W_180, 3), round(W_360, 3)) == (0.924, 0.519, 0.340)


def test_exact_order_and_why(world):
    # Ann 8 x 0.924 = 7.395; Cat 4 (declared); Bob 3 x 0.924 + 2 x 0.519 = 3.811 (tied with Cat before months);
    # Dan (1 + 5) x 0.340 = 2.040; the asker: two opening posts on the tag, this month and 360 days ago.
    assert _order(world, world["viewer"], limit=10) == [
        ("Ann", round(8 * W_NOW, 3)),
        ("Cat", 4.0),
        ("Bob", round(3 * W_NOW + 2 * W_180, 3)),
        ("Dan", round(6 * W_360, 3)),
        ("Asker", round(W_NOW + W_360, 3)),
    ]
    assert [s for _n, s in _order(world, world["viewer"], limit=10)] == [7.395, 4.0, 3.811, 2.04, 1.264]
    ann = ranking(world["viewer"], [world["tag_id"]], now=NOW)[0]
    assert ann.why == "1 accepted answer, 1 helpful mark, 1 post"
    cat = ranking(world["viewer"], [world["tag_id"]], now=NOW)[1]
    assert cat.why == "declared expertise"


def test_private_evidence_never_changes_what_an_outsider_sees(world):
    outsider_view = _order(world, world["viewer"], limit=10)
    assert "Eve" not in dict(outsider_view)
    # A member of the private community sees Eve's three answers there: 3 x (1 + 5) x 0.924 = 16.638.
    assert _order(world, world["insider"], limit=10)[0] == ("Eve", round(18 * W_NOW, 3))
    # ... and everyone else exactly as the outsider does (the insider also has the secret threads' questions).
    assert [
        row for row in _order(world, world["insider"], limit=10) if row[0] not in ("Eve", "Insider")
    ] == outsider_view


def test_ask_an_expert_leaves_the_asker_out(world):
    assert [n for n, _s in _order(world, world["asker"], limit=3, exclude_user_id=world["asker"].id)] == [
        "Ann",
        "Cat",
        "Bob",
    ]


def test_the_maintained_table_equals_a_rebuild(world):
    connection = db.session.connection()
    maintained = evidence.stored(connection)
    assert maintained and maintained == evidence.computed(connection) and evidence.bounds_hold(connection)
    evidence.rebuild(connection, commit=False)
    assert evidence.stored(connection) == maintained and evidence.bounds_hold(connection)
    db.session.rollback()


def test_people_read_by_bound_give_the_full_ranking(world, monkeypatch):
    # Bounds as the writes left them (each item at full weight, every community): Eve 18 (private), Ann 8,
    # Dan 6, Bob 5, Asker 2; Cat has none (declared only).
    full = _order(world, world["viewer"], limit=10)
    calls = []
    real = experts._ranked
    # Each ranking records the people it was limited to (None: everyone).
    monkeypatch.setattr(experts, "_ranked", lambda stmt, params: calls.append(params.get("only")) or real(stmt, params))
    monkeypatch.setattr(experts, "CANDIDATES", (4,))  # Eve, Ann, Dan, Bob; the rest: 2 + 4 (declared) at most
    assert _order(world, world["viewer"], limit=1) == full[:1]
    assert len(calls) == 1 and calls[0] is not None  # Ann's 7.395 beats anyone left out: done
    calls.clear()
    assert _order(world, world["viewer"], limit=2) == full[:2]
    assert calls[-1] is None  # Bob's 3.811 does not (Cat, left out, has 4): everyone is read
    monkeypatch.setattr(experts, "CANDIDATES", (1, 2))
    insider_full = [r for r in full if r[0] != "Asker"]
    assert _order(world, world["insider"], limit=3, exclude_user_id=world["asker"].id)[1:] == insider_full[:2]
