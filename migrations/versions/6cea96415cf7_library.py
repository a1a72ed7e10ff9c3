"""library

Revision ID: 6cea96415cf7
Revises: 3ca373395a91
Create Date: 2026-11-22 01:40:12.349433

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6cea96415cf7"
down_revision = "3ca373395a91"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description_md", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('file', 'link', 'document')", name=op.f("ck_resources_kind")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_resources_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_resources_community_id_communities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resources_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_resources_community_featured", ["community_id", "is_featured"], unique=False)
        batch_op.create_index(
            "ix_resources_community_updated", ["community_id", "is_deleted", "updated_at"], unique=False
        )

    op.create_table(
        "resource_tags",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_resource_tags_resource_id_resources"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_resource_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id", "tag_id", name=op.f("pk_resource_tags")),
    )
    with op.batch_alter_table("resource_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "resource_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("change_note", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=120), nullable=True),
        sa.Column("has_text", sa.Boolean(), nullable=False),
        sa.Column("text_content", sa.Text(), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_resource_versions_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_resource_versions_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_versions")),
        sa.UniqueConstraint("resource_id", "number", name=op.f("uq_resource_versions_resource_id_number")),
    )
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_versions_sha256"), ["sha256"], unique=False)

    op.create_table(
        "post_resource_links",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_resource_links_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_post_resource_links_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "resource_id", name=op.f("pk_post_resource_links")),
    )
    with op.batch_alter_table("post_resource_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_resource_links_resource_id"), ["resource_id"], unique=False)


def downgrade():
    with op.batch_alter_table("post_resource_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_resource_links_resource_id"))

    op.drop_table("post_resource_links")
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_versions_sha256"))

    op.drop_table("resource_versions")
    with op.batch_alter_table("resource_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_tags_tag_id"))

    op.drop_table("resource_tags")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_community_updated")
        batch_op.drop_index("ix_resources_community_featured")
        batch_op.drop_index(batch_op.f("ix_resources_author_id"))

    op.drop_table("resources")
