"""reminder schedule: the next moment each inspection's reminders could change; drive items
by parent folder (an incremental sync reads a changed folder's contents)

Revision ID: 0060
Revises: 0050
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import store.types
from alembic import op


revision: str = '0060'
down_revision: str | Sequence[str] | None = '0050'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder_schedule',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('next_check_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_reminder_schedule_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inspection_id', name=op.f('pk_reminder_schedule'))
    )
    with op.batch_alter_table('reminder_schedule', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_schedule_next_check_at', ['next_check_at'], unique=False)
    with op.batch_alter_table('drive_items', schema=None) as batch_op:
        batch_op.create_index('ix_drive_items_inspection_parent', ['inspection_id', 'parent_id'], unique=False)
    # Every inspection stored so far is planned at the next tick.
    op.execute(
        sa.text(
            "INSERT INTO reminder_schedule (inspection_id, next_check_at, version) "
            "SELECT id, :at, 0 FROM inspections"
        ).bindparams(
            sa.bindparam('at', datetime(2000, 1, 1, tzinfo=UTC), type_=store.types.UTCDateTime())
        )
    )


def downgrade() -> None:
    with op.batch_alter_table('drive_items', schema=None) as batch_op:
        batch_op.drop_index('ix_drive_items_inspection_parent')
    with op.batch_alter_table('reminder_schedule', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_schedule_next_check_at')

    op.drop_table('reminder_schedule')
