"""Oversight figures on a small hand-built data set, with the exact numbers written out.

Every test runs on SQLite and on PostgreSQL: the report functions must give
the same numbers on both. The data set (``world``) is inserted row by row
with fixed timestamps around one period:

    previous period  [2026-01-30 12:00, 2026-03-01 12:00)
    current period   [2026-03-01 12:00, 2026-03-31 12:00)   (``Period.last(30, NOW)``)
"""

import contextlib
import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from cop import create_app
from cop.admin.models import AuditEntry
from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.errors import DomainError, NotAllowed
from cop.events.models import Event
from cop.extensions import db
from cop.library.models import Resource, ResourceVersion
from cop.oversight import services
from cop.oversight.export import neutralise, report_csv
from cop.oversight.metrics import core_figures
from cop.oversight.models import Objective
from cop.oversight.objectives import objective_status
from cop.oversight.periods import Period
from cop.oversight.portfolio import portfolio, sort_portfolio
from cop.oversight.reports import community_report
from cop.oversight.sql import medians, seconds_between, whole_weeks
from cop.search.models import SearchLog
from cop.tags.models import get_or_create_tags
from tests.builders import add_membership, make_community, make_user
from tests.conftest import make_config, temporary_postgres_database

NOW = datetime(2026, 3, 31, 12, 0)
PERIOD = Period.last(30, NOW)


def at(month, day, hour=12, minute=0, second=0):
    return datetime(2026, month, day, hour, minute, second)


def thread(community, author, created, kind="question", priority=2, status="open", deleted=False, tags=()):
    t = Thread(
        community_id=community.id,
        author_id=author.id,
        title=f"{kind} at {created}",
        kind=kind,
        priority=priority,
        status=status,
        created_at=created,
        last_activity_at=created,
        is_deleted=deleted,
    )
    t.tags = get_or_create_tags(list(tags))
    db.session.add(t)
    db.session.flush()
    opening = Post(
        thread_id=t.id, author_id=author.id, body_md="q", body_html="<p>q</p>", created_at=created, is_deleted=deleted
    )
    db.session.add(opening)
    db.session.flush()
    t.opening_post_id = opening.id
    return t


def reply(t, author, created, deleted=False, hidden=False):
    """A reply with ``first_reply_at`` kept as the discussion services keep it."""
    post = Post(
        thread_id=t.id,
        author_id=author.id,
        parent_id=t.opening_post_id,
        body_md="a",
        body_html="<p>a</p>",
        created_at=created,
        is_deleted=deleted,
        is_hidden=hidden,
    )
    db.session.add(post)
    db.session.flush()
    t.reply_count += 1
    counts = not (deleted or hidden) and author.id != t.author_id
    if counts and (t.first_reply_at is None or created < t.first_reply_at):
        t.first_reply_at = created
    return post


def member(community, user, joined, status="active", left=None):
    row = add_membership(community, user, commit=False)
    row.joined_at, row.created_at = joined, joined
    row.status = status
    row.updated_at = left or joined
    return row


def resource(community, author, created, deleted=False, versions=()):
    r = Resource(
        community_id=community.id,
        kind="document" if versions else "link",
        title="R",
        url=None if versions else "https://example.com/",
        author_id=author.id,
        created_at=created,
        updated_at=created,
        is_deleted=deleted,
        latest_version=len(versions),
    )
    db.session.add(r)
    db.session.flush()
    for number, (who, when) in enumerate(versions, 1):
        db.session.add(
            ResourceVersion(
                resource_id=r.id, number=number, author_id=who.id, created_at=when, body_md="x", body_html="<p>x</p>"
            )
        )
    return r


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    """The data set, built once per backend for the whole module (tests that add rows come last
    and add them where the earlier tests do not look)."""
    root = tmp_path_factory.mktemp("oversight")
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            url = stack.enter_context(temporary_postgres_database())
        else:
            url = f"sqlite:///{root / 'report.db'}"
        app = create_app(make_config(url, str(root / "instance")))
        with app.app_context():
            db.create_all()
            yield _build_world()
            db.session.remove()
            db.engine.dispose()


