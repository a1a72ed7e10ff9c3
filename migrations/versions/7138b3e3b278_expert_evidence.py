"""expert evidence: counts per tag, community, person, kind and month (cop.tags.evidence)

The ranking of "People who know #tag" reads one primary-key range per readable community; on SQLite the
table has no rowid, so that range holds the counts too. The table starts empty: fill it with
``flask cop experts rebuild`` after upgrading (writes keep it current from then on).

Revision ID: 7138b3e3b278
Revises: 3b25c097bcb1
Create Date: 2026-12-07 13:52:54.400511

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7138b3e3b278'
down_revision = '3b25c097bcb1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('expert_evidence',
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('accepted', 'helpful', 'resource', 'post')", name=op.f('ck_expert_evidence_kind')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_expert_evidence_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_expert_evidence_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_evidence_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag_id', 'community_id', 'user_id', 'kind', 'month', name=op.f('pk_expert_evidence')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('expert_evidence')
