"""user_expertise: index by tag (experts ranking, directory tag filter)

Revision ID: ead9f075da31
Revises: fb2f84ee6555
Create Date: 2026-12-07 04:59:34.311067

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ead9f075da31"
down_revision = "fb2f84ee6555"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_expertise", schema=None) as batch_op:
        batch_op.create_index("ix_user_expertise_tag_id", ["tag_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_expertise", schema=None) as batch_op:
        batch_op.drop_index("ix_user_expertise_tag_id")