def _build_world():
    sponsor = make_user("sponsor@example.com", "Sam Sponsor", department="Executive")
    admin = make_user("admin@example.com", "Ada Admin", admin=True)
    ann = make_user("ann@example.com", "@Ann", department="Engineering")  # a name a spreadsheet would run
    bob = make_user("bob@example.com", "Bob", department="Engineering")
    cat = make_user("cat@example.com", "Cat", department="Sales")
    dan = make_user("dan@example.com", "Dan", department="Engineering")
    eve = make_user("eve@example.com", "Eve", department="Sales")
    fay = make_user("fay@example.com", "Fay", department="Legal")
    out = make_user("out@example.com", "Oscar Outsider", department="Sales")
    guild = make_community("guild", name="+Guild", sponsors=[sponsor])
    guild.domain_tags = get_or_create_tags(["python"])
    other = make_community("other", name="Other")
    secret = make_community("secret", name="Secret", visibility="private")

    member(guild, ann, datetime(2025, 12, 1)).role = "coordinator"
    member(guild, bob, at(2, 10))
    member(guild, cat, at(3, 5))
    member(guild, dan, datetime(2025, 6, 1), status="left", left=at(3, 12))
    member(guild, eve, at(3, 1))  # exactly at the start of the period: new in it
    member(guild, fay, at(3, 31))  # exactly at its end: not yet a member

    t1 = thread(guild, bob, at(3, 2), "question", 1, status="answered", tags=["python"])
    reply(t1, bob, at(3, 2, 13))  # the asker's own reply is not a first reply
    reply(t1, ann, at(3, 2, 16))  # first reply: 4 h
    t1.accepted_post_id = reply(t1, cat, at(3, 3)).id
    reply(t1, eve, at(3, 4), hidden=True)
    t2 = thread(guild, cat, at(3, 10), "question", 2, tags=["python"])
    reply(t2, dan, at(3, 10, 13), deleted=True)  # a deleted reply is not a first reply
    reply(t2, bob, at(3, 13))  # first reply: 72 h
    thread(guild, ann, at(3, 20), "problem", 1)  # never replied: waiting more than 48 h
    t4 = thread(guild, ann, at(3, 31, 11), "idea", 3)
    reply(t4, cat, NOW)  # at the very end: not a post of the period, but t4's first reply (1 h)
    thread(guild, ann, at(3, 5), "announcement", 3)
    gone = thread(guild, dan, at(3, 6), "discussion", deleted=True, tags=["python"])
    reply(gone, ann, at(3, 7))  # a live reply in a deleted thread: no figure counts it, nor the share of voice
    t7 = thread(guild, eve, PERIOD.start, "question", 2)  # exactly at the start: in the period
    reply(t7, ann, at(3, 1, 14))  # 2 h
    t8 = thread(guild, ann, at(2, 15), "question", 1, status="answered", tags=["python"])
    t8.accepted_post_id = reply(t8, bob, at(2, 15, 18)).id  # 6 h
    t9 = thread(guild, dan, PERIOD.start - timedelta(seconds=1), "discussion")  # just before: previous period
    reply(t9, ann, PERIOD.start + timedelta(hours=2) - timedelta(seconds=1))  # 2 h, written in the period

    x = thread(other, out, at(3, 20), "question", tags=["python"], status="answered")
    x.accepted_post_id = reply(x, bob, at(3, 20, 15)).id
    older = thread(other, out, at(2, 20), "question", status="answered")
    older.accepted_post_id = reply(older, bob, at(2, 20, 13)).id  # accepted, but in the previous period
    by_outsider = thread(other, bob, at(3, 22), "question", status="answered")
    by_outsider.accepted_post_id = reply(by_outsider, out, at(3, 22, 13)).id  # not a guild member's answer
    y = thread(secret, out, at(3, 21), "question", tags=["python"], status="answered")
    y.accepted_post_id = reply(y, ann, at(3, 21, 10)).id

    resource(guild, cat, at(3, 5))
    resource(guild, ann, at(3, 6), versions=[(ann, at(3, 6)), (bob, at(3, 8))])
    resource(guild, bob, at(3, 7), deleted=True, versions=[(bob, at(3, 7))])
    resource(guild, eve, NOW)
    resource(guild, ann, at(2, 20), versions=[(ann, at(2, 20)), (eve, at(3, 15))])

    for starts, cancelled in ((at(3, 12), False), (at(3, 14), True), (at(2, 20), False), (NOW, False)):
        db.session.add(
            Event(
                community_id=guild.id,
                organiser_id=ann.id,
                title="Meeting",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                is_cancelled=cancelled,
            )
        )

    for query, results, when, closed in (
        ("kubernetes", 0, at(3, 3), None),
        ("kubernetes", 0, at(3, 4), None),
        ("kubernetes", 0, at(3, 9), at(3, 9)),
        ("=cmd|' /c calc'!a0", 0, at(3, 5), None),
        ("=cmd|' /c calc'!a0", 0, at(3, 6), None),
        ("flaky tests", 0, at(3, 7), at(3, 8)),
        ("pytest", 5, at(3, 7), None),
        ("helm", 0, at(2, 7), None),
        ("late", 0, NOW, None),
    ):
        db.session.add(
            SearchLog(
                query=query,
                normalized_query=query,
                community_id=guild.id,
                result_count=results,
                created_at=when,
                closed_at=closed,
            )
        )
    for metric, baseline, target, due_on, created_at in (
        ("answered_share", 20, 80, date(2026, 6, 30), datetime(2026, 1, 1)),
        ("median_first_reply_hours", 10, 2, date(2026, 12, 31), datetime(2026, 3, 1)),
        ("posts", 10, 14, date(2026, 4, 30), datetime(2026, 1, 31)),
        ("new_members", 0, 5, date(2026, 3, 15), datetime(2026, 2, 1)),
    ):
        db.session.add(
            Objective(
                community_id=guild.id,
                title=f"{metric} goal",
                business_goal="Faster delivery",
                metric=metric,
                baseline=baseline,
                target=target,
                due_on=due_on,
                created_at=created_at,
            )
        )
    db.session.flush()
    db.session.scalar(select(Objective).filter_by(metric="posts")).title = '=HYPERLINK("http://x")'
    db.session.commit()
    return dict(
        guild=guild,
        other=other,
        secret=secret,
        sponsor=sponsor,
        admin=admin,
        ann=ann,
        bob=bob,
        cat=cat,
        dan=dan,
        eve=eve,
        fay=fay,
        out=out,
    )


