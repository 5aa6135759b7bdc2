"""One head again: the branches made side by side on 0001 (files, checklist, requests,
conversations, reminders, checklist cards, bot state) meet here, so the next migration has a
single parent.

Revision ID: 0050
Revises: 0002, 0003, 0004, 0005, 0006, 0030, 0040
Create Date: 2026-11-22 03:17:47.174284
"""

from __future__ import annotations

from collections.abc import Sequence


revision: str = '0050'
down_revision: str | Sequence[str] | None = ('0002', '0003', '0004', '0005', '0006', '0030', '0040')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
