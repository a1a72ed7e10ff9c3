"""Demo data for ``make run``: people, communities of every visibility, memberships.

``load`` is idempotent: people are matched by e-mail, communities by slug,
memberships by (community, person); existing rows are left alone.
"""

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import Community, Membership
from cop.events.demo import load_demo_meetings
from cop.extensions import db, utcnow
from cop.markup import render_markdown
from cop.notifications.demo import load_demo_notifications
from cop.oversight.demo import load_demo_objectives
from cop.search import outbox
from cop.tags.models import get_or_create_tags

DEMO_PASSWORD = "practice-makes-perfect"

LOGINS = [
    ("administrator", "admin@example.com"),
    ("sponsor", "margaret.okafor@example.com"),
    ("coordinator", "lena.fischer@example.com"),
    ("member", "tom.becker@example.com"),
]

PEOPLE = [
    # (name, department, title, location, expertise)
    ("Ada Admin", "IT Operations", "Platform administrator", "London", "administration"),
    ("Margaret Okafor", "Executive Office", "VP Engineering", "London", "leadership, strategy"),
    ("Lena Fischer", "Engineering", "Principal Engineer", "Berlin", "python, testing, architecture"),
    ("Tom Becker", "Engineering", "Software Engineer", "Berlin", "python, flask"),
    ("Priya Raman", "Data Science", "Lead Data Scientist", "Bangalore", "machine-learning, statistics"),
    ("Kenji Watanabe", "Engineering", "Site Reliability Engineer", "Tokyo", "kubernetes, observability"),
    ("Sofia Marquez", "Design", "UX Research Lead", "Madrid", "user-research, accessibility"),
    ("James O'Connor", "Sales", "Account Director", "Dublin", "negotiation, enterprise-sales"),
    ("Amara Nwosu", "Finance", "Controller", "Lagos", "forecasting, ifrs"),
    ("Oliver Smith", "Legal", "Senior Counsel", "London", "privacy, gdpr, contracts"),
    ("Chen Wei", "Manufacturing", "Process Engineer", "Shenzhen", "lean, six-sigma"),
    ("Fatima Zahra", "Quality", "Quality Manager", "Casablanca", "iso-9001, audits"),
    ("Lucas Martin", "Engineering", "Frontend Engineer", "Paris", "javascript, accessibility"),
    ("Hannah Schmidt", "Human Resources", "Learning Partner", "Munich", "onboarding, coaching"),
    ("Diego Alvarez", "Customer Support", "Support Team Lead", "Mexico City", "customer-experience"),
    ("Ingrid Johansson", "Sustainability", "Sustainability Analyst", "Stockholm", "carbon-accounting, esg"),
    ("Rahul Mehta", "Data Science", "Data Engineer", "Pune", "sql, spark, data-quality"),
    ("Grace Kim", "Product", "Product Manager", "Seoul", "roadmaps, discovery"),
    ("Samuel Adeyemi", "Engineering", "Security Engineer", "Lagos", "security, threat-modeling"),
    ("Elena Popescu", "Finance", "FP&A Analyst", "Bucharest", "forecasting, excel"),
    ("Marco Rossi", "Manufacturing", "Plant Manager", "Turin", "lean, safety"),
    ("Aisha Khan", "Design", "Product Designer", "Dubai", "design-systems, accessibility"),
    ("Noah Williams", "Sales", "Sales Engineer", "New York", "solution-selling, demos"),
    ("Yuki Tanaka", "Product", "Product Owner", "Osaka", "agile, scrum"),
    ("Camille Dubois", "Marketing", "Content Strategist", "Lyon", "writing, seo"),
    ("Mateus Silva", "Customer Support", "Support Engineer", "São Paulo", "troubleshooting"),
    ("Olga Ivanova", "Quality", "Test Manager", "Tallinn", "testing, test-automation"),
    ("Ben Carter", "IT Operations", "Network Engineer", "Manchester", "networking"),
    ("Zanele Dlamini", "Human Resources", "HR Business Partner", "Johannesburg", "coaching, diversity"),
    ("Arjun Nair", "Engineering", "Staff Engineer", "Bangalore", "distributed-systems, python"),
    ("Isabel Costa", "Legal", "Compliance Officer", "Lisbon", "compliance, privacy"),
    ("Peter Novak", "Manufacturing", "Maintenance Engineer", "Brno", "predictive-maintenance"),
    ("Leila Haddad", "Marketing", "Brand Manager", "Beirut", "branding"),
    ("William Brown", "Finance", "Treasury Analyst", "Toronto", "treasury"),
    ("Mei Lin", "Data Science", "Analytics Engineer", "Singapore", "dbt, sql"),
    ("Kwame Mensah", "Engineering", "Mobile Engineer", "Accra", "android, kotlin"),
    ("Anna Kowalska", "Design", "Service Designer", "Warsaw", "service-design"),
    ("Erik Larsen", "Sustainability", "Energy Engineer", "Oslo", "energy-efficiency"),
    ("Nadia Petrova", "Quality", "Regulatory Affairs Lead", "Sofia", "regulatory, audits"),
    ("David Cohen", "Executive Office", "Chief Operating Officer", "Tel Aviv", "operations, strategy"),
]

