"""threads id cover index

Revision ID: 5e1c0a7d9b42
Revises: 7138b3e3b278
Create Date: 2026-12-07 20:40:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1c0a7d9b42"
down_revision = "7138b3e3b278"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_threads_id_cover", ["id", "is_deleted", "community_id", "last_activity_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index("ix_threads_id_cover")
