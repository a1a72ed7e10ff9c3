"""Discussion services against a real database: trees, answers, edits, moderation, flags."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cop.admin.models import AuditEntry
from cop.discussions import services
from cop.discussions.models import MAX_DEPTH, Flag, Post
from cop.errors import DomainError, NotAllowed
from cop.extensions import db
from tests.builders import make_community, make_user


@pytest.fixture
def crowd(app):
    people = {
        n: make_user(email=f"{n}@example.com", name=n.title())
        for n in ("coord", "asker", "helper", "outsider", "other_coord")
    }
    community = make_community(
        "guild",
        coordinators=[people["coord"]],
        members=[people["asker"], people["helper"]],
        guidelines_md="- Be precise\n- No vendor pitches\n",
    )
    other = make_community("other", coordinators=[people["other_coord"], people["coord"]])
    return people, community, other


def _question(people, community, **kw):
    fields = dict(
        title="How do I test Flask views?", body="Any tips?", kind="question", priority=2, tags="Python, Flask"
    )
    fields.update(kw)
    return services.create_thread(people["asker"], community, **fields)


def _audit_actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_create_thread_validates_and_normalises(crowd):
    people, community, _ = crowd
    with pytest.raises(NotAllowed):
        services.create_thread(people["outsider"], community, title="x", body="y")
    for bad, field in [
        (dict(title="  "), "title"),
        (dict(body="   "), "body"),
        (dict(kind="rant"), "kind"),
        (dict(priority=7), "priority"),
        (dict(kind="announcement"), "kind"),
        (dict(body="[" * 5000), "body"),
    ]:
        with pytest.raises(DomainError) as info:
            _question(people, community, **bad)
        assert info.value.field == field
        db.session.rollback()
    thread = _question(people, community)
    assert [t.name for t in thread.tags] == ["flask", "python"]
    assert thread.status == "open" and thread.priority == 2
    assert thread.opening_post.parent_id is None
    # Coordinators may announce.
    announcement = services.create_thread(
        people["coord"], community, title="Meetup", body="Friday", kind="announcement"
    )
    assert announcement.kind == "announcement"


def test_replies_form_a_tree_capped_in_depth(crowd):
    people, community, _ = crowd
    thread = _question(people, community)
    parent = thread.opening_post
    chain = []
    for i in range(MAX_DEPTH + 3):
        parent = services.reply(people["helper"] if i % 2 == 0 else people["asker"], thread, parent, f"level {i}")
        chain.append(parent)
    assert [p.depth for p in chain[:MAX_DEPTH]] == list(range(1, MAX_DEPTH + 1))
    assert all(p.depth == MAX_DEPTH for p in chain[MAX_DEPTH:])
    assert thread.reply_count == len(chain)
    assert thread.first_reply_at is not None
    posts, page, pages, _ = services.thread_page(thread)
    assert [p.id for p in posts] == [p.id for p in chain]  # tree order
    tree = services.build_tree(posts, thread.opening_post_id)
    # Flattened replies are shown with a link to the post they actually answer.
    depth = 0
    node = tree[0]
    while node["children"]:
        node = node["children"][0]
        depth += 1
    assert depth == MAX_DEPTH - 1
    flattened = [n for n in _walk(tree) if n["in_reply_to"]]
    assert {n["post"].id for n in flattened} == {p.id for p in chain[MAX_DEPTH:]}


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def test_reply_rules(crowd):
    people, community, other = crowd
    thread = _question(people, community)
    elsewhere = services.create_thread(people["coord"], other, title="Other", body="x")
    with pytest.raises(DomainError, match="not part of this thread"):
        services.reply(people["helper"], thread, elsewhere.opening_post, "hi")
    with pytest.raises(NotAllowed):
        services.reply(people["outsider"], thread, thread.opening_post, "hi")
    post = services.reply(people["helper"], thread, thread.opening_post, "first")
    services.delete_post(people["helper"], post)
    with pytest.raises(DomainError, match="removed"):
        services.reply(people["asker"], thread, post, "to a deleted post")
    services.moderate_thread(people["coord"], thread, "lock")
    with pytest.raises(DomainError, match="locked"):
        services.reply(people["asker"], thread, thread.opening_post, "late")
    services.moderate_thread(people["coord"], thread, "unlock")
    services.moderate_thread(people["coord"], thread, "close")
    with pytest.raises(DomainError, match="closed"):
        services.reply(people["asker"], thread, thread.opening_post, "late")
    assert _audit_actions() == ["thread.lock", "thread.unlock", "thread.close"]


def test_mentions_link_known_members_only(app, crowd):
    people, community, _ = crowd
    with app.test_request_context():
        thread = _question(people, community, body="Ping @Helper and @ghost, not `@helper`")
    html = thread.opening_post.body_html
    assert '<a href="/people/helper" rel="noopener noreferrer nofollow">@Helper</a>' in html
    assert "@ghost" in html and 'href="/people/ghost"' not in html
    assert "<code>@helper</code>" in html
    mentioned = db.session.execute(select(services.post_mentions.c.user_id)).scalars().all()
    assert mentioned == [people["helper"].id]


def test_quote_text_attributes_the_author(crowd):
    people, community, _ = crowd
    thread = _question(people, community, body="line one\nline two")
    assert services.quote_text(thread.opening_post) == "> **Asker** wrote:\n>\n> line one\n> line two\n\n"


def test_accept_and_unaccept(crowd):
    people, community, _ = crowd
    thread = _question(people, community)
    answer = services.reply(people["helper"], thread, thread.opening_post, "Use the test client.")
    with pytest.raises(NotAllowed):
        services.set_accepted(people["helper"], thread, answer)
    with pytest.raises(DomainError):
        services.set_accepted(people["asker"], thread, thread.opening_post)
    services.set_accepted(people["asker"], thread, answer)
    assert thread.accepted_post_id == answer.id and thread.status == "answered"
    services.set_accepted(people["asker"], thread, None)
    assert thread.accepted_post_id is None and thread.status == "open"
    services.set_accepted(people["coord"], thread, answer)  # coordinators may too (audited)
    assert thread.status == "answered"
    assert _audit_actions() == ["thread.accept"]
    discussion = services.create_thread(people["asker"], community, title="Chat", body="x", kind="discussion")
    reply = services.reply(people["helper"], discussion, discussion.opening_post, "y")
    with pytest.raises(NotAllowed):
        services.set_accepted(people["asker"], discussion, reply)


def test_edit_keeps_revisions_with_diffs(crowd):
    people, community, _ = crowd
    thread = _question(people, community, body="alpha\nbeta")
    post = thread.opening_post
    with pytest.raises(NotAllowed):
        services.edit_post(people["helper"], post, "hijack")
    services.edit_post(people["asker"], post, "alpha\ngamma")
    services.edit_post(people["asker"], post, "alpha\ngamma\ndelta")
    versions = services.revisions(post)
    assert [v["body"] for v in versions] == ["alpha\nbeta", "alpha\ngamma", "alpha\ngamma\ndelta"]
    assert "-beta" in versions[1]["diff"] and "+gamma" in versions[1]["diff"]
    assert versions[2]["diff"][-1] == "+delta"
    assert all(v["by"].id == people["asker"].id for v in versions)
    assert post.edited_at is not None


def test_soft_delete_keeps_the_tree(crowd):
    people, community, _ = crowd
    thread = _question(people, community)
    middle = services.reply(people["helper"], thread, thread.opening_post, "middle")
    child = services.reply(people["asker"], thread, middle, "child")
    with pytest.raises(NotAllowed):
        services.delete_post(people["asker"], middle)
    services.delete_post(people["coord"], middle)
    posts, *_ = services.thread_page(thread)
    assert [p.id for p in posts] == [middle.id, child.id]
    assert posts[0].is_deleted and not posts[0].is_visible
    assert _audit_actions() == ["post.delete"]
    services.delete_post(people["asker"], thread.opening_post)
    assert services.get_thread_or_none(thread.id) is None


def test_move_classify_and_pin(crowd):
    people, community, other = crowd
    thread = _question(people, community)
    with pytest.raises(NotAllowed):
        services.move_thread(people["other_coord"], thread, other)  # not a coordinator of the source
    lonely = make_community("lonely", coordinators=[people["other_coord"]])
    with pytest.raises(NotAllowed):
        services.move_thread(people["coord"], thread, lonely)  # not a coordinator of the target
    assert [c.slug for c in services.move_targets(people["coord"], thread)] == ["other"]
    services.move_thread(people["coord"], thread, other)
    assert thread.community_id == other.id
    services.classify(people["coord"], thread, "problem", "1")
    assert (thread.kind, thread.priority) == ("problem", 1)
    services.moderate_thread(people["coord"], thread, "pin")
    assert thread.is_pinned
    with pytest.raises(DomainError):
        services.moderate_thread(people["coord"], thread, "explode")
    assert _audit_actions() == ["thread.move", "thread.move", "thread.classify", "thread.pin"]


def test_flags_and_moderation_queue(crowd):
    people, community, _ = crowd
    thread = _question(people, community)
    rude = services.reply(people["helper"], thread, thread.opening_post, "Buy our product!")
    choices = dict(services.guideline_choices(community))
    assert choices["community-2"] == "No vendor pitches" and "respect" in choices
    with pytest.raises(DomainError) as info:
        services.flag_post(people["asker"], rude, "made-up")
    assert info.value.field == "guideline"
    with pytest.raises(NotAllowed):
        services.flag_post(people["outsider"], rude, "respect")
    flag = services.flag_post(people["asker"], rude, "community-2", "spam")
    with pytest.raises(DomainError, match="already flagged"):
        services.flag_post(people["asker"], rude, "respect")
    second = services.flag_post(people["coord"], rude, "add-value")
    assert [f.id for f in services.open_flags(community)] == [flag.id, second.id]
    with pytest.raises(NotAllowed):
        services.decide_flag(people["helper"], flag, hide=True)
    services.decide_flag(people["coord"], flag, hide=True)
    assert rude.is_hidden
    assert {f.status for f in db.session.scalars(select(Flag))} == {"hidden"}
    assert services.open_flags(community) == []
    assert [f.status for f in services.flags_by(people["asker"])] == ["hidden"]


def test_lists_triage_and_latest(crowd):
    people, community, other = crowd
    old = _question(people, community, title="Old urgent", priority=1)
    old.created_at = old.last_activity_at = old.created_at - timedelta(days=3)
    db.session.commit()
    fresh = _question(people, community, title="Fresh whenever", priority=3)
    answered = _question(people, community, title="Answered soon", priority=2)
    services.reply(people["helper"], answered, answered.opening_post, "done")
    assert [t.title for t in services.triage_queue(community).items] == [
        "Old urgent",
        "Answered soon",
        "Fresh whenever",
    ]
    assert [t.title for t in services.triage_queue(community, "no-reply").items] == ["Old urgent", "Fresh whenever"]
    assert [t.title for t in services.triage_queue(community, "stale").items] == ["Old urgent"]
    assert services.thread_list(community, sort="unanswered").items[-1].id == answered.id
    assert [t.id for t in services.thread_list(community, priority="1").items] == [old.id]
    assert [t.id for t in services.thread_list(community, tag="python").items] != []
    assert services.thread_list(community, tag="nope").total == 0
    in_other = services.create_thread(people["coord"], other, title="Elsewhere", body="x")
    assert in_other.id not in [t.id for t in services.latest_for(people["asker"])]
    assert in_other.id in [t.id for t in services.latest_for(people["coord"])]
    assert fresh.id in [t.id for t in services.recent_threads(community)]


def test_page_of_finds_the_page(crowd):
    people, community, _ = crowd
    thread = _question(people, community)
    posts = [services.reply(people["helper"], thread, thread.opening_post, f"r{i}") for i in range(7)]
    assert [services.page_of(p, per_page=3) for p in posts] == [1, 1, 1, 2, 2, 2, 3]
    assert services.page_of(thread.opening_post) == 1
    assert services.thread_page(thread, page=3, per_page=3)[0] == [posts[6]]
    assert db.session.scalar(select(Post).where(Post.id == posts[0].id)).path.startswith(thread.opening_post.path + ".")
