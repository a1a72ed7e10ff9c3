"""Synthetic but realistic data, written with bulk inserts (SQLAlchemy Core, many rows per statement).

``load(size, seed)`` fills an empty database: people in departments,
communities with domains, tags and sponsors, memberships in every state,
threads with reply trees and accepted answers, library resources with
versions, meetings with answers, and a search log, all spread over two years.
Every denormalised column the app relies on is set as the services would set
it: ``Thread.reply_count / first_reply_at / last_activity_at /
opening_post_id / accepted_post_id``, ``Post.path / depth`` (as
``discussions.services._set_path`` builds them), ``Community.member_count``,
``Resource.latest_version``.

Rows go in through Core ``insert()``, so the ORM's ``after_flush`` search hook
never fires and no outbox rows are written: the index is built afterwards in
one pass (``cop.search.index.rebuild``). Ids are assigned here (a post's path
is made of ids); on PostgreSQL the sequences are moved past them at the end.
"""

import bisect
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, text, update
from werkzeug.security import generate_password_hash

from cop.accounts.models import User, user_expertise
from cop.communities.models import (
    Community,
    Membership,
    bump_visibility_version,
    community_domain_tags,
    community_sponsors,
)
from cop.discussions import sentiment
from cop.discussions.models import MAX_DEPTH, PATH_STEP, Post, Thread, thread_tags
from cop.events.models import Event, Rsvp
from cop.extensions import db, utcnow
from cop.library.models import Resource, ResourceVersion, resource_tags
from cop.search.models import SearchLog
from cop.seed.text import TextGenerator, paragraphs_html, paragraphs_markdown
from cop.tags.models import Tag

# Every seeded account has this password (one hash, computed once: hashing 20,000 would take minutes).
SEED_PASSWORD = "seeded-password-1"
ADMIN_EMAIL = "admin@example.com"
SPAN = timedelta(days=730)
BATCH = 5000


@dataclass(frozen=True)
class Size:
    users: int
    communities: int
    threads: int
    posts: int
    resources: int
    events: int
    search_logs: int
    tags: int


SIZES = {
    "small": Size(
        users=150, communities=8, threads=250, posts=3_000, resources=100, events=40, search_logs=400, tags=40
    ),
    "medium": Size(
        users=2_000,
        communities=100,
        threads=10_000,
        posts=100_000,
        resources=5_000,
        events=1_000,
        search_logs=20_000,
        tags=200,
    ),
    "large": Size(
        users=20_000,
        communities=1_000,
        threads=100_000,
        posts=1_000_000,
        resources=50_000,
        events=10_000,
        search_logs=200_000,
        tags=600,
    ),
}

# Always present, whatever the size: the benchmark's long threads.
SHOWCASE_REPLIES = (50, 500)

