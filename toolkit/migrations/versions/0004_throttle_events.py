"""Tries per address, shared by every kernel and server of the store: wrong join and card codes, and joins.

Each try is a row (kind, key, at) that the store deletes once it is older than the longest window that counts it
(toolkit/limits.py), so the table stays small.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_throttle_events_at", "throttle_events", ["at"])
    op.create_index("ix_throttle_events_kind_key_at", "throttle_events", ["kind", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_throttle_events_kind_key_at", table_name="throttle_events")
    op.drop_index("ix_throttle_events_at", table_name="throttle_events")
    op.drop_table("throttle_events")