# --- periods, the status rule and portable SQL --------------------------------------------------


def test_periods_are_half_open_and_compare_with_the_same_length_before():
    assert Period(datetime(2026, 3, 1, 12), NOW) == PERIOD
    assert PERIOD.previous() == Period(datetime(2026, 1, 30, 12), datetime(2026, 3, 1, 12))
    custom = Period.custom(date(2026, 2, 1), date(2026, 2, 28))
    assert custom == Period(datetime(2026, 2, 1), datetime(2026, 3, 1))
    assert custom.previous() == Period(datetime(2026, 1, 4), datetime(2026, 2, 1))
    assert custom.last_day == date(2026, 2, 28) and custom.days == 28
    with pytest.raises(ValueError):
        Period.custom(date(2026, 2, 2), date(2026, 2, 1))


def test_objective_status_rule():
    objective = Objective(baseline=20, target=80, due_on=date(2026, 6, 30), created_at=datetime(2026, 1, 1))
    # 89.5 of 181 days have passed: 49.4 % of the way expected.
    progress, expected, status = objective_status(objective, 50, NOW)
    assert (round(progress, 3), round(expected, 3), status) == (0.5, 0.494, "on-track")
    assert objective_status(objective, 40, NOW)[2] == "at-risk"  # 33 % done, within 25 points
    assert objective_status(objective, 33.3, NOW)[2] == "off-track"
    assert objective_status(objective, 80, NOW)[2] == "on-track"  # reached
    assert objective_status(objective, 79, datetime(2026, 7, 1))[2] == "off-track"  # past due, not reached
    assert objective_status(objective, None, NOW)[2] == "no-data"
    lower_is_better = Objective(baseline=10, target=2, due_on=date(2026, 12, 31), created_at=datetime(2026, 3, 1))
    assert objective_status(lower_is_better, 3.0, NOW)[0] == 0.875
    # A new objective: nothing moved yet, early on, is "not started" (not "at risk" at 0 % of 0 % expected).
    new = Objective(baseline=20, target=80, due_on=date(2026, 12, 31), created_at=NOW - timedelta(hours=1))
    assert objective_status(new, 20, NOW)[2] == "not-started"
    assert objective_status(new, 19, NOW)[2] == "not-started"
    assert objective_status(new, 20, NOW - timedelta(days=1))[2] == "not-started"  # measured before it existed
    assert objective_status(new, 21, NOW)[2] == "on-track"


