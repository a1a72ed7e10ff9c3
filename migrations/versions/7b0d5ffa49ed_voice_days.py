"""voice days: the share of voice per tag, community and UTC day (cop.oversight.voice), filled from the
posts; thread_tags indexed by tag with the thread (the threads with several of a community's domain
tags are found from the index alone)

Revision ID: 7b0d5ffa49ed
Revises: c3b7e9a1d254
Create Date: 2026-12-07 23:58:05.319730

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b0d5ffa49ed"
down_revision = "c3b7e9a1d254"
branch_labels = None
depends_on = None

FILL = """
INSERT INTO voice_days (tag_id, community_id, day, label, posts, score)
SELECT tt.tag_id, t.community_id, {day}, COALESCE(p.sentiment_label, ''), COUNT(*),
       SUM(COALESCE(CAST(ROUND(p.sentiment * 10000) AS BIGINT), 0))
FROM posts p JOIN threads t ON t.id = p.thread_id JOIN thread_tags tt ON tt.thread_id = t.id
WHERE p.is_deleted = FALSE AND p.is_hidden = FALSE AND t.is_deleted = FALSE
GROUP BY tt.tag_id, t.community_id, {day}, COALESCE(p.sentiment_label, '')
"""
FILL_EVERY_COMMUNITY = """
INSERT INTO voice_days (tag_id, community_id, day, label, posts, score)
SELECT tag_id, 0, day, label, SUM(posts), SUM(score) FROM voice_days GROUP BY tag_id, day, label
"""


def upgrade():
    op.create_table(
        "voice_days",
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("score", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_voice_days_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tag_id", "community_id", "day", "label", name=op.f("pk_voice_days")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("thread_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_tags_tag_id"))
        batch_op.create_index("ix_thread_tags_tag_thread", ["tag_id", "thread_id"], unique=False)
    day = "date(p.created_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(p.created_at AS DATE)"
    op.execute(FILL.format(day=day))
    op.execute(FILL_EVERY_COMMUNITY)


def downgrade():
    with op.batch_alter_table("thread_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_tags_tag_thread")
        batch_op.create_index(batch_op.f("ix_thread_tags_tag_id"), ["tag_id"], unique=False)
    op.drop_table("voice_days")
