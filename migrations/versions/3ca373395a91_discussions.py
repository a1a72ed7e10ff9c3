"""discussions

Revision ID: 3ca373395a91
Revises: f3f666b36a82
Create Date: 2026-11-22 01:18:31.856995

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3ca373395a91"
down_revision = "f3f666b36a82"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(), nullable=False),
        sa.Column("reply_count", sa.Integer(), nullable=False),
        sa.Column("first_reply_at", sa.DateTime(), nullable=True),
        sa.Column("opening_post_id", sa.Integer(), nullable=True),
        sa.Column("accepted_post_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('question', 'problem', 'idea', 'discussion', 'announcement')", name=op.f("ck_threads_kind")
        ),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name=op.f("ck_threads_status")),
        sa.CheckConstraint("priority IN (1, 2, 3)", name=op.f("ck_threads_priority")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_threads_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_threads_community_id_communities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threads")),
    )
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_threads_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_threads_community_activity", ["community_id", "last_activity_at"], unique=False)
        batch_op.create_index("ix_threads_community_created", ["community_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_threads_community_triage", ["community_id", "status", "priority", "created_at"], unique=False
        )

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=77), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("is_hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_posts_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["posts.id"], name=op.f("fk_posts_parent_id_posts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_posts_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_author_created", ["author_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_posts_thread_path", ["thread_id", "path"], unique=False)

    # threads and posts reference each other: the threads → posts keys come after both tables.
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_threads_opening_post_id_posts"), "posts", ["opening_post_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_threads_accepted_post_id_posts"), "posts", ["accepted_post_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "thread_tags",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_thread_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_thread_tags_thread_id_threads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("thread_id", "tag_id", name=op.f("pk_thread_tags")),
    )
    with op.batch_alter_table("thread_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("flagger_id", sa.Integer(), nullable=False),
        sa.Column("guideline", sa.String(length=60), nullable=False),
        sa.Column("guideline_title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'dismissed', 'hidden')", name=op.f("ck_flags_status")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_flags_community_id_communities"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_flags_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["flagger_id"], ["users.id"], name=op.f("fk_flags_flagger_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_flags_post_id_posts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.create_index("ix_flags_community_status", ["community_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_flagger_id"), ["flagger_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flags_post_id"), ["post_id"], unique=False)

    op.create_table(
        "post_mentions",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_mentions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_post_mentions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", name=op.f("pk_post_mentions")),
    )
    with op.batch_alter_table("post_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_mentions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"], ["users.id"], name=op.f("fk_post_revisions_editor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_revisions_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_revisions")),
    )
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_revisions_post_id"), ["post_id"], unique=False)


def downgrade():
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_revisions_post_id"))

    op.drop_table("post_revisions")
    with op.batch_alter_table("post_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_mentions_user_id"))

    op.drop_table("post_mentions")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flags_post_id"))
        batch_op.drop_index(batch_op.f("ix_flags_flagger_id"))
        batch_op.drop_index("ix_flags_community_status")

    op.drop_table("flags")
    with op.batch_alter_table("thread_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thread_tags_tag_id"))

    op.drop_table("thread_tags")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_threads_accepted_post_id_posts"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_threads_opening_post_id_posts"), type_="foreignkey")

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_thread_path")
        batch_op.drop_index(batch_op.f("ix_posts_parent_id"))
        batch_op.drop_index(batch_op.f("ix_posts_created_at"))
        batch_op.drop_index("ix_posts_author_created")

    op.drop_table("posts")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_index("ix_threads_community_triage")
        batch_op.drop_index("ix_threads_community_created")
        batch_op.drop_index("ix_threads_community_activity")
        batch_op.drop_index(batch_op.f("ix_threads_author_id"))

    op.drop_table("threads")
