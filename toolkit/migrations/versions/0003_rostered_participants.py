"""Participants known before they join: a trainer's roster (`toolkit roster import`).

A rostered participant has a contact (a phone number or an e-mail, optional), the time the roster brought
them in, and a personal code printed on their card: the phone that opens the card's address (or types the
code) becomes that participant, with the name, sex, organisation and rank the roster gave.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("contact", sa.String(200)))
        batch.add_column(sa.Column("personal_code", sa.String(12)))
        batch.add_column(sa.Column("rostered_at", sa.DateTime(timezone=True)))
    op.create_index("ix_participants_personal_code", "participants", ["personal_code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_participants_personal_code", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("rostered_at")
        batch.drop_column("personal_code")
        batch.drop_column("contact")
