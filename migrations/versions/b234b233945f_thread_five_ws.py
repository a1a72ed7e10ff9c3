"""thread_five_ws: the optional 5 W's a question or problem was opened with

Revision ID: b234b233945f
Revises: ceee6f4e3187
Create Date: 2026-12-07 04:16:07.907218

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b234b233945f"
down_revision = "ceee6f4e3187"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thread_five_ws",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(length=300), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("happened_when", sa.String(length=300), nullable=False),
        sa.Column("happened_where", sa.String(length=300), nullable=False),
        sa.Column("why", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_five_ws_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_thread_five_ws")),
    )


def downgrade():
    op.drop_table("thread_five_ws")
