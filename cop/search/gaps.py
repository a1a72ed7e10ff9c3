"""The search log, and the knowledge gaps read from it (scoped searches that found nothing)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, func, select, update

from cop.extensions import db, utcnow
from cop.search.models import SearchLog
from cop.search.query import MAX_QUERY_CHARS, normalize_query

GAP_WINDOW = timedelta(days=90)


def record_search(user, text: str, community, result_count: int) -> None:
    """Log one search (who, what, where, how many results); commits."""
    db.session.add(
        SearchLog(
            user_id=getattr(user, "id", None),
            query=" ".join(text.split())[:MAX_QUERY_CHARS],
            normalized_query=normalize_query(text),
            community_id=community.id if community else None,
            result_count=result_count,
        )
    )
    db.session.commit()


@dataclass
class KnowledgeGap:
    query: str
    times: int
    last_asked: object


def knowledge_gaps(community, limit: int = 10) -> list[KnowledgeGap]:
    """Recent searches scoped to ``community`` that found nothing and nobody has answered yet."""
    last = func.max(SearchLog.created_at)
    rows = db.session.execute(
        select(SearchLog.normalized_query, func.count(), last)
        .where(
            SearchLog.community_id == community.id,
            SearchLog.result_count == 0,
            SearchLog.closed_at.is_(None),
            SearchLog.created_at >= utcnow() - GAP_WINDOW,
        )
        .group_by(SearchLog.normalized_query)
        .order_by(last.desc())
        .limit(limit)
    )
    return [KnowledgeGap(query, times, when) for query, times, when in rows]


def close_gap(community, text: str) -> int:
    """Mark a knowledge gap of ``community`` answered (every log row for that query); commits; rows closed."""
    normalized = normalize_query(text)
    if not normalized:
        return 0
    result = cast(
        CursorResult,
        db.session.execute(
            update(SearchLog)
            .where(
                SearchLog.community_id == community.id,
                SearchLog.normalized_query == normalized,
                SearchLog.closed_at.is_(None),
            )
            .values(closed_at=utcnow())
        ),
    )
    db.session.commit()
    return result.rowcount or 0