COMMUNITIES = [
    # slug, name, visibility, stage, domain, tags, coordinator, sponsor, department focus
    (
        "python-guild",
        "Python Guild",
        "open",
        "maturing",
        "Writing, testing and running Python well, from scripts to services.",
        "python, testing, flask",
        "lena.fischer@example.com",
        "margaret.okafor@example.com",
        "Engineering",
    ),
    (
        "accessibility",
        "Accessibility Champions",
        "open",
        "coalescing",
        "Making every product usable by everyone, with or without a mouse, a screen or perfect eyesight.",
        "accessibility, design-systems",
        "sofia.marquez@example.com",
        "margaret.okafor@example.com",
        "Design",
    ),
    (
        "lean-manufacturing",
        "Lean Manufacturing",
        "open",
        "stewardship",
        "Eliminating waste and improving flow on our shop floors.",
        "lean, six-sigma, safety",
        "marco.rossi@example.com",
        "david.cohen@example.com",
        "Manufacturing",
    ),
    (
        "data-quality",
        "Data Quality Circle",
        "restricted",
        "maturing",
        "Keeping the company's data accurate, documented and trusted.",
        "data-quality, sql, dbt",
        "rahul.mehta@example.com",
        "margaret.okafor@example.com",
        "Data Science",
    ),
    (
        "security-champions",
        "Security Champions",
        "restricted",
        "coalescing",
        "Spotting and fixing security risks early in every team.",
        "security, threat-modeling",
        "lena.fischer@example.com",
        "david.cohen@example.com",
        "Engineering",
    ),
    (
        "forecasting",
        "Forecasting Practitioners",
        "restricted",
        "potential",
        "Better financial and demand forecasts through shared methods.",
        "forecasting, statistics",
        "amara.nwosu@example.com",
        "david.cohen@example.com",
        "Finance",
    ),
    (
        "m-and-a-integration",
        "M&A Integration",
        "private",
        "maturing",
        "Integrating acquired companies: people, systems and contracts. Confidential.",
        "contracts, operations",
        "oliver.smith@example.com",
        "david.cohen@example.com",
        "Legal",
    ),
    (
        "sustainability-network",
        "Sustainability Network",
        "open",
        "transformation",
        "Cutting our footprint and reporting it honestly.",
        "carbon-accounting, esg, energy-efficiency",
        "ingrid.johansson@example.com",
        "margaret.okafor@example.com",
        "Sustainability",
    ),
]

CHARTER = """## Why we exist
{domain}

## What we do
- Meet every other week to share what worked and what did not.
- Answer each other's questions here, in the open, so the answers stay findable.
- Keep a shared library of templates, checklists and good examples.

## How we measure progress
Our sponsor reviews the community's health and objectives each quarter.
"""

GUIDELINES = """- Search before you ask: someone may have answered already.
- Mark the answer that solved your question, so others can find it.
- Keep customer names out of examples.
"""


def _email(name: str) -> str:
    if name == "Ada Admin":
        return "admin@example.com"
    return name.lower().replace("'", "").replace(" ", ".") + "@example.com"


def load(if_empty: bool = False) -> bool:
    """Create the demo data that is missing; return False if nothing was done. The search index takes
    the new rows in one write at the end (``outbox.one_catch_up``), not after each of the load's commits."""
    with outbox.one_catch_up():
        return _load(if_empty)


