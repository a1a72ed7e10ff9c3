"""Demo objectives: the demo sponsor's communities get business objectives, so the portfolio has a story."""

from datetime import timedelta

from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community, community_sponsors
from cop.extensions import db, utcnow
from cop.oversight import services
from cop.oversight.models import Objective

SPONSOR_EMAIL = "margaret.okafor@example.com"

# slug: [(objective, business goal, metric, baseline, target, days until due)]
OBJECTIVES = {
    "python-guild": [
        ("Questions get an accepted answer", "Less time lost to blocked engineers", "answered_share", 40, 80, 120),
        (
            "Questions are answered within half a day",
            "Faster onboarding of new engineers",
            "median_first_reply_hours",
            24,
            12,
            90,
        ),
        ("More engineers share what they know", "Fewer single points of knowledge", "contributors", 3, 10, 150),
    ],
    "accessibility": [
        ("Designers and engineers both take part", "Accessible products by default", "outside_contributors", 0, 4, 120),
    ],
    "data-quality": [
        ("No question waits two days for an answer", "Trusted data for decisions", "unanswered_48h", 4, 0, 90),
    ],
    "sustainability-network": [
        ("Grow the network across sites", "Reach the 2030 emissions target", "new_members", 1, 6, 180),
    ],
}
RECORDED_DAYS_AGO = 45


def load_demo_objectives() -> bool:
    """Record the objectives above for the communities the demo sponsor sponsors (only where none exist yet).

    Dated as if recorded 45 days ago, so progress and status have something to show.
    """
    sponsor = db.session.scalar(select(User).where(User.email == SPONSOR_EMAIL))
    if sponsor is None:
        return False
    sponsored = db.session.scalars(
        select(Community)
        .join(community_sponsors, community_sponsors.c.community_id == Community.id)
        .where(community_sponsors.c.user_id == sponsor.id, Community.slug.in_(OBJECTIVES))
    )
    today = utcnow().date()
    created = []
    for community in sponsored:
        if db.session.scalar(select(Objective.id).where(Objective.community_id == community.id).limit(1)):
            continue
        for title, goal, metric, baseline, target, days in OBJECTIVES[community.slug]:
            created.append(
                services.create_objective(
                    sponsor,
                    community,
                    title=title,
                    business_goal=goal,
                    metric=metric,
                    baseline=baseline,
                    target=target,
                    due_on=(today + timedelta(days=days)).isoformat(),
                )
            )
    for objective in created:
        objective.created_at = utcnow() - timedelta(days=RECORDED_DAYS_AGO)
    db.session.commit()
    return bool(created)
