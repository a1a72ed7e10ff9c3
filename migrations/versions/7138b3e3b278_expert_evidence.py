"""expert evidence: counts per tag, person, community, kind and month, and each person's bound per tag
(cop.tags.evidence)

The ranking of "People who know #tag" reads the people with the highest bounds (the most their evidence
can be worth from the bound's month on), then their evidence rows
(one primary-key range per person); on SQLite neither table has a rowid, so those ranges hold the
figures too. Both start empty: fill them with ``flask cop experts rebuild`` after upgrading (writes keep
them current from then on).

Revision ID: 7138b3e3b278
Revises: 3b25c097bcb1
Create Date: 2026-12-07 14:09:19.925776

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7138b3e3b278"
down_revision = "3b25c097bcb1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "expert_bounds",
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_expert_bounds_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_expert_bounds_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_id", "user_id", name=op.f("pk_expert_bounds")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("expert_bounds", schema=None) as batch_op:
        batch_op.create_index("ix_expert_bounds_tag_bound", ["tag_id", "bound"], unique=False)

    op.create_table(
        "expert_evidence",
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('accepted', 'helpful', 'resource', 'post')", name=op.f("ck_expert_evidence_kind")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_expert_evidence_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_expert_evidence_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_expert_evidence_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_id", "user_id", "community_id", "kind", "month", name=op.f("pk_expert_evidence")),
        sqlite_with_rowid=False,
    )


def downgrade():
    op.drop_table("expert_evidence")
    with op.batch_alter_table("expert_bounds", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_bounds_tag_bound")

    op.drop_table("expert_bounds")
