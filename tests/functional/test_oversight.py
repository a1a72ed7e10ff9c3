"""Oversight through the views: who may see what, the sponsor's pages, the CSV, objectives.

The figures themselves are checked exactly in ``tests/unit/test_oversight_reports.py``.
"""

import csv
import html
import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, select

from cop.admin.models import AuditEntry
from cop.discussions import services as discussions
from cop.extensions import db
from cop.oversight import services
from cop.oversight.models import Objective
from tests.builders import PASSWORD, make_community, make_user

FIGURE_ROW = re.compile(
    r'<tr id="figure-(\w+)">.*?<td class="figure-value">(.*?)</td>\s*'
    r'<td class="figure-previous">(.*?)</td>',
    re.S,
)


def _login(client, user_or_email):
    email = getattr(user_or_email, "email", user_or_email)
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, email


def _text(fragment: str) -> str:
    """A figure cell as plain text in the CSV's form: no markup, no unit, empty for "no data"."""
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()
    if text.startswith("—"):
        return ""
    return text.removesuffix(" %").removesuffix(" h")


@pytest.fixture
def people(app):
    sponsor = make_user("sponsor@example.com", "Sam Sponsor", department="Executive")
    coordinator = make_user("coord@example.com", "Cora Coordinator", department="Engineering")
    member = make_user("member@example.com", "Mo Member", department="Sales")
    outsider = make_user("outsider@example.com", "Oz Outsider")
    admin = make_user("admin@example.com", "Ada Admin", admin=True)
    communities = {}
    for visibility in ("open", "restricted", "private"):
        communities[visibility] = make_community(
            f"{visibility}-guild",
            name=f"{visibility.title()} Guild",
            visibility=visibility,
            sponsors=[sponsor],
            coordinators=[coordinator],
            members=[member],
        )
    objectives = {
        v: services.create_objective(
            coordinator,
            c,
            title="Answers within a day",
            business_goal="Onboarding",
            metric="median_first_reply_hours",
            baseline=24,
            target=8,
            due_on="2099-12-31",
        )
        for v, c in communities.items()
    }
    return dict(
        sponsor=sponsor,
        coordinator=coordinator,
        member=member,
        outsider=outsider,
        admin=admin,
        communities=communities,
        objectives=objectives,
    )


def test_every_oversight_route_for_every_role(app, client, people):
    """Sponsors, coordinators and admins only; others get 404 for a private community and 403 otherwise.

    Every route for every role on the private community; on the others every
    route for the refused roles and the report page for the allowed ones.
    """
    roles = ("anonymous", "outsider", "member", "coordinator", "sponsor", "admin")
    for visibility, community in people["communities"].items():
        objective = people["objectives"][visibility]
        slug = community.slug
        pages = [
            f"/c/{slug}/report?period=7",
            f"/c/{slug}/report/print",
            f"/c/{slug}/report.csv",
            f"/c/{slug}/objectives/new",
            f"/c/{slug}/objectives/{objective.id}/edit",
        ]
        refused = 404 if visibility == "private" else 403
        for role in roles:
            if role == "anonymous":
                client.post("/logout")
            else:
                _login(client, people[role])
            allowed = role in ("coordinator", "sponsor", "admin")
            for path in pages if visibility == "private" or not allowed else pages[:1]:
                status = client.get(path).status_code
                expected = 200 if allowed else 302 if role == "anonymous" else refused
                assert status == expected, f"{role} GET {path} ({visibility}): {status}"
            if not allowed:
                status = client.post(f"/c/{slug}/objectives/{objective.id}/delete").status_code
                assert status == (302 if role == "anonymous" else refused), f"{role} POST delete: {status}"
        assert db.session.get(Objective, objective.id) is not None  # nobody refused removed it
        assert client.post(f"/c/{slug}/objectives/{objective.id}/delete").status_code == 302  # the admin may
    # A missing community, and another community's objective, are 404 even to an administrator.
    _login(client, people["admin"])
    assert client.get("/c/no-such-guild/report").status_code == 404
    other = services.create_objective(
        people["admin"],
        people["communities"]["open"],
        title="Elsewhere",
        business_goal="Reuse",
        metric="posts",
        baseline=1,
        target=9,
        due_on="2099-12-31",
    ).id
    assert client.get(f"/c/restricted-guild/objectives/{other}/edit").status_code == 404
    assert client.post(f"/c/restricted-guild/objectives/{other}/delete").status_code == 404
    assert client.get(f"/c/open-guild/objectives/{other}/edit").status_code == 200
    # The portfolio is for anyone signed in; it lists only what they sponsor.
    client.post("/logout")
    response = client.get("/oversight")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    _login(client, people["member"])
    page = client.get("/oversight")
    assert page.status_code == 200 and b"You do not sponsor any community" in page.data
    assert b">Portfolio</a>" not in page.data  # no nav link for them
    assert b"Report</a>" not in client.get("/c/open-guild").data


def _queries(client, url):
    db.session.remove()
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, url
    return len(statements), response


