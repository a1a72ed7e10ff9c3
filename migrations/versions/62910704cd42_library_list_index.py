"""resource list indexes: the library in (community, featured, updated, id) order; the community page's
newest non-featured resources in (community, deleted, featured, created) order

Revision ID: 62910704cd42
Revises: f0a5d13fc6fd
Create Date: 2026-11-30 21:40:33.117103

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "62910704cd42"
down_revision = "f0a5d13fc6fd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_community_featured"))
        batch_op.create_index(
            "ix_resources_community_list", ["community_id", "is_featured", "updated_at", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_resources_community_created"))
        batch_op.create_index(
            "ix_resources_community_new", ["community_id", "is_deleted", "is_featured", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_community_new")
        batch_op.create_index(
            batch_op.f("ix_resources_community_created"), ["community_id", "is_deleted", "created_at"], unique=False
        )
        batch_op.drop_index("ix_resources_community_list")
        batch_op.create_index(
            batch_op.f("ix_resources_community_featured"), ["community_id", "is_featured"], unique=False
        )
