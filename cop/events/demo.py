"""Demo meetings for ``flask cop demo``: upcoming and past ones, with answers and notes.

Idempotent: nothing is added once any meeting exists. Scheduled through the
services (so times go through the same time-zone rules), except the answers
to past meetings, which the service rightly refuses and are written directly.
"""

import random
from datetime import time, timedelta

from sqlalchemy import func, select

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.events import services
from cop.events.models import RSVP_RESPONSES, Event, Rsvp
from cop.extensions import db, utcnow

# slug, organiser, title, days from today, start, end, zone, place, link, agenda, notes (past ones)
MEETINGS = [
    (
        "python-guild",
        "lena.fischer@example.com",
        "Monthly Python Guild sync",
        6,
        time(16),
        time(17),
        "Europe/Berlin",
        "Berlin office, room Turing",
        "https://meet.example.com/python-guild",
        "1. News from the teams (5 minutes each)\n2. **Demo**: typing a Flask app with `mypy --strict`\n"
        "3. Open questions from the forum",
        "",
    ),
    (
        "python-guild",
        "lena.fischer@example.com",
        "Testing dojo: property-based tests with Hypothesis",
        20,
        time(14),
        time(16),
        "Europe/Berlin",
        "",
        "https://meet.example.com/python-dojo",
        "Bring a laptop with Python 3.11 and `pip install hypothesis`. We pair on three katas.",
        "",
    ),
    (
        "python-guild",
        "lena.fischer@example.com",
        "Code review kata",
        -10,
        time(16),
        time(17),
        "Europe/Berlin",
        "Berlin office, room Turing",
        "",
        "Review the same pull request in pairs, then compare notes.",
        "## What we agreed\n\n- Reviews under 400 lines, or split the change.\n- Ask questions, don't give orders.\n"
        "- The checklist in the library is our shared baseline.\n\n**Next**: Tom updates the checklist.",
    ),
    (
        "python-guild",
        "lena.fischer@example.com",
        "Packaging Q&A",
        -38,
        time(15),
        time(16),
        "Europe/Berlin",
        "",
        "https://meet.example.com/python-guild",
        "Questions about `pyproject.toml`, wheels and private indexes.",
        "- We standardise on `pyproject.toml` with hatchling.\n- Private packages go to the internal index.\n"
        "- Recording: ask Lena.",
    ),
    (
        "accessibility",
        "sofia.marquez@example.com",
        "Screen reader walkthrough",
        9,
        time(11),
        time(12),
        "Europe/Madrid",
        "Madrid studio",
        "https://meet.example.com/a11y",
        "We navigate our sign-up flow with NVDA and VoiceOver and note every barrier.",
        "",
    ),
    (
        "security-champions",
        "lena.fischer@example.com",
        "Threat modelling clinic",
        13,
        time(10),
        time(11, 30),
        "Europe/Berlin",
        "",
        "https://meet.example.com/security",
        "Bring a design you are working on; we run STRIDE on two of them.",
        "",
    ),
]


def load_demo_meetings() -> bool:
    """Add the demo meetings unless there are meetings already; return whether anything was added."""
    if db.session.scalar(select(func.count()).select_from(Event)):
        return False
    permissions.forget_memberships()
    rng = random.Random(7)
    users = {u.email: u for u in db.session.scalars(select(User))}
    communities = {c.slug: c for c in db.session.scalars(select(Community))}
    today = utcnow().date()
    added = False
    for slug, organiser, title, days, start, end, zone, place, link, agenda, notes in MEETINGS:
        community, user = communities.get(slug), users.get(organiser)
        if community is None or user is None:
            continue
        day = today + timedelta(days=days)
        day += timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)  # a weekday
        event = services.schedule_meeting(
            user,
            community,
            services.MeetingDetails(
                title=title,
                agenda=agenda,
                date=day,
                start_time=start,
                end_time=end,
                timezone=zone,
                location=place,
                meeting_url=link,
            ),
        )
        members = list(
            db.session.scalars(
                select(Membership.user_id)
                .where(Membership.community_id == community.id, Membership.status == "active")
                .order_by(Membership.user_id)
            )
        )
        answers = {user_id: rng.choice(RSVP_RESPONSES) for user_id in rng.sample(members, min(len(members), 5))}
        tom = users.get("tom.becker@example.com")
        if tom is not None and tom.id in members:
            answers[tom.id] = "yes"
        db.session.add_all(
            Rsvp(event_id=event.id, user_id=user_id, response=response) for user_id, response in answers.items()
        )
        db.session.commit()
        if notes:
            services.save_notes(user, event, notes)
        added = True
    return added