def test_portable_durations_and_weeks(world):
    later = datetime(2026, 3, 15, 12, 0, 30)
    row = db.session.execute(
        select(
            seconds_between(later, datetime(2026, 3, 1, 12)),
            whole_weeks(later, datetime(2026, 3, 1, 12)),
            whole_weeks(later, datetime(2026, 3, 1, 12, 1)),
        )
    ).one()
    assert round(row[0], 3) == 14 * 86400 + 30
    assert (row[1], row[2]) == (2, 1)


# --- the figures --------------------------------------------------------------------------------


def test_every_core_figure_on_the_hand_built_data(world):
    current, previous = core_figures([world["guild"].id], PERIOD, NOW)[world["guild"].id]
    assert current == {
        "new_threads": 6,
        "posts": 12,
        "resources": 2,
        "resource_versions": 3,
        "events": 1,
        "members": 4,
        "new_members": 2,
        "contributors": 4,
        "outside_contributors": 2,
        "replies_per_thread": 1.2,
        "reply_share": 80.0,
        "answered_share": 33.3,
        "median_first_reply_hours": 3.0,
        "unanswered_48h": 2,
    }
    assert previous == {
        "new_threads": 2,
        "posts": 3,
        "resources": 1,
        "resource_versions": 1,
        "events": 1,
        "members": 3,
        "new_members": 1,
        "contributors": 3,
        "outside_contributors": 0,
        "replies_per_thread": 1.0,
        "reply_share": 100.0,
        "answered_share": 100.0,
        "median_first_reply_hours": 4.0,
        "unanswered_48h": 0,
    }


def test_core_figures_build_their_statements_once_and_bind_each_period(world):
    """The statements are built once per dialect and scope; the periods, the waiting limit and the
    communities are bound at each call, so the same statements give each period's own figures."""
    from cop.oversight.metrics import _core_statements

    guild = world["guild"].id
    _core_statements.cache_clear()
    first = core_figures([guild], PERIOD, NOW)[guild]
    earlier = core_figures([guild], Period.last(30, NOW - timedelta(days=30)), NOW - timedelta(days=30))[guild]
    everywhere = core_figures(None, PERIOD, NOW)[guild]
    assert _core_statements.cache_info().misses == 2  # scoped, then every community
    assert _core_statements.cache_info().hits == 1
    assert first[0]["new_threads"] == everywhere[0]["new_threads"] == 6
    assert first[0]["unanswered_48h"] == 2
    # The previous period's figures, computed as the current period of a report a month earlier.
    assert earlier[0] == first[1]


