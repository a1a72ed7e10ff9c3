"""What the new-user run found, fixed: a sponsor's home, coordinators' counts, communities to explore,
the moderation queue in the community's nav, triage tabs' state, one objective rule on report and
portfolio, names in the audit log (tests/functional/test_admin.py)."""

from datetime import date, timedelta

import pytest

from cop.discussions import services as discussions
from cop.oversight import services as oversight
from tests.builders import add_membership, make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"


def test_sponsor_and_coordinator_homes_and_community_nav(client, login_as):
    sam, cora, mo, newbie = (make_user(f"{n}@example.com", name=n.title()) for n in ("sam", "cora", "mo", "newbie"))
    forge = make_community("forge", name="The Forge", sponsors=[sam], coordinators=[cora], members=[mo])
    lab = make_community("lab", name="The Lab", visibility="restricted", sponsors=[sam], coordinators=[cora])
    make_community("other", name="Elsewhere")
    add_membership(lab, newbie, "pending")
    thread = discussions.create_thread(mo, forge, title="Hello", body="x")
    reply = discussions.reply(cora, thread, thread.opening_post, "Hi")
    discussions.flag_post(mo, reply, discussions.guideline_choices(forge)[0][0], "rude")

    login_as(sam)
    home = client.get("/").get_data(as_text=True)
    assert "You have not joined a community yet" not in home
    sponsored = home.split('id="sponsored-h"')[1].split("</section>")[0]
    assert "The Forge" in sponsored and "The Lab" in sponsored and "pending" not in sponsored  # not a coordinator
    explore = home.split('id="sug-h"')[1]
    assert "Elsewhere" in explore and "The Forge" not in explore and "The Lab" not in explore

    client.post("/logout")
    login_as(cora)
    home = client.get("/").get_data(as_text=True)
    mine = home.split('id="mine-h"')[1].split("</section>")[0]
    assert ">1 pending request<" in mine.replace('<span class="visually-hidden"> to join The Lab</span>', "")
    assert ">1 open flag<" in mine.replace('<span class="visually-hidden"> in The Forge</span>', "")
    assert "The Forge" not in home.split('id="sug-h"')[1]

    page = client.get("/c/forge").get_data(as_text=True)
    assert 'href="/c/forge/flags">Moderation queue <span class="count-pill">1' in page
    lab_page = client.get("/c/lab").get_data(as_text=True)
    assert 'Manage members <span class="count-pill">1<span class="visually-hidden"> pending request' in lab_page
    triage = client.get("/c/forge/triage?view=stale").get_data(as_text=True)
    assert 'view=stale" aria-current="page">' in triage
    assert 'href="/c/forge/flags" aria-current="page">Flags' in client.get("/c/forge/flags").get_data(as_text=True)


def test_a_new_objective_is_not_started_on_report_and_portfolio_alike(client, login_as):
    sam = make_user("sam@example.com", name="Sam")
    forge = make_community("forge", name="The Forge", sponsors=[sam])
    oversight.create_objective(
        sam,
        forge,
        title="Faster answers",
        business_goal="Less waiting",
        metric="posts",
        baseline=0,
        target=50,
        due_on=date.today() + timedelta(days=180),
    )
    login_as(sam)
    report = client.get("/c/forge/report").get_data(as_text=True)
    assert "Not started" in report and "At risk" not in report.split("How the status is set")[0]
    portfolio = client.get("/oversight").get_data(as_text=True)
    assert ">0 of 1<" in portfolio.replace('<span class="figure-value">', ">").replace(" </span>", "<")