def _load(if_empty: bool) -> bool:
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        return False
    rng = random.Random(2026)
    now = utcnow()
    password_hash = generate_password_hash(DEMO_PASSWORD)
    existing = {u.email: u for u in db.session.scalars(select(User))}
    created_any = False
    people = {}
    for i, (name, department, title, location, tags) in enumerate(PEOPLE):
        email = _email(name)
        user = existing.get(email)
        if user is None:
            handle = email.split("@")[0].replace(".", "_")
            user = User(
                email=email,
                handle=handle,
                display_name=name,
                password_hash=password_hash,
                department=department,
                title=title,
                location=location,
                bio_md=f"{title} in {department}, based in {location}.",
                created_at=now - timedelta(days=700 - i * 10),
            )
            user.bio_html = render_markdown(user.bio_md)
            user.expertise = get_or_create_tags([t.strip() for t in tags.split(",")])
            user.is_admin = email == "admin@example.com"
            db.session.add(user)
            created_any = True
        people[email] = user
    db.session.flush()

    emails = list(people)
    for slug, name, visibility, stage, domain, tags, coordinator, sponsor, focus in COMMUNITIES:
        community = db.session.scalar(select(Community).where(Community.slug == slug))
        if community is not None:
            continue
        created_any = True
        community = Community(
            slug=slug,
            name=name,
            visibility=visibility,
            stage=stage,
            domain=domain,
            charter_md=CHARTER.format(domain=domain),
            guidelines_md=GUIDELINES,
            created_at=now - timedelta(days=rng.randint(200, 700)),
        )
        community.charter_html = render_markdown(community.charter_md)
        community.guidelines_html = render_markdown(community.guidelines_md)
        community.domain_tags = get_or_create_tags([t.strip() for t in tags.split(",")])
        community.sponsors = [people[sponsor]]
        db.session.add(community)
        db.session.flush()
        statuses = {coordinator: ("active", "coordinator")}
        # The department at the community's heart, plus a few from elsewhere.
        core = [e for e in emails if people[e].department == focus and e != coordinator]
        others = [e for e in emails if e not in core and e not in (coordinator, "admin@example.com", sponsor)]
        for email in core + rng.sample(others, 6 if visibility != "private" else 2):
            statuses.setdefault(email, ("active", "member"))
        if slug == "python-guild":
            statuses["tom.becker@example.com"] = ("active", "member")
        if slug == "data-quality":
            statuses["tom.becker@example.com"] = ("pending", "member")
            statuses["priya.raman@example.com"] = ("active", "coordinator")
            statuses["grace.kim@example.com"] = ("pending", "member")
        if slug == "security-champions":
            statuses.pop("tom.becker@example.com", None)
            statuses["samuel.adeyemi@example.com"] = ("active", "member")
            statuses["noah.williams@example.com"] = ("pending", "member")
        if slug == "m-and-a-integration":
            statuses["tom.becker@example.com"] = ("invited", "member")
        for email, (status, role) in statuses.items():
            joined = now - timedelta(days=rng.randint(1, 180))
            db.session.add(
                Membership(
                    community_id=community.id,
                    user_id=people[email].id,
                    status=status,
                    role=role,
                    guidelines_accepted_at=joined if status in ("active", "pending") else None,
                    joined_at=joined if status == "active" else None,
                    request_message="I work with this every day and would like to learn from you."
                    if status == "pending"
                    else "",
                    invited_by_id=people[coordinator].id if status == "invited" else None,
                    created_at=joined,
                )
            )
        db.session.flush()
        community.member_count = sum(1 for status, _role in statuses.values() if status == "active")
        audit.record(people["admin@example.com"], "community.create", community, community, detail="demo data")
    db.session.commit()
    if _load_discussions(rng):
        created_any = True
    if _load_library():
        created_any = True
    created_any = load_demo_meetings() or created_any
    created_any = load_demo_notifications() or created_any
    created_any = load_demo_objectives() or created_any
    created_any = _load_value_stories() or created_any
    if created_any:  # the writes above kept it already; a rebuild makes sure, in a few bulk statements
        from cop.oversight import voice
        from cop.tags import evidence

        evidence.rebuild(db.session.connection(), commit=False)
        voice.rebuild(db.session.connection())
        db.session.commit()
    return created_any


