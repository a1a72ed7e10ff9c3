"""group mappings, directory-managed memberships: directory groups mapped to community roles
(group_mappings; the file COP_GROUP_MAP_FILE holds more), and the group that grants a membership or
sponsorship (memberships.directory_group, community_sponsors.directory_group)

Revision ID: 6e10a43cdcd6
Revises: 1c8d540007f3
Create Date: 2026-12-07 01:07:35.253773

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6e10a43cdcd6"
down_revision = "1c8d540007f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "group_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=255), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('member', 'coordinator', 'sponsor')", name=op.f("ck_group_mappings_role")),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_group_mappings_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_group_mappings_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_mappings")),
        sa.UniqueConstraint(
            "group_name", "community_id", "role", name=op.f("uq_group_mappings_group_name_community_id_role")
        ),
    )
    with op.batch_alter_table("group_mappings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_mappings_community_id"), ["community_id"], unique=False)

    with op.batch_alter_table("community_sponsors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory_group", sa.String(length=255), nullable=True))

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directory_group", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("directory_group")

    with op.batch_alter_table("community_sponsors", schema=None) as batch_op:
        batch_op.drop_column("directory_group")

    with op.batch_alter_table("group_mappings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_mappings_community_id"))

    op.drop_table("group_mappings")