def test_the_report_beyond_the_core_figures(world):
    report = community_report(world["guild"], PERIOD, viewer=world["sponsor"], now=NOW)
    assert report.main_department == "Engineering"  # two Engineering, two Sales: ties go alphabetically
    figures = report.figures
    assert (figures["posts"].value, figures["posts"].previous, figures["posts"].change) == (12, 3, 9)
    assert figures["median_first_reply_hours"].change == -1.0
    assert figures["median_first_reply_hours"].verdict == "better"
    assert figures["answered_share"].change == -66.7 and figures["answered_share"].verdict == "worse"

    assert [(p.name, p.posts, p.accepted_answers, p.resources) for p in report.top_contributors] == [
        ("@Ann", 6, 0, 1),
        ("Cat", 2, 1, 1),
        ("Bob", 3, 0, 0),
        ("Eve", 1, 0, 0),
    ]
    # The private community's accepted answer is not the sponsor's to see.
    assert [(p.name, p.accepted_answers) for p in report.accepted_elsewhere] == [("Bob", 1)]
    sov = report.share_of_voice
    assert (sov.tags, sov.posts, sov.all_posts, sov.share) == (["python"], 6, 8, 75.0)
    assert (sov.previous_posts, sov.previous_all_posts, sov.previous_share) == (2, 2, 100.0)

    grid = {(c.kind, c.priority): (c.threads, c.open_threads, c.median_open_age_hours) for c in report.grid}
    assert grid == {
        ("question", 1): (1, 0, None),
        ("question", 2): (2, 2, 612.0),
        ("question", 3): (0, 0, None),
        ("problem", 1): (1, 1, 264.0),
        ("problem", 2): (0, 0, None),
        ("problem", 3): (0, 0, None),
        ("idea", 1): (0, 0, None),
        ("idea", 2): (0, 0, None),
        ("idea", 3): (1, 1, 1.0),
    }

    assert [(g.query, g.times, g.answered) for g in report.gaps] == [
        ("kubernetes", 3, False),
        ("=cmd|' /c calc'!a0", 2, False),
        ("flaky tests", 1, True),
    ]

    assert len(report.trends) == 12 and report.trends[-1].end == NOW
    assert report.trends[0].start == NOW - timedelta(weeks=12)
    weekly = [(p.posts, p.contributors, p.median_first_reply_hours) for p in report.trends]
    assert weekly == [(0, 0, None)] * 5 + [
        (2, 2, 6.0),  # 10-17 Feb: t8 and its answer
        (0, 1, None),  # 17-24 Feb: a resource and its first version
        (7, 4, 2.0),  # 24 Feb-3 Mar: t1 (4 h), t7 (2 h) and t9 (2 h)
        (2, 3, None),  # 3-10 Mar (3 Mar 12:00 included): the accepted answer, the announcement; resources
        (2, 3, 72.0),  # 10-17 Mar: t2
        (1, 1, None),  # 17-24 Mar: t3, never replied
        (1, 1, 1.0),  # 24-31 Mar: t4
    ]


def test_an_admin_sees_accepted_answers_and_voice_across_every_community(world):
    report = community_report(world["guild"], PERIOD, viewer=world["admin"], now=NOW)
    assert [(p.name, p.accepted_answers) for p in report.accepted_elsewhere] == [("@Ann", 1), ("Bob", 1)]
    assert (report.share_of_voice.posts, report.share_of_voice.all_posts, report.share_of_voice.share) == (6, 10, 60.0)


def test_scorecard_and_portfolio_on_the_hand_built_data(world):
    report = community_report(world["guild"], PERIOD, viewer=world["sponsor"], now=NOW)
    assert [(s.metric.key, s.current, s.status, s.previous_status) for s in report.objectives] == [
        ("new_members", 2, "off-track", "off-track"),  # past due
        ("posts", 12, "at-risk", "off-track"),
        ("answered_share", 33.3, "off-track", "on-track"),
        ("median_first_reply_hours", 3.0, "on-track", "on-track"),
    ]

    rows = portfolio(world["sponsor"], PERIOD, now=NOW)
    assert [r.slug for r in rows] == ["guild"]
    row = rows[0]
    assert [(f.key, f.value, f.previous) for f in row.figures] == [
        ("members", 4, 3),
        ("contributors", 4, 3),
        ("posts", 12, 3),
        ("median_first_reply_hours", 3.0, 4.0),
        ("answered_share", 33.3, 100.0),
        ("objectives_on_track", 1, 2),
    ]
    assert row.objectives_total == 4
    # Over 7 days the figures change, but objectives are still measured over the 30 days to the end.
    week = portfolio(world["sponsor"], Period.last(7, NOW), now=NOW)[0]
    assert (week.posts.value, week.posts.previous, week.objectives_on_track.value) == (1, 1, 1)
    assert [r.slug for r in portfolio(world["admin"], PERIOD, now=NOW)][:3] == ["guild", "other", "secret"]
    assert portfolio(world["ann"], PERIOD, now=NOW) == []  # a coordinator, not a sponsor


