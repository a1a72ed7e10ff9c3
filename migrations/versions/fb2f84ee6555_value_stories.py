"""value_stories: value-creation stories (cycle, text, measured result) confirmed by coordinators

Revision ID: fb2f84ee6555
Revises: b234b233945f
Create Date: 2026-12-07 04:24:08.581027

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "fb2f84ee6555"
down_revision = "b234b233945f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "value_stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("custom_unit", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "cycle IN ('immediate', 'potential', 'applied', 'realized', 'reframing')",
            name=op.f("ck_value_stories_cycle"),
        ),
        sa.CheckConstraint(
            "subject_kind IN ('community', 'thread', 'resource', 'event')", name=op.f("ck_value_stories_subject_kind")
        ),
        sa.CheckConstraint(
            "unit IS NULL OR unit IN ('hours_saved', 'cost_avoided', 'incidents_avoided', 'revenue', 'custom')",
            name=op.f("ck_value_stories_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_value_stories_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_value_stories_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_value_stories_confirmed_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_value_stories_event_id_events"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_value_stories_resource_id_resources"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_value_stories_thread_id_threads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_stories")),
    )
    with op.batch_alter_table("value_stories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_value_stories_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_value_stories_community_created", ["community_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_value_stories_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_value_stories_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_value_stories_thread_id"), ["thread_id"], unique=False)


def downgrade():
    with op.batch_alter_table("value_stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_value_stories_thread_id"))
        batch_op.drop_index(batch_op.f("ix_value_stories_resource_id"))
        batch_op.drop_index(batch_op.f("ix_value_stories_event_id"))
        batch_op.drop_index("ix_value_stories_community_created")
        batch_op.drop_index(batch_op.f("ix_value_stories_author_id"))

    op.drop_table("value_stories")
