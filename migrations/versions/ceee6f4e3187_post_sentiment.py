"""post sentiment: VADER compound score and label per post (NULL until scored; `flask cop sentiment backfill`)

Revision ID: ceee6f4e3187
Revises: 2eb222392e68
Create Date: 2026-12-07 04:07:02.471306

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ceee6f4e3187"
down_revision = "2eb222392e68"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("sentiment_label", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("sentiment_label")
        batch_op.drop_column("sentiment")
