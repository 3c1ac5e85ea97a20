"""Counterbalanced forms (issue #16): a session's design, a participant's sequence, the form an attempt took.

`sessions.design` is how the pre- and post-test forms are given: crossover (half the room takes form A then B,
the other half B then A), same-form, or a-then-b (everyone A then B). Sessions made before this revision gave
everyone the pre-test's form first, so they are marked a-then-b. `participants.sequence` (AB | BA) is assigned
at join and kept for the rest of the cohort; `attempts.bank_hash` is the bank the attempt was taken on (None in
older stores: the activity's bank).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("design", sa.String(12)))
    op.execute("UPDATE sessions SET design = 'a-then-b'")
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("sequence", sa.String(2)))
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("bank_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("bank_hash")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("sequence")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("design")