FIRST_NAMES = """Ada Adam Aisha Alex Amara Ana Andrea Anna Arjun Ben Camille Carlos Chen Chloe Daniel Diego Elena
Emma Fatima Felix Grace Hannah Hiro Ingrid Isabel James Jana Jonas Julia Kenji Lars Lena Leo Lucas Maria Marco
Maya Mei Mohammed Nadia Noah Olga Oliver Omar Priya Rahul Rosa Samuel Sara Sofia Tom Victor Wei Yuki Zanele""".split()
LAST_NAMES = """Adeyemi Alvarez Becker Carter Chen Costa Dlamini Dubois Fischer Garcia Hansen Ivanova Johansson
Kim Khan Kowalski Larsen Lopez Martin Mehta Moreau Nair Novak Nwosu Okafor Petrov Popescu Raman Rossi Santos
Schmidt Silva Smith Tanaka Watanabe Weber Williams Yilmaz Zahra Nakamura Haddad Eriksson Murphy Bianchi""".split()
DEPARTMENTS = [
    "Engineering",
    "Data Science",
    "IT Operations",
    "Security",
    "Product",
    "Design",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Human Resources",
    "Manufacturing",
    "Quality",
    "Logistics",
    "Customer Support",
    "Research",
    "Sustainability",
    "Procurement",
]
TITLES = [
    "Engineer",
    "Senior Engineer",
    "Analyst",
    "Specialist",
    "Manager",
    "Lead",
    "Consultant",
    "Architect",
    "Coordinator",
    "Scientist",
    "Associate",
    "Principal",
]
SPONSOR_TITLES = ["Director", "Vice President", "Head of Department", "Chief Officer"]
LOCATIONS = [
    "London",
    "Berlin",
    "Paris",
    "Madrid",
    "Lisbon",
    "Dublin",
    "Stockholm",
    "Warsaw",
    "New York",
    "Toronto",
    "Mexico City",
    "São Paulo",
    "Lagos",
    "Johannesburg",
    "Dubai",
    "Bangalore",
    "Pune",
    "Singapore",
    "Shenzhen",
    "Tokyo",
    "Seoul",
    "Sydney",
]
TAG_NAMES = """python java javascript kubernetes security privacy gdpr testing test-automation architecture
data-quality machine-learning statistics sql spark cloud networking observability accessibility design-systems
user-research lean six-sigma safety forecasting excel ifrs contracts compliance onboarding coaching leadership
agile scrum product-discovery roadmaps customer-experience troubleshooting sustainability carbon-accounting
esg procurement logistics writing seo negotiation enterprise-sales api devops incident-management
documentation""".split()
COMMUNITY_SUFFIXES = [
    "Guild",
    "Circle",
    "Network",
    "Community of Practice",
    "Forum",
    "Chapter",
    "Collective",
    "Working Group",
]
KIND_WEIGHTS = (("question", 40), ("discussion", 28), ("problem", 12), ("idea", 15), ("announcement", 5))
STAGE_CHOICES = ("potential", "coalescing", "maturing", "maturing", "stewardship", "transformation")
MEMBER_STATES = (("active", 88), ("left", 4), ("pending", 3), ("invited", 2), ("declined", 2), ("removed", 1))


class SeedError(Exception):
    """The seed cannot run (a non-empty database without ``force``)."""


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


