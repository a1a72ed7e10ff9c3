"""Concurrent writers from several processes (issue 14, item 3): nothing acknowledged goes missing.

Each worker process builds its own app on the test's database (the SQLite file or the PostgreSQL
database) and posts replies to one thread through the views, as separate gunicorn workers would.
Afterwards every acknowledged reply is on the thread page its permalink names, and every
denormalised counter equals what the rows say.
"""

import multiprocessing
import re

import pytest
from sqlalchemy import func, select

from cop import create_app
from cop.communities.models import Community
from cop.discussions import services
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.ops import counters
from cop.tags import evidence
from tests.builders import add_membership, make_community, make_user
from tests.conftest import CSRFClient, login, make_config

WORKERS, REPLIES_EACH = 4, 10


@pytest.fixture
def app_config():
    """Indexing and mail wait for their commands: only the replies and their counters are under test."""
    return {"SEARCH_INDEX_ON_COMMIT": False, "MAIL_ON_COMMIT": False}


_POST_ID = re.compile(r"#post-(\d+)$")


def _post_replies(url, instance, email, thread_id, parent_id, start, results):
    """One worker: sign in, wait for the others, post its replies; sends back the ids acknowledged."""
    app = create_app(make_config(url, instance, SEARCH_INDEX_ON_COMMIT=False, MAIL_ON_COMMIT=False))
    app.test_client_class = CSRFClient
    client = app.test_client()
    login(client, email)
    token = client.csrf_token()
    start.wait(timeout=30)
    acknowledged, refused = [], []
    for i in range(REPLIES_EACH):
        data = {"csrf_token": token, "parent_id": parent_id, "body": f"Reply {i} from {email}"}
        for _attempt in range(20):  # a busy database answers 503 "try again in a moment": a client retries
            response = client.post(f"/t/{thread_id}/reply", data=data)
            if response.status_code != 503:
                break
        match = _POST_ID.search(response.headers.get("Location", ""))
        if response.status_code == 302 and match:
            acknowledged.append(int(match.group(1)))
        else:
            refused.append(response.status_code)
    with app.app_context():
        db.engine.dispose()
    results.put((acknowledged, refused))


def test_concurrent_replies_from_several_processes_all_stay_reachable(app, client, backend, tmp_path):
    asker = make_user("asker@example.com")
    writers = [make_user(f"writer{i}@example.com") for i in range(WORKERS)]
    community = make_community("guild", members=[asker, *writers])
    thread = services.create_thread(asker, community, title="Busy thread", body="Reply here, everyone", tags="busy")
    thread_id, opening_id = thread.id, thread.opening_post_id
    member_count, community_id, emails = community.member_count, community.id, [w.email for w in writers]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()  # no connection of this process is inherited by the workers

    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(WORKERS), context.Queue()
    workers = [
        context.Process(
            target=_post_replies, args=(url, str(tmp_path / f"worker{i}"), email, thread_id, opening_id, start, results)
        )
        for i, email in enumerate(emails)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    acknowledged = [post_id for ids, _refused in outcomes for post_id in ids]
    refused = [status for _ids, statuses in outcomes for status in statuses]
    assert not refused, f"replies refused: {refused}"
    assert len(acknowledged) == WORKERS * REPLIES_EACH

    stored = set(db.session.scalars(select(Post.id).where(Post.thread_id == thread_id, Post.parent_id.is_not(None))))
    assert stored == set(acknowledged)
    thread = db.session.get(Thread, thread_id)
    newest = db.session.scalar(select(func.max(Post.created_at)).where(Post.thread_id == thread_id))
    assert (thread.reply_count, thread.last_activity_at) == (len(acknowledged), newest)
    assert db.session.get(Community, community_id).member_count == member_count
    assert all(n == 0 for n in counters.wrong_counters().values()), counters.wrong_counters()
    # The experts' evidence: each writer's replies counted once, none lost or doubled by a concurrent one.
    connection = db.session.connection()
    assert evidence.stored(connection) == evidence.computed(connection)
    assert sum(evidence.stored(connection).values()) == 1 + len(acknowledged)

    login(client, "asker@example.com")
    pages = {}
    for post_id in acknowledged:
        target = client.get(f"/p/{post_id}").headers["Location"]
        assert target.endswith(f"#post-{post_id}")
        page_url = target.split("#")[0]
        if page_url not in pages:
            pages[page_url] = client.get(page_url).get_data(as_text=True)
        assert f'id="post-{post_id}"' in pages[page_url], f"reply {post_id} is not on {page_url}"


@pytest.mark.parametrize("backend", ["sqlite"])  # the same SQL on both
def test_pages_list_every_reply_whatever_the_counter_says(app, client):
    asker, helper = make_user(), make_user()
    community = make_community(members=[asker, helper])
    thread = services.create_thread(asker, community, title="Long thread", body="Start")
    ids = [
        services.reply(helper, thread, thread.opening_post, f"Answer {i}").id
        for i in range(services.POSTS_PER_PAGE + 3)
    ]
    thread.reply_count = 2  # as lost updates left it before the counters were atomic
    db.session.commit()

    login(client, asker)
    page_two = client.get(f"/t/{thread.id}?page=2").get_data(as_text=True)
    assert all(f'id="post-{post_id}"' in page_two for post_id in ids[-3:])
    assert client.get(f"/p/{ids[-1]}").headers["Location"].endswith(f"?page=2#post-{ids[-1]}")


@pytest.mark.parametrize("backend", ["sqlite"])  # the same SQL on both
def test_repair_counters_recomputes_every_counter(app, runner):
    asker, helper, leaver = make_user(), make_user(), make_user()
    community = make_community(members=[asker, helper])
    add_membership(community, leaver, status="pending")
    thread = services.create_thread(asker, community, title="Question", body="Well?")
    first = services.reply(helper, thread, thread.opening_post, "An answer")
    services.reply(asker, thread, first, "Thanks")
    truth = (thread.reply_count, thread.last_activity_at, thread.first_reply_at, community.member_count)
    assert truth[0] == 2 and truth[3] == 2 and truth[2] == first.created_at
    thread.reply_count, thread.first_reply_at, thread.last_activity_at = 0, None, thread.created_at
    community.member_count = 7
    db.session.commit()
    assert counters.wrong_counters() == {
        "reply_count": 1,
        "last_activity_at": 1,
        "first_reply_at": 1,
        "member_count": 1,
        "latest_version": 0,
    }

    result = runner.invoke(args=["cop", "repair-counters"])

    assert result.exit_code == 0, result.output
    assert "reply_count: 1 row corrected" in result.output and "4 figures corrected" in result.output
    thread, community = db.session.get(Thread, thread.id), db.session.get(Community, community.id)
    assert (thread.reply_count, thread.last_activity_at, thread.first_reply_at, community.member_count) == truth
    assert "All counters were right." in runner.invoke(args=["cop", "repair-counters"]).output