def _load_value_stories() -> bool:
    """Two value stories in the Python Guild, one confirmed, told through the services."""
    from cop.discussions.models import Thread
    from cop.value import services as value
    from cop.value.models import ValueStory

    if db.session.scalar(select(func.count()).select_from(ValueStory)):
        return False
    community = db.session.scalar(select(Community).where(Community.slug == "python-guild"))
    thread = db.session.scalar(select(Thread).where(Thread.title == "Deploys fail since the base image upgrade"))
    if community is None or thread is None:
        return False
    members = {
        m.user.email: m
        for m in db.session.scalars(
            select(Membership).where(Membership.community_id == community.id, Membership.status == "active")
        )
    }
    teller = members.get("tom.becker@example.com")
    coordinator = next((m.user for m in members.values() if m.role == "coordinator"), None)
    if teller is None or coordinator is None:
        return False
    story = value.record_story(
        teller.user,
        community,
        cycle="realized",
        amount="6",
        unit="hours_saved",
        text="The pinned setuptools tip unblocked our release the same morning: about six "
        "hours of a blocked team saved.",
        subject_kind="thread",
        subject_id=thread.id,
    )
    value.confirm_story(coordinator, story)
    value.record_story(
        teller.user,
        community,
        cycle="applied",
        text="We now pin build tools in every repository's CI, as the guild suggested.",
    )
    return True


# (kind, priority, title, tags, body, replies, index of the accepted first-level reply or None); a reply is
# (its author's e-mail, its text, its own replies).
DISCUSSIONS: dict[str, list[tuple[str, int, str, str, str, list[Any], int | None]]] = {
    "python-guild": [
        (
            "question",
            2,
            "How do you test Flask views without mocking the database?",
            "testing, flask",
            "We keep mocking `db.session` in view tests and the mocks drift from reality. "
            "How do you run view tests against a real database and keep them fast?",
            [
                (
                    "lena.fischer@example.com",
                    "Use a temporary SQLite file per test and `create_all()`; it takes a few "
                    "milliseconds. Run the same suite against PostgreSQL in CI.",
                    [
                        (
                            "tom.becker@example.com",
                            "Do you recreate the schema for every test? That sounds slow.",
                            [
                                (
                                    "lena.fischer@example.com",
                                    "For SQLite yes, it is ~20 ms. For PostgreSQL we drop all "
                                    "tables at the end of each test instead.",
                                    [],
                                )
                            ],
                        )
                    ],
                ),
                (
                    "arjun.nair@example.com",
                    "We use the Flask test client and a small `login_as()` helper. @tom_becker "
                    "I can show you on Thursday.",
                    [],
                ),
            ],
            0,
        ),
        (
            "idea",
            3,
            "A shared pre-commit configuration for all Python repositories",
            "python, tooling",
            "Every team configures ruff and mypy differently. Shall we publish one baseline "
            "configuration in the library?",
            [("kenji.watanabe@example.com", "+1, and pin the versions.", [])],
            None,
        ),
        (
            "problem",
            1,
            "Deploys fail since the base image upgrade",
            "python, deployment",
            "Since Monday, `pip install` fails in CI with a resolver error on the new base image.",
            [("kenji.watanabe@example.com", "Pin `setuptools<80` until the image is fixed.", [])],
            None,
        ),
    ],
    "security-champions": [
        (
            "question",
            2,
            "Threat modelling template for small services?",
            "threat-modeling, security",
            "Is there a lightweight template for services with one or two endpoints?",
            [
                (
                    "samuel.adeyemi@example.com",
                    "STRIDE per data flow on one page works well. I'll add ours to the library.",
                    [],
                )
            ],
            0,
        ),
    ],
    "data-quality": [
        (
            "discussion",
            3,
            "What does 'done' mean for a data set?",
            "data-quality",
            "Share your definition of done for a published data set: tests, docs, owners?",
            [("rahul.mehta@example.com", "Ours: freshness check, row-count check, documented owner.", [])],
            None,
        ),
    ],
    "m-and-a-integration": [
        (
            "problem",
            1,
            "Contract novation backlog for the last acquisition",
            "contracts",
            "We have 40 supplier contracts waiting for novation. Who can help prioritise?",
            [("oliver.smith@example.com", "Start with the ones that renew this quarter.", [])],
            None,
        ),
    ],
    "lean-manufacturing": [
        (
            "idea",
            2,
            "Daily gemba walks on the night shift",
            "lean, safety",
            "Night shifts never see management. Could we rotate a gemba walk once a week?",
            [("marco.rossi@example.com", "Trying it in Turin next month; I will report back.", [])],
            None,
        ),
    ],
}


