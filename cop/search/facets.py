"""Facets: the counts an engine made over the permitted matches, named from the database."""

import heapq
from dataclasses import dataclass, field

from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions.models import KIND_LABELS, STATUSES
from cop.extensions import db
from cop.library.models import KIND_LABELS as RESOURCE_KIND_LABELS
from cop.search.query import DATE_RANGES, TYPE_LABELS

FACET_NAMES = ("type", "community", "tag", "author", "date", "kind", "status")
FACET_COMMUNITIES = 15  # communities listed in the community facet (the busiest)
FACET_AUTHORS = 10  # authors listed (the most prolific in the matches)
FACET_TAGS = 15  # tags listed
# How many values of each many-valued facet the page lists: an engine may count only these many (with a
# margin for ties and for values dropped when named) instead of every value of every match.
FACET_SHOWN = {"community": FACET_COMMUNITIES, "author": FACET_AUTHORS, "tag": FACET_TAGS}


@dataclass
class Facet:
    name: str
    label: str
    options: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)


def _facets(all_counts: dict[str, dict]) -> list[Facet]:
    """Facet options with counts, named from the database (only values present in permitted hits)."""

    def counts(name):
        return {k: v for k, v in all_counts.get(name, {}).items() if k not in (None, "")}

    type_counts = counts("type")
    community_counts = counts("community")
    author_counts = counts("author")
    # Names for the communities shown only (a common word is in hundreds of them).
    top_communities = sorted(
        ((k, n) for k, n in community_counts.items() if str(k).isdigit()), key=lambda kv: (-kv[1], int(kv[0]))
    )[:FACET_COMMUNITIES]
    community_names = (
        {
            i: (slug, name)
            for i, slug, name in db.session.execute(
                select(Community.id, Community.slug, Community.name).where(
                    Community.id.in_([int(i) for i, _n in top_communities])
                )
            )
        }
        if top_communities
        else {}
    )
    top_authors = heapq.nsmallest(FACET_AUTHORS, author_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    author_names: dict[int, str] = (
        {
            i: name
            for i, name in db.session.execute(
                select(User.id, User.display_name).where(
                    User.id.in_([int(i) for i, _ in top_authors if str(i).isdigit()])
                )
            )
        }
        if top_authors
        else {}
    )

    def options(values, label):
        return [(str(k), label(k), n) for k, n in sorted(values, key=lambda kv: (-kv[1], str(kv[0])))]

    labels = {**KIND_LABELS, **{f"{k}": v for k, v in RESOURCE_KIND_LABELS.items()}}
    date_counts = counts("date")
    facets = [
        Facet("type", "Type", options(type_counts.items(), lambda k: TYPE_LABELS.get(k, k))),
        Facet(
            "community",
            "Community",
            [(*community_names[int(k)], n) for k, n in top_communities if int(k) in community_names],
        ),
        Facet(
            "tag",
            "Tag",
            [
                (str(k), str(k), n)
                for k, n in heapq.nsmallest(FACET_TAGS, counts("tag").items(), key=lambda kv: (-kv[1], str(kv[0])))
            ],
        ),
        Facet(
            "author",
            "Author",
            [(str(k), author_names[int(k)], n) for k, n in top_authors if str(k).isdigit() and int(k) in author_names],
        ),
        Facet(
            "date", "Date", [(k, label, date_counts[k]) for k, (label, _d) in DATE_RANGES.items() if date_counts.get(k)]
        ),
        Facet("kind", "Kind", options(counts("kind").items(), lambda k: labels.get(k, k))),
        Facet(
            "status",
            "Thread status",
            options([(k, v) for k, v in counts("status").items() if k in STATUSES], lambda k: k.title()),
        ),
    ]
    return [f for f in facets if f.options]