class Loader:
    def __init__(self, size: Size, seed: int = 1, echo=print, progress=None):
        self.size = size
        self.rng = random.Random(seed)
        self.text = TextGenerator(random.Random(seed + 1))
        self.echo = echo
        self.progress = progress  # progress(label, total) -> context manager with .update(n)
        # Midnight UTC today: the same seed on the same day gives the same timestamps too.
        self.now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = self.now - SPAN
        self._conn: Connection | None = None
        self.timings: dict[str, float] = {}

    @property
    def conn(self) -> Connection:
        """The connection ``run`` loads through. :raise RuntimeError: before ``run``."""
        if self._conn is None:
            raise RuntimeError("Loader.run(connection) has not started")
        return self._conn

    # --- plumbing ----------------------------------------------------------------------

    def insert(self, table, rows):
        table = getattr(table, "__table__", table)
        for start in range(0, len(rows), BATCH):
            self.conn.execute(table.insert(), rows[start : start + BATCH])

    def commit(self):
        self.conn.commit()

    def _time(self, label, started):
        self.timings[label] = time.perf_counter() - started
        self.echo(f"  {label}: {self.timings[label]:.1f} s")

    def _at(self, low: datetime, high: datetime) -> datetime:
        if high <= low:
            return low
        return low + timedelta(seconds=self.rng.randrange(int((high - low).total_seconds()) or 1))

    def _body(self, n_words=None):
        paragraphs = self.text.paragraphs(n_words or self.text.post_length())
        return paragraphs_markdown(paragraphs), paragraphs_html(paragraphs)

    # --- the whole load --------------------------------------------------------------------

    def run(self, connection: Connection) -> dict[str, float]:
        self._conn = connection
        for step in (
            self.load_tags,
            self.load_users,
            self.load_communities,
            self.load_memberships,
            self.load_threads,
            self.load_resources,
            self.load_expert_evidence,
            self.load_voice_days,
            self.load_events,
            self.load_search_logs,
        ):
            started = time.perf_counter()
            step()
            self.commit()
            self._time(step.__name__.replace("load_", ""), started)
        self.fix_sequences()
        self.commit()
        return self.timings

    def load_tags(self):
        names = list(TAG_NAMES)
        for word in self.text.content:
            if len(names) >= self.size.tags:
                break
            if word.isalpha() and word not in names:
                names.append(word)
        names = names[: self.size.tags]
        self.tag_names = names
        self.tag_ids = list(range(1, len(names) + 1))
        # Zipf popularity: a few tags are everywhere, most are rare.
        self.tag_weights = [1.0 / (i + 1) for i in range(len(names))]
        self.insert(Tag, [{"id": i, "name": n} for i, n in zip(self.tag_ids, names)])

    def _some_tags(self, k):
        return set(self.rng.choices(self.tag_ids, weights=self.tag_weights, k=k))

    def load_users(self):
        rng, size = self.rng, self.size
        password_hash = generate_password_hash(SEED_PASSWORD)
        rows, expertise = [], []
        n_sponsors = max(2, size.communities // 6)
        self.sponsor_ids = list(range(2, 2 + n_sponsors))
        used_handles = set()
        for uid in range(1, size.users + 1):
            if uid == 1:
                first, last, email, handle = "Ada", "Admin", ADMIN_EMAIL, "admin"
            else:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                handle = f"{first}.{last}".lower()
                if handle in used_handles:
                    handle = f"{handle}{uid}"
                email = f"{handle}@example.com"
            used_handles.add(handle)
            department = rng.choice(DEPARTMENTS)
            title = rng.choice(SPONSOR_TITLES) + ", " + department if uid in self.sponsor_ids else rng.choice(TITLES)
            bio = " ".join(self.text.paragraphs(rng.randint(20, 40))) if rng.random() < 0.3 else ""
            rows.append(
                {
                    "id": uid,
                    "email": email,
                    "handle": handle[:40],
                    "display_name": f"{first} {last}",
                    "password_hash": password_hash,
                    "is_admin": uid == 1,
                    "is_disabled": rng.random() < 0.01 and uid > 1 and uid not in self.sponsor_ids,
                    "session_token": "%032x" % rng.getrandbits(128),
                    "title": title,
                    "department": department,
                    "location": rng.choice(LOCATIONS),
                    "bio_md": bio,
                    "bio_html": f"<p>{bio}</p>" if bio else "",
                    "feed_token": "%048x" % rng.getrandbits(192),
                    "created_at": self._at(self.start - timedelta(days=60), self.now - timedelta(days=30)),
                    "last_login_at": self._at(self.now - timedelta(days=60), self.now),
                }
            )
            for tag_id in self._some_tags(rng.randint(0, 3)):
                expertise.append({"user_id": uid, "tag_id": tag_id})
        self.user_created = {r["id"]: r["created_at"] for r in rows}
        self.disabled = {r["id"] for r in rows if r["is_disabled"]}
        self.insert(User, rows)
        self.insert(user_expertise, expertise)

    def load_communities(self):
        rng, size = self.rng, self.size
        rows, domain_tags, sponsors, used = [], [], [], set()
        self.communities = []
        for cid in range(1, size.communities + 1):
            tag_ids = self._some_tags(rng.randint(1, 4))
            topic = self.tag_names[min(tag_ids) - 1].replace("-", " ").title()
            name = f"{topic} {rng.choice(COMMUNITY_SUFFIXES)}"
            slug = base = "-".join(name.lower().split())[:50]
            n = 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            visibility = _weighted(rng, (("open", 75), ("restricted", 18), ("private", 7)))
            if cid == 1:
                visibility = "open"  # the largest community, shown in the benchmark, is open
            domain = (
                f"How we do {topic.lower()} well across the company: "
                + " ".join(self.text.paragraphs(rng.randint(12, 25)))
            )[:500]
            charter = self.text.paragraphs(rng.randint(40, 90))
            guidelines = [
                "Be kind and assume good intent.",
                "Search before you ask.",
                "Share what you learn, including what did not work.",
            ]
            created = (
                self._at(self.start, self.start + timedelta(days=240))
                if cid > size.communities // 10
                else self.start + timedelta(days=rng.randint(0, 10))
            )
            rows.append(
                {
                    "id": cid,
                    "slug": slug,
                    "name": name,
                    "domain": domain,
                    "charter_md": paragraphs_markdown(charter),
                    "charter_html": paragraphs_html(charter),
                    "guidelines_md": "\n".join(f"- {g}" for g in guidelines),
                    "guidelines_html": "<ul>\n" + "\n".join(f"<li>{g}</li>" for g in guidelines) + "\n</ul>",
                    "visibility": visibility,
                    "stage": rng.choice(STAGE_CHOICES),
                    "member_count": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            domain_tags += [{"community_id": cid, "tag_id": t} for t in tag_ids]
            for sponsor in {rng.choice(self.sponsor_ids) for _ in range(1 if rng.random() < 0.8 else 2)}:
                sponsors.append({"community_id": cid, "user_id": sponsor})
            self.communities.append(
                {"id": cid, "created_at": created, "tags": sorted(tag_ids), "visibility": visibility}
            )
        self.insert(Community, rows)
        self.insert(community_domain_tags, domain_tags)
        self.insert(community_sponsors, sponsors)
        bump_visibility_version(self.conn)  # running workers read the new communities' visibility

    def load_memberships(self):
        """Zipf community sizes; coordinators are the founders; member_count counts the active ones."""
        rng, size = self.rng, self.size
        weights = [1.0 / (rank**0.9) for rank in range(1, size.communities + 1)]
        total = size.users * (5 if size.communities >= 100 else 2.5)  # memberships per person, on average
        scale = total / sum(weights)
        candidates = [u for u in range(2, size.users + 1) if u not in self.disabled]
        rows, counts = [], []
        mid = 1
        # The largest community holds at most this share of everyone (a small company's, more).
        cap = 0.35 if size.communities >= 100 else 0.75
        for community, weight in zip(self.communities, weights):
            n = max(6, min(int(weight * scale), int(len(candidates) * cap)))
            people = rng.sample(candidates, n)
            created = community["created_at"]
            members = []  # (joined_at, user_id) of active members
            coordinators = people[: rng.randint(1, 3)]
            active = 0
            for uid in people:
                is_coordinator = uid in coordinators
                status = "active" if is_coordinator else _weighted(rng, MEMBER_STATES)
                if is_coordinator:
                    joined = created
                else:
                    joined = min(self.now - timedelta(hours=1), created + timedelta(days=rng.expovariate(1 / 150)))
                row = {
                    "id": mid,
                    "community_id": community["id"],
                    "user_id": uid,
                    "status": status,
                    "role": "coordinator" if is_coordinator else "member",
                    "guidelines_accepted_at": joined if status in ("active", "left", "removed", "pending") else None,
                    "request_message": "I would like to learn from you." if status == "pending" else "",
                    "decision_message": "",
                    "invited_by_id": coordinators[0] if status == "invited" else None,
                    "decided_by_id": coordinators[0] if status in ("declined", "removed") else None,
                    "created_at": joined,
                    "updated_at": joined,
                    "joined_at": joined if status in ("active", "left", "removed") else None,
                }
                rows.append(row)
                mid += 1
                if status == "active":
                    active += 1
                    members.append((joined, uid))
            members.sort()
            community["members"] = [uid for _j, uid in members]
            community["joined"] = [j for j, _uid in members]
            community["coordinators"] = coordinators
            community["member_count"] = active
            counts.append({"cid": community["id"], "n": active})
        self.insert(Membership, rows)
        self.conn.execute(
            update(Community.__table__).where(Community.__table__.c.id == _bind("cid")).values(member_count=_bind("n")),
            counts,
        )

    def _author(self, community, when):
        """An active member who had joined by ``when`` (early joiners write more)."""
        k = bisect.bisect_right(community["joined"], when)
        if k == 0:
            return community["coordinators"][0]
        return community["members"][int(k * self.rng.random() ** 1.6)]

    def load_threads(self):
        """Threads in batches: thread rows, their posts (tree paths from ids), then the post pointers."""
        rng, size = self.rng, self.size
        weights = [max(1, c["member_count"]) ** 0.9 for c in self.communities]
        homes = rng.choices(self.communities, weights=weights, k=size.threads)
        replies_total = size.posts - size.threads - sum(SHOWCASE_REPLIES)
        raw = [rng.lognormvariate(0, 1.1) for _ in range(size.threads)]
        scale = replies_total / sum(raw)
        reply_counts = [min(400, int(r * scale + rng.random())) for r in raw]
        for i, n in enumerate(SHOWCASE_REPLIES):
            homes[i] = self.communities[0]
            reply_counts[i] = n
        self.thread_homes = {}
        post_id = 0
        thread_batch = 2000
        bar = self.progress("Threads and posts", size.threads) if self.progress else None
        kinds = [k for k, _w in KIND_WEIGHTS]
        kind_weights = [w for _k, w in KIND_WEIGHTS]
        for start in range(0, size.threads, thread_batch):
            threads, posts, pointers, tags = [], [], [], []
            for index in range(start, min(size.threads, start + thread_batch)):
                tid = index + 1
                community = homes[index]
                self.thread_homes[tid] = community["id"]
                n_replies = reply_counts[index]
                created = self._at(community["created_at"] + timedelta(days=1), self.now - timedelta(hours=2))
                if index < len(SHOWCASE_REPLIES):
                    created = self.now - timedelta(days=40 + index)
                kind = rng.choices(kinds, weights=kind_weights)[0]
                author = (
                    rng.choice(community["coordinators"])
                    if kind == "announcement"
                    else self._author(community, created)
                )
                title = self.text.title()
                post_id += 1
                opening_id = post_id
                md, html = self._body()
                opening_path = str(opening_id).zfill(PATH_STEP)
                mood, mood_label = sentiment.score(md)
                posts.append(
                    {
                        "id": opening_id,
                        "thread_id": tid,
                        "author_id": author,
                        "parent_id": None,
                        "path": opening_path,
                        "depth": 0,
                        "body_md": md,
                        "body_html": html,
                        "created_at": created,
                        "edited_at": None,
                        "is_deleted": False,
                        "is_hidden": False,
                        "sentiment": mood,
                        "sentiment_label": mood_label,
                    }
                )
                replies: list[tuple[int, str, int, int]] = []  # (id, path, depth, author)
                when = created
                first_reply_at = None
                for _ in range(n_replies):
                    when = min(
                        self.now - timedelta(minutes=1),
                        when + timedelta(minutes=rng.expovariate(1 / (60 * 18 if n_replies > 30 else 60 * 9))),
                    )
                    post_id += 1
                    if not replies or rng.random() < 0.45:
                        parent_id, parent_path, parent_depth = opening_id, opening_path, 0
                    else:
                        back = min(len(replies) - 1, int(rng.expovariate(0.35)))
                        parent_id, parent_path, parent_depth, _a = replies[-1 - back]
                    own = str(post_id).zfill(PATH_STEP)
                    if parent_depth < MAX_DEPTH:
                        path, depth = f"{parent_path}.{own}", parent_depth + 1
                    else:
                        path, depth = f"{parent_path.rsplit('.', 1)[0]}.{own}", parent_depth
                    replier = self._author(community, when)
                    if replier == author and rng.random() < 0.7 and len(community["members"]) > 1:
                        replier = self._author(community, when)
                    md, html = self._body()
                    mood, mood_label = sentiment.score(md)
                    hidden = rng.random() < 0.002
                    deleted = not hidden and rng.random() < 0.003
                    posts.append(
                        {
                            "id": post_id,
                            "thread_id": tid,
                            "author_id": replier,
                            "parent_id": parent_id,
                            "path": path,
                            "depth": depth,
                            "body_md": md,
                            "body_html": html,
                            "created_at": when,
                            "edited_at": None,
                            "is_deleted": deleted,
                            "is_hidden": hidden,
                            "sentiment": mood,
                            "sentiment_label": mood_label,
                        }
                    )
                    replies.append((post_id, path, depth, replier))
                    if first_reply_at is None and replier != author:
                        first_reply_at = when
                status, accepted = "open", None
                if kind == "question" and replies and rng.random() < 0.55:
                    answers = [r[0] for r in replies if r[3] != author] or [r[0] for r in replies]
                    accepted = rng.choice(answers[:8])
                    hidden_or_deleted = {p["id"] for p in posts[-len(replies) :] if p["is_hidden"] or p["is_deleted"]}
                    if accepted in hidden_or_deleted:
                        accepted = None
                    else:
                        status = "answered"
                if rng.random() < 0.05:
                    status = "closed"
                threads.append(
                    {
                        "id": tid,
                        "community_id": community["id"],
                        "author_id": author,
                        "title": title,
                        "kind": kind,
                        "priority": rng.choices((1, 2, 3), weights=(1, 3, 8))[0],
                        "status": status,
                        "is_pinned": rng.random() < 0.01,
                        "is_locked": rng.random() < 0.005,
                        "is_deleted": False,
                        "created_at": created,
                        "last_activity_at": when,
                        "reply_count": n_replies,
                        "first_reply_at": first_reply_at,
                        "opening_post_id": None,
                        "accepted_post_id": None,
                    }
                )
                pointers.append({"tid": tid, "opening": opening_id, "accepted": accepted})
                pool = community["tags"]
                chosen = set()
                for _ in range(rng.choices((0, 1, 2, 3), weights=(2, 4, 3, 2))[0]):
                    chosen.add(rng.choice(pool) if rng.random() < 0.7 else self._some_tags(1).pop())
                tags += [{"thread_id": tid, "tag_id": t} for t in chosen]
            self.insert(Thread, threads)
            self.insert(Post, posts)
            table = Thread.__table__
            self.conn.execute(
                update(table)
                .where(table.c.id == _bind("tid"))
                .values(opening_post_id=_bind("opening"), accepted_post_id=_bind("accepted")),
                pointers,
            )
            self.insert(thread_tags, tags)
            self.commit()
            if bar:
                bar.update(len(threads))
        if bar:
            bar.finish()
        self.posts_written = post_id

    def load_resources(self):
        rng, size = self.rng, self.size
        weights = [max(1, c["member_count"]) ** 0.9 for c in self.communities]
        homes = rng.choices(self.communities, weights=weights, k=size.resources)
        resources, versions, tags = [], [], []
        vid = 0
        for index, community in enumerate(homes):
            rid = index + 1
            created = self._at(community["created_at"] + timedelta(days=1), self.now - timedelta(hours=2))
            author = self._author(community, created)
            kind = "document" if rng.random() < 0.55 else "link"
            description = self.text.paragraphs(rng.randint(20, 60))
            latest, updated = 0, created
            if kind == "document":
                latest = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
                when = created
                for number in range(1, latest + 1):
                    vid += 1
                    md, html = self._body(rng.randint(100, 400))
                    versions.append(
                        {
                            "id": vid,
                            "resource_id": rid,
                            "number": number,
                            "author_id": author if number == 1 else self._author(community, when),
                            "created_at": when,
                            "change_note": "First version" if number == 1 else "Updated",
                            "sha256": None,
                            "size": None,
                            "original_filename": None,
                            "mime_type": None,
                            "has_text": False,
                            "text_content": None,
                            "body_md": md,
                            "body_html": html,
                        }
                    )
                    updated = when
                    when = min(self.now, when + timedelta(days=rng.expovariate(1 / 30)))
            resources.append(
                {
                    "id": rid,
                    "community_id": community["id"],
                    "kind": kind,
                    "title": self.text.title(),
                    "description_md": paragraphs_markdown(description),
                    "description_html": paragraphs_html(description),
                    "url": f"https://intranet.example.com/{self.text.content_words(1)[0]}/{rid}"
                    if kind == "link"
                    else None,
                    "author_id": author,
                    "created_at": created,
                    "updated_at": updated,
                    "is_featured": rng.random() < 0.03,
                    "is_deleted": rng.random() < 0.01,
                    "use_count": int(rng.paretovariate(1.2)) - 1,
                    "latest_version": latest,
                }
            )
            tags += [
                {"resource_id": rid, "tag_id": t}
                for t in {rng.choice(community["tags"]) for _ in range(rng.randint(0, 2))}
            ]
            if len(resources) >= BATCH:
                self._flush_resources(resources, versions, tags)
                resources, versions, tags = [], [], []
        self._flush_resources(resources, versions, tags)

    def _flush_resources(self, resources, versions, tags):
        self.insert(Resource, resources)
        self.insert(ResourceVersion, versions)
        self.insert(resource_tags, tags)

    def load_expert_evidence(self):
        """The experts' evidence table from the threads and resources just written (the ORM hooks that keep
        it current never see Core inserts): the rebuild's INSERT ... SELECT, a chunk of tags at a time."""
        from cop.tags import evidence

        bar = self.progress("Expert evidence", self.size.tags) if self.progress else None
        evidence.rebuild(self.conn, chunk=50, progress=bar.update if bar else None)
        if bar:
            bar.finish()

    def load_voice_days(self):
        """The share of voice per tag and day (``cop.oversight.voice``), from the posts just written."""
        from cop.oversight import voice

        voice.rebuild(self.conn)

    def load_events(self):
        rng, size = self.rng, self.size
        weights = [max(1, c["member_count"]) ** 0.8 for c in self.communities]
        homes = rng.choices(self.communities, weights=weights, k=size.events)
        events, rsvps = [], []
        for index, community in enumerate(homes):
            eid = index + 1
            starts = self._at(community["created_at"] + timedelta(days=7), self.now + timedelta(days=60))
            starts = starts.replace(minute=0, second=0)
            agenda = self.text.paragraphs(rng.randint(20, 50))
            events.append(
                {
                    "id": eid,
                    "community_id": community["id"],
                    "organiser_id": rng.choice(community["coordinators"]),
                    "title": f"{rng.choice(('Monthly call', 'Show and tell', 'Workshop', 'Lunch and learn'))}: "
                    f"{self.text.title()}"[:200],
                    "agenda_md": paragraphs_markdown(agenda),
                    "agenda_html": paragraphs_html(agenda),
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=rng.choice((30, 60, 90))),
                    "timezone": "UTC",
                    "location": rng.choice(LOCATIONS),
                    "meeting_url": "",
                    "notes_md": "",
                    "notes_html": "",
                    "notes_updated_at": None,
                    "is_cancelled": rng.random() < 0.03,
                    "sequence": 0,
                    "created_at": starts - timedelta(days=rng.randint(3, 30)),
                    "updated_at": starts - timedelta(days=2),
                }
            )
            members = community["members"]
            for uid in rng.sample(members, min(len(members), rng.randint(0, 25))):
                rsvps.append(
                    {
                        "event_id": eid,
                        "user_id": uid,
                        "response": rng.choices(("yes", "maybe", "no"), weights=(6, 2, 2))[0],
                        "updated_at": starts - timedelta(days=1),
                    }
                )
        self.insert(Event, events)
        self.insert(Rsvp, rsvps)

    def load_search_logs(self):
        rng, size = self.rng, self.size
        rows = []
        for lid in range(1, size.search_logs + 1):
            words = " ".join(self.text.content_words(rng.randint(1, 3)))
            scoped = rng.random() < 0.4
            community = rng.choice(self.communities) if scoped else None
            zero = rng.random() < 0.08
            when = self._at(self.start, self.now)
            rows.append(
                {
                    "id": lid,
                    "user_id": rng.randint(1, size.users),
                    "query": words,
                    "normalized_query": words.lower(),
                    "community_id": community["id"] if community else None,
                    "result_count": 0 if zero else int(rng.paretovariate(0.8)),
                    "created_at": when,
                    "closed_at": when + timedelta(days=3) if zero and rng.random() < 0.2 else None,
                }
            )
            if len(rows) >= BATCH:
                self.insert(SearchLog, rows)
                rows = []
        self.insert(SearchLog, rows)

    def fix_sequences(self):
        """PostgreSQL: move every serial sequence past the ids written here."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                sequence = self.conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
                if sequence:
                    self.conn.execute(
                        text(
                            f"SELECT setval('{sequence}', COALESCE((SELECT max(id) FROM "
                            f'"{table.name}"), 0) + 1, false)'
                        )
                    )


def _bind(name):
    from sqlalchemy import bindparam

    return bindparam(name)


def is_empty(connection) -> bool:
    return not connection.scalar(select(func.count()).select_from(User.__table__))


def wipe(connection) -> None:
    """Delete every row of every table (``--force``)."""
    tables = db.metadata.sorted_tables
    if connection.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        for table in reversed(tables):
            connection.execute(table.delete())
        connection.commit()
        connection.execute(text("PRAGMA foreign_keys=ON"))
    connection.commit()


def load(size: str = "small", seed: int = 1, force: bool = False, echo=print, progress=None) -> dict:
    """Fill the database with the ``size`` data set; the seconds each part took.

    :raise SeedError: the database already has accounts and ``force`` is not set.
    """
    spec = SIZES[size]
    with db.engine.connect() as connection:
        if not is_empty(connection):
            if not force:
                raise SeedError(
                    "The database is not empty. Seed an empty database, or pass --force to delete every row first."
                )
            wipe(connection)
        if connection.dialect.name == "sqlite":
            # Bulk load: the file is worthless if the machine dies halfway anyway.
            connection.execute(text("PRAGMA synchronous=OFF"))
            connection.execute(text("PRAGMA cache_size=-200000"))
        loader = Loader(spec, seed=seed, echo=echo, progress=progress)
        timings = loader.run(connection)
        if connection.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))
            connection.commit()
    if db.engine.dialect.name == "postgresql":
        # VACUUM as well: a bulk-loaded table has no visibility map yet, so every index-only scan
        # (counts, covering indexes) would visit the heap until autovacuum came round — which a
        # database in steady use has long done.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return timings
