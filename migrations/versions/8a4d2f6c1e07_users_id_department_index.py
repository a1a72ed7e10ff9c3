"""users id department index

Revision ID: 8a4d2f6c1e07
Revises: 5e1c0a7d9b42
Create Date: 2026-12-07 20:50:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "8a4d2f6c1e07"
down_revision = "5e1c0a7d9b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_id_department", ["id", "department"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_id_department")