def test_csv_neutralises_formulas_and_keeps_numbers(world):
    report = community_report(world["guild"], PERIOD, viewer=world["sponsor"], now=NOW)
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["Community report", "'+Guild"]
    by_label = {r[1]: r for r in rows if len(r) == 6 and r[0] in ("Volume", "Reach", "Engagement", "Share of voice")}
    assert by_label["Posts"][3:] == ["12", "3", "9"]
    assert by_label["Median time to first reply"][3:] == ["3.0", "4.0", "-1.0"]  # a negative number stays a number
    assert by_label["Questions answered"][3:] == ["33.3", "100.0", "-66.7"]
    assert by_label["Share of voice"][3:] == ["75.0", "100.0", "-25.0"]
    assert ["Top contributors", "'@Ann", "6", "0", "1", "0"] in rows
    assert ["Knowledge gaps", "'=cmd|' /c calc'!a0", "2", "no"] in rows
    objective = next(r for r in rows if r[:1] == ["Objectives"] and r[4] == "10.0")
    assert objective[1] == '\'=HYPERLINK("http://x")' and objective[7] == "12" and objective[10] == "At risk"
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert [neutralise(v) for v in ("-1", -1, "\tx", "\x01y", "ok", None, 2.5)] == [
        "'-1",
        -1,
        "'\tx",
        "'\x01y",
        "ok",
        None,
        2.5,
    ]


# --- tests that add rows (after the read-only ones, where those do not look) -------------------------


def test_portfolio_queries_do_not_grow_with_the_number_of_communities(world):
    sue = make_user("sue@example.com", "Sue Sponsor")
    world["guild"].sponsors.append(sue)
    db.session.commit()

    def count_queries():
        db.session.expire_all()
        statements = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows = portfolio(sue, Period.last(7, NOW), now=NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), rows

    few, rows = count_queries()
    assert len(rows) == 1
    for i in range(6):
        community = make_community(f"sue-{i}", sponsors=[sue], members=[world["ann"]])
        thread(community, world["ann"], at(3, 28))
        db.session.add(
            Objective(
                community_id=community.id,
                title="More posts",
                business_goal="Reuse",
                metric="posts",
                baseline=1,
                target=5,
                due_on=date(2026, 12, 31),
                created_at=datetime(2026, 1, 1),
            )
        )
    db.session.commit()
    many, rows = count_queries()
    assert [(r.posts.value, r.objectives_on_track.value) for r in rows[1:]] == [(1, 0)] * 6
    assert many == few <= 18, f"{few} queries for one community, {many} for seven"


def test_sorting_the_portfolio_keeps_missing_values_last(world):
    tess = make_user("tess@example.com", "Tess Sponsor")
    world["guild"].sponsors.append(tess)
    for slug in ("alpha", "zulu"):
        make_community(slug, sponsors=[tess])
    rows = portfolio(tess, PERIOD, now=NOW)
    assert [r.slug for r in sort_portfolio(rows, "posts", "desc")] == ["guild", "alpha", "zulu"]
    assert [r.slug for r in sort_portfolio(rows, "first_reply", "asc")] == ["guild", "alpha", "zulu"]
    assert [r.slug for r in sort_portfolio(rows, "first_reply", "desc")] == ["guild", "alpha", "zulu"]
    assert [r.slug for r in sort_portfolio(rows, "name", "desc")] == ["zulu", "alpha", "guild"]  # "+Guild" first
    assert [r.slug for r in sort_portfolio(rows, "nonsense")] == ["guild", "alpha", "zulu"]


def test_medians_of_odd_and_even_groups(world):
    author = make_user("medians@example.com")
    ids = []
    for kind, priorities in (("question", [3, 1, 2]), ("idea", [1, 3, 2, 3]), ("problem", [2])):
        community = make_community()
        ids.append(community.id)
        for p in priorities:
            thread(community, author, NOW, kind, p)
    db.session.commit()
    values = select(Thread.kind.label("k"), Thread.priority.label("x")).where(Thread.community_id.in_(ids))
    assert medians(values, ("k",)) == {("question",): 2.0, ("idea",): 2.5, ("problem",): 2.0}


