"""posts by date covering their thread, visibility and sentiment, on SQLite: the share of voice counts the
posts of the hours outside a period's whole days from the index alone (cop.oversight.voice). PostgreSQL
keeps the plain index (given the covering one, its generic plans scanned every post of a period); each
index is a partial index on a false condition (empty) on the other database.

Revision ID: 6ca69ee38de4
Revises: 7b0d5ffa49ed
Create Date: 2026-12-08 00:28:47.211338

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6ca69ee38de4"
down_revision = "7b0d5ffa49ed"
branch_labels = None
depends_on = None

COLUMNS = ["created_at", "thread_id", "is_deleted", "is_hidden", "sentiment_label", "sentiment"]


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_created_at"))
        batch_op.create_index("ix_posts_created_at", ["created_at"], unique=False, sqlite_where=sa.false())
        batch_op.create_index("ix_posts_created_cover", COLUMNS, unique=False, postgresql_where=sa.false())


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_created_cover")
        batch_op.drop_index("ix_posts_created_at")
        batch_op.create_index(batch_op.f("ix_posts_created_at"), ["created_at"], unique=False)
