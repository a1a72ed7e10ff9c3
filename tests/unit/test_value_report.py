"""Value stories in the report and portfolio: exact counts and sums over the period boundaries (SQLite and
PostgreSQL). Current period [2026-03-01 12:00, 2026-03-31 12:00), previous [2026-01-30 12:00, 2026-03-01 12:00)."""

from datetime import date, datetime

import pytest

from cop.extensions import db
from cop.oversight.models import Objective
from cop.oversight.periods import Period
from cop.oversight.reports import community_report
from cop.oversight.value import objective_values, objective_values_of, portfolio_value, value_report
from cop.value.models import ValueStory
from tests.builders import make_community, make_user
from tests.conftest import fresh_app_context

NOW = datetime(2026, 3, 31, 12, 0)
PERIOD = Period.last(30, NOW)
CONFIRMED = datetime(2026, 3, 31, 11, 0)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    with fresh_app_context(request.param, tmp_path_factory.mktemp("value")):
        yield _build()


def _build():
    ann = make_user(name="Ann")
    guild, other = make_community("guild", members=[ann]), make_community("other", members=[ann])
    stories = {}

    def story(name, community, created, cycle, amount=None, unit=None, custom="", confirmed=True):
        stories[name] = ValueStory(
            community_id=community.id,
            author_id=ann.id,
            cycle=cycle,
            text=f"story {name}",
            amount=amount,
            unit=unit,
            custom_unit=custom,
            created_at=created,
            confirmed_at=CONFIRMED if confirmed else None,
        )
        db.session.add(stories[name])

    story("s1", guild, datetime(2026, 3, 1, 12), "realized", 10, "hours_saved")  # first instant: current
    story("s2", guild, datetime(2026, 3, 31, 11, 59, 59), "realized", 5.5, "hours_saved")
    story("s3", guild, datetime(2026, 3, 10), "realized", 100, "hours_saved", confirmed=False)  # never summed
    story("s4", guild, datetime(2026, 3, 11), "realized", 2500, "cost_avoided")
    story("s5", guild, datetime(2026, 3, 12), "realized", 3, "custom", "defects avoided")
    story("s6", guild, datetime(2026, 3, 1, 11, 59, 59), "realized", 7, "hours_saved")  # previous period
    story("s7", guild, datetime(2026, 3, 31, 12), "realized", 4, "hours_saved")  # the end: in neither
    story("s8", guild, datetime(2026, 3, 13), "immediate", confirmed=False)
    story("s9", guild, datetime(2026, 3, 14), "applied")
    story("s10", guild, datetime(2026, 2, 14), "potential")
    story("s11", guild, datetime(2026, 3, 15), "realized")  # realized, nothing measured
    story("o1", other, datetime(2026, 3, 15), "realized", 50, "hours_saved")
    db.session.commit()
    return dict(guild=guild, other=other, stories={k: v.id for k, v in stories.items()})


def test_stories_per_cycle_and_confirmed_realized_sums_per_unit(world):
    worth = value_report(world["guild"], PERIOD)
    assert worth.per_cycle == {
        "immediate": (1, 0),
        "potential": (0, 1),
        "applied": (1, 0),
        "realized": (6, 1),
        "reframing": (0, 0),
    }
    assert (worth.stories, worth.previous_stories, worth.confirmed) == (8, 2, 6)
    assert [(s.unit, s.label, s.amount, s.stories) for s in worth.realized] == [
        ("hours_saved", "hours saved", 15.5, 2),
        ("cost_avoided", "cost avoided", 2500.0, 1),
        ("custom", "defects avoided", 3.0, 1),
    ]
    assert [(s.label, s.amount, s.stories) for s in worth.realized_previous] == [("hours saved", 7.0, 1)]


def test_best_stories_confirmed_and_measured_first(world):
    best = value_report(world["guild"], PERIOD).best
    ids = world["stories"]
    assert [s.story_id for s in best] == [ids["s4"], ids["s1"], ids["s2"], ids["s5"], ids["s11"]]


def test_portfolio_and_objective_metrics(world):
    guild, other = world["guild"].id, world["other"].id
    column = portfolio_value([guild, other], PERIOD)
    assert (column[guild].stories, column[guild].previous_stories) == (8, 2)
    assert [(s.label, s.amount) for s in column[other].realized] == [("hours saved", 50.0)]
    values = objective_values([guild], PERIOD)[guild]
    assert values[0] == {
        "value_stories": 8,
        "realized_hours_saved": 15.5,
        "realized_cost_avoided": 2500.0,
        "realized_incidents_avoided": 0,
        "realized_revenue": 0,
    }
    assert values[1]["value_stories"] == 2 and values[1]["realized_hours_saved"] == 7.0
    assert objective_values_of(other, PERIOD) == (
        {
            "value_stories": 1,
            "realized_hours_saved": 50.0,
            "realized_cost_avoided": 0,
            "realized_incidents_avoided": 0,
            "realized_revenue": 0,
        },
        {
            "value_stories": 0,
            "realized_hours_saved": 0,
            "realized_cost_avoided": 0,
            "realized_incidents_avoided": 0,
            "realized_revenue": 0,
        },
    )


def test_objectives_measured_on_realized_value(world):
    objective = Objective(
        community_id=world["guild"].id,
        title="Save time",
        business_goal="Productivity",
        metric="realized_hours_saved",
        baseline=0,
        target=31,
        due_on=date(2026, 4, 30),
        created_at=datetime(2026, 3, 1, 12),
    )
    db.session.add(objective)
    db.session.commit()
    scores = community_report(world["guild"], PERIOD, now=NOW).objectives
    # Measured over the 30 days to the end of the period: 15.5 of 31 hours (50 %) after 30 of its 60.5 days.
    assert [(s.current, s.progress_percent, s.expected_percent, s.status) for s in scores] == [
        (15.5, 50, 50, "on-track")
    ]
