"""external identities, account sign-in source: sign-in through OpenID Connect or LDAP (cop.identity);
users.auth_source says how each person signs in, users.is_break_glass marks the administrator from
`cop create-admin` who may always use a password

Revision ID: 1c8d540007f3
Revises: 54a7b3b247e2
Create Date: 2026-12-07 00:53:33.510176

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1c8d540007f3"
down_revision = "54a7b3b247e2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("directory_dn", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_external_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identities")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_external_identities_provider_subject")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_external_identities_user_id_provider")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_source", sa.String(length=10), server_default="local", nullable=False))
        batch_op.add_column(sa.Column("is_break_glass", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_break_glass")
        batch_op.drop_column("auth_source")

    op.drop_table("external_identities")
