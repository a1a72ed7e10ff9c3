"""Indexes that keep pages from scanning whole tables on the large data set (checked on SQLite's plan)."""

from sqlalchemy import text

from cop.extensions import db
from cop.tags.services import tagged_people_ids


def _plan(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    return " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_a_tags_experts_are_found_through_an_index_not_a_scan(app):
    plan = _plan(tagged_people_ids(7))
    assert "ix_user_expertise_tag_id" in plan and "SCAN user_expertise" not in plan, plan
