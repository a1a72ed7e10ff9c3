"""posts author created index with id

Revision ID: c3b7e9a1d254
Revises: 8a4d2f6c1e07
Create Date: 2026-12-07 20:55:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c3b7e9a1d254"
down_revision = "8a4d2f6c1e07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_author_created")
        batch_op.create_index("ix_posts_author_created", ["author_id", "created_at", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_author_created")
        batch_op.create_index("ix_posts_author_created", ["author_id", "created_at"], unique=False)