def test_a_sponsor_reads_compares_exports_and_sets_objectives(app, client, people):
    sponsor, coordinator, member = people["sponsor"], people["coordinator"], people["member"]
    community = people["communities"]["open"]
    asked = discussions.create_thread(
        member, community, title="=SUM(A1:A9) breaks", body="Why?", kind="question", priority=1
    )
    discussions.reply(member, asked, asked.opening_post, "More detail.")
    answer = discussions.reply(coordinator, asked, asked.opening_post, "Because.")
    discussions.set_accepted(member, asked, answer)
    discussions.create_thread(coordinator, community, title="An idea", body="What if?", kind="idea")
    _login(client, sponsor)

    count, portfolio = _queries(client, "/oversight?period=7")
    body = portfolio.get_data(as_text=True)
    assert ">Portfolio</a>" in body
    assert [m for m in re.findall(r'<th scope="row"><a href="/c/([\w-]+)/report', body)] == [
        "open-guild",
        "private-guild",
        "restricted-guild",
    ]
    sponsor, member = db.session.merge(sponsor), db.session.merge(member)  # the request ended the session
    for i in range(4):  # the portfolio page costs the same however many communities there are
        make_community(f"more-{i}", sponsors=[sponsor], members=[member])
    more_count, portfolio = _queries(client, "/oversight?period=7&sort=posts&dir=desc")
    assert more_count == count <= 25, f"{count} queries for 3 communities, {more_count} for 7"
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a [^>]*>Posts', portfolio.get_data(as_text=True))

    count, report = _queries(client, "/c/open-guild/report")
    # 31: the listening report's voice section is folded from the share of voice (32 when it queried again).
    assert count <= 31, f"the report page ran {count} queries"
    page = report.get_data(as_text=True)
    shown = {key: (_text(value), _text(previous)) for key, value, previous in FIGURE_ROW.findall(page)}
    assert shown["posts"] == ("4", "0") and shown["answered_share"] == ("100.0", "")
    assert shown["unanswered_48h"] == ("0", "0")
    assert 'role="img"' in page and '<title id="chart-posts-title">Posts per week</title>' in page
    assert "style=" not in page and "<script>" not in page

    # The CSV parses back to the figures on the page; a formula in a title does not survive.
    exported = client.get("/c/open-guild/report.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    in_csv = {row[1]: (row[3], row[4]) for row in rows if len(row) == 6 and row[0] in ("Volume", "Reach", "Engagement")}
    labels = dict(re.findall(r'<tr id="figure-(\w+)">\s*<th scope="row">([^<]+)', page))
    assert {labels[key]: value for key, value in shown.items()} == in_csv
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)

    # Periods: a custom range works; bad dates are a form error and a 400, never a 500.
    assert client.get("/c/open-guild/report?period=custom&start=2026-01-01&end=2026-01-31").status_code == 200
    for query in (
        "period=custom&start=2026-02-30&end=2026-03-01",
        "period=custom&start=&end=2026-03-01",
        "period=custom&start=2026-03-02&end=2026-03-01",
        "period=custom&start=2020-01-01&end=2023-01-01",
        "period=custom&start=2026-01-01&end=2999-01-01",
        "period=12",
    ):
        bad = client.get(f"/c/open-guild/report?{query}")
        assert bad.status_code == 400, query
        assert 'class="error"' in bad.get_data(as_text=True), query
        assert client.get(f"/c/open-guild/report.csv?{query}").status_code == 400
    assert 'value="2026-02-30"' in client.get(
        "/c/open-guild/report?period=custom&start=2026-02-30&end=2026-03-01"
    ).get_data(as_text=True)
    printed = client.get("/c/open-guild/report/print?period=90")
    assert printed.status_code == 200 and b"Report: Open Guild" in printed.data and b"Show report" not in printed.data

    # Objectives: a bad value comes back with what was typed; then record, edit, remove (all audited).
    form = {
        "title": "Questions get answered",
        "business_goal": "Less time lost",
        "metric": "answered_share",
        "baseline": "fifty",
        "target": "90",
        "due_on": "2099-06-30",
    }
    refused = client.post("/c/open-guild/objectives/new", data=form)
    assert refused.status_code == 400
    assert b"Give the baseline as a number" in refused.data and b'value="Questions get answered"' in refused.data
    created = client.post("/c/open-guild/objectives/new", data={**form, "baseline": "50"})
    assert created.status_code == 302
    objective_id = db.session.scalar(select(Objective.id).filter_by(title="Questions get answered"))
    report_page = client.get("/c/open-guild/report").get_data(as_text=True)
    assert "Questions get answered" in report_page and "On track" in report_page  # 100 % answered
    assert (
        client.post(
            f"/c/open-guild/objectives/{objective_id}/edit", data={**form, "baseline": "50", "target": "95"}
        ).status_code
        == 302
    )
    assert client.post(f"/c/open-guild/objectives/{objective_id}/delete").status_code == 302
    assert db.session.get(Objective, objective_id) is None
    actions = list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "objective", AuditEntry.target_id == objective_id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["objective.create", "objective.update", "objective.delete"]

    # The community page links the report for those who oversee it.
    _login(client, "coord@example.com")
    assert b'href="/c/open-guild/report">Report</a>' in client.get("/c/open-guild").data


def test_a_reused_report_never_carries_one_viewers_communities_to_another(app, client, people):
    """Reports are reused for a few minutes, but only by viewers who may read the same communities."""
    member, coordinator = people["member"], people["coordinator"]
    private = people["communities"]["private"]
    asked = discussions.create_thread(coordinator, private, title="Private question", body="Why?", kind="question")
    answer = discussions.reply(member, asked, asked.opening_post, "Because.")
    discussions.set_accepted(coordinator, asked, answer)
    other = make_user("other@example.com", "Otto Other-Sponsor")
    db.session.merge(people["communities"]["open"]).sponsors.append(other)
    db.session.commit()

    def elsewhere(user):
        _login(client, user)
        page = client.get("/c/open-guild/report?period=30").get_data(as_text=True)
        section = page.split('id="elsewhere-h"', 1)[1].split("</div>", 1)[0]
        return "Mo Member" in section

    assert elsewhere(people["admin"])  # reads the private community: its accepted answer counts...
    assert not elsewhere(other)  # ...not for a sponsor who cannot read it, though the admin's report is fresh
    assert elsewhere(people["admin"])