def _load_discussions(rng) -> bool:
    """Threads with nested replies and an accepted answer, created through the services."""
    from cop.discussions import services as discussions
    from cop.discussions.models import Post, Thread

    if db.session.scalar(select(func.count()).select_from(Thread)):
        return False
    users = {u.email: u for u in db.session.scalars(select(User))}
    for slug, threads in DISCUSSIONS.items():
        community = db.session.execute(select(Community).where(Community.slug == slug)).scalar_one()
        coordinator = db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.community_id == community.id, Membership.role == "coordinator")
            .limit(1)
        ).scalar_one()
        members = [
            m.user
            for m in db.session.scalars(
                select(Membership).where(Membership.community_id == community.id, Membership.status == "active")
            )
        ]
        for kind, priority, title, tags, body, replies, accepted_index in threads:
            author = next((m for m in members if m.email != coordinator.email), coordinator)
            if slug == "python-guild":
                author = users["tom.becker@example.com"]
            thread = discussions.create_thread(
                author, community, title=title, body=body, kind=kind, priority=priority, tags=tags
            )
            first_level: list[Post] = []

            def add(parent, items, into=None, thread=thread, members=members):
                for email, text, children in items:
                    writer = users.get(email)
                    if writer is None or writer not in members:
                        writer = rng.choice(members)
                    post = discussions.reply(writer, thread, parent, text)
                    if into is not None:
                        into.append(post)
                    add(post, children)

            add(thread.opening_post, replies, first_level)
            if accepted_index is not None and first_level:
                discussions.set_accepted(author, thread, first_level[accepted_index])
            age = timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 20))
            for post in db.session.scalars(select(Post).where(Post.thread_id == thread.id)):
                post.created_at -= age
            thread.created_at -= age
            thread.last_activity_at -= age
            if thread.first_reply_at:
                thread.first_reply_at -= age
    db.session.commit()
    return True


REVIEW_CHECKLIST_V1 = """# Code review checklist

- The tests pass, and new code has tests.
- Names say what things are.
- No secrets or customer data in the diff.
"""

REVIEW_CHECKLIST_V2 = """# Code review checklist

- The tests pass, and new code has tests.
- Names say what things are.
- No secrets or customer data in the diff.
- Public functions have a docstring that says what they promise and raise.

Keep reviews under an hour; split larger changes.
"""

PRE_COMMIT_CONFIG = """# Baseline pre-commit configuration for the Python Guild (see the thread in Discussions).
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.9
    hooks:
      - id: ruff
      - id: ruff-format
"""


def _load_library() -> bool:
    """A link, a document with two versions and a small text file in the Python Guild (only into an empty library)."""
    import io

    from cop.discussions import services as discussions
    from cop.discussions.models import Thread
    from cop.library import services as library
    from cop.library.models import Resource

    if db.session.scalar(select(func.count()).select_from(Resource)):
        return False
    community = db.session.scalar(select(Community).where(Community.slug == "python-guild"))
    users = {u.email: u for u in db.session.scalars(select(User))}
    lena, tom = users.get("lena.fischer@example.com"), users.get("tom.becker@example.com")
    if community is None or lena is None or tom is None:
        return False
    link = library.add_link(
        tom,
        community,
        title="pytest documentation",
        url="https://docs.pytest.org/",
        description="The reference for fixtures, parametrize and markers.",
        tags="python, testing",
    )
    checklist = library.add_document(
        lena,
        community,
        title="Code review checklist",
        body=REVIEW_CHECKLIST_V1,
        description="What we check before approving a pull request.",
        tags="python, code-review",
    )
    library.save_document(tom, checklist, body=REVIEW_CHECKLIST_V2, change_note="Docstrings and review length")
    config = library.add_file(
        lena,
        community,
        stream=io.BytesIO(PRE_COMMIT_CONFIG.encode()),
        filename=".pre-commit-config.yaml",
        title="Shared pre-commit configuration",
        description="Ruff lint and format, pinned.",
        tags="python, tooling",
    )
    library.set_featured(lena, checklist, True)
    library.record_use(link)
    thread = db.session.scalar(
        select(Thread).where(Thread.community_id == community.id, Thread.title.like("A shared pre-commit%"))
    )
    if thread is not None and thread.opening_post is not None and not thread.is_locked and thread.status != "closed":
        discussions.reply(lena, thread, thread.opening_post, f"It is in the library now: /r/{config.id}")
    return True


def logins_text() -> str:
    lines = ["Demo logins (password for all: %s):" % DEMO_PASSWORD]
    lines += [f"  {role:<14} {email}" for role, email in LOGINS]
    return "\n".join(lines)