def test_objective_services_check_rights_rules_and_audit(world):
    other, admin, bob = world["other"], world["admin"], world["bob"]
    fields = dict(
        title="Answers within a day",
        business_goal="Faster onboarding",
        metric="median_first_reply_hours",
        baseline="10",
        target="2,5",
        due_on="2099-12-31",
    )
    objective = services.create_objective(admin, other, **fields)
    assert (objective.baseline, objective.target, objective.due_on) == (10.0, 2.5, date(2099, 12, 31))
    with pytest.raises(NotAllowed):
        services.create_objective(bob, other, **fields)
    for change, field in (
        (dict(metric="nope"), "metric"),
        (dict(baseline="ten"), "baseline"),
        (dict(target="10"), "target"),
        (dict(due_on="2020-01-01"), "due_on"),
        (dict(due_on="31/12/2099"), "due_on"),
        (dict(title="  "), "title"),
        (dict(metric="answered_share", target="120"), "target"),
    ):
        with pytest.raises(DomainError) as raised:
            services.create_objective(admin, other, **{**fields, **change})
        assert raised.value.field == field, change
    for _ in range(4):
        services.create_objective(admin, other, **fields)
    with pytest.raises(DomainError, match="at most 5"):
        services.create_objective(admin, other, **fields)

    services.update_objective(admin, objective, **{**fields, "target": "4"})
    services.update_objective(admin, objective, **{**fields, "target": "4"})  # no change: nothing recorded
    services.delete_objective(admin, objective)
    entries = [
        (e.action, e.detail)
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_id == objective.id, AuditEntry.target_type == "objective")
            .order_by(AuditEntry.id)
        )
    ]
    assert [action for action, _detail in entries] == ["objective.create", "objective.update", "objective.delete"]
    assert entries[1][1] == "target: 2.5 → 4"
    assert len(services.objectives(other)) == 4


def test_first_reply_is_kept_by_the_discussion_services(world):
    """The asker's own reply never starts the clock; deleting or hiding the first reply moves it to the next one."""
    guild, ann, bob, cat = world["guild"], world["ann"], world["bob"], world["cat"]
    asked = discussions.create_thread(bob, guild, title="How?", body="?", kind="question")
    discussions.reply(bob, asked, asked.opening_post, "Some more detail.")
    assert asked.first_reply_at is None
    first = discussions.reply(ann, asked, asked.opening_post, "Like this.")
    second = discussions.reply(cat, asked, asked.opening_post, "Or like that.")
    assert asked.first_reply_at == first.created_at
    discussions.delete_post(ann, first)
    assert asked.first_reply_at == second.created_at
    flag = discussions.flag_post(bob, second, "add-value")
    discussions.decide_flag(ann, flag, hide=True)
    assert asked.first_reply_at is None


def _statements(run):
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements), result


def test_the_objectives_window_is_computed_only_for_objectives(world):
    """A 90-day report scores objectives over the 30 days to its end: those figures (four statements) are
    computed only when the community has objectives, and a reused report scores one recorded since."""
    from cop.oversight.reports import reused_report

    quiet, admin, ann = make_community("quiet", members=[world["ann"]]), world["admin"], world["ann"]
    thread(quiet, ann, at(3, 20))
    db.session.commit()
    quarter = Period.custom(date(2026, 1, 1), date(2026, 3, 30))
    without, plain = _statements(lambda: community_report(quiet, quarter, viewer=admin, now=NOW))
    month_count, _month = _statements(
        lambda: community_report(quiet, Period.custom(date(2026, 3, 1), date(2026, 3, 30)), viewer=admin, now=NOW)
    )
    assert plain.objectives == [] and plain.figures["new_threads"].value == 1
    assert without == month_count  # no second set of figures for the objectives' window

    reused = reused_report(quiet, quarter, admin, recent=False)
    assert reused.objectives == []
    db.session.add(
        Objective(
            community_id=quiet.id,
            title="Threads",
            business_goal="Reuse",
            metric="new_threads",
            baseline=0,
            target=2,
            due_on=date(2026, 12, 31),
            created_at=datetime(2026, 1, 1),
        )
    )
    db.session.commit()
    with_objective, scored = _statements(lambda: community_report(quiet, quarter, viewer=admin, now=NOW))
    assert with_objective == without + 4
    again = reused_report(quiet, quarter, admin, recent=False)  # the figures reused, the objective scored
    assert [(s.current, s.title) for s in again.objectives] == [(s.current, s.title) for s in scored.objectives]
    assert scored.objectives[0].current == 1
