"""graph subscriptions: what each was made with, and leases so several instances act once

Revision ID: 0065
Revises: 0060
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import store.types
from alembic import op


revision: str = '0065'
down_revision: str | Sequence[str] | None = '0060'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('graph_subscription_leases',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('until', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_graph_subscription_leases_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', name=op.f('pk_graph_subscription_leases'))
    )
    with op.batch_alter_table('graph_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('client_state_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('graph_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('client_state_digest')
        batch_op.drop_column('notification_url')
    op.drop_table('graph_subscription_leases')
