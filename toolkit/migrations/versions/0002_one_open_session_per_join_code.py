"""The database refuses a second open session with the same join code.

Until now only the service checked it, inside its write transaction: enough on SQLite, where writers take
turns, but on PostgreSQL two servers creating (or importing) sessions at the same moment could both pass the
check. Should a store already hold such a pair, the older sessions get new codes: `find_session` always led
a typed code to the newest one, so the code keeps leading where it did.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-15
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as toolkit.store had it when this revision was written
_WHERE = "state = 'open'"


def _recode_duplicates() -> None:
    if op.get_context().as_sql:  # SQL written out for a DBA (alembic --sql): there is no data to look at
        return
    conn = op.get_bind()
    sessions = sa.table("sessions", sa.column("id"), sa.column("join_code"), sa.column("state"),
                        sa.column("created_at"))
    dupes = conn.execute(sa.select(sessions.c.join_code).where(sessions.c.state == "open")
                         .group_by(sessions.c.join_code).having(sa.func.count() > 1)).scalars().all()
    if not dupes:
        return
    taken = set(conn.execute(sa.select(sessions.c.join_code).where(sessions.c.state == "open")).scalars())
    for code in dupes:
        older = conn.execute(sa.select(sessions.c.id).where(sessions.c.join_code == code, sessions.c.state == "open")
                             .order_by(sessions.c.created_at.desc())).scalars().all()[1:]
        for session_id in older:
            new = code
            while new in taken:
                new = "".join(secrets.choice(_ALPHABET) for _ in range(6))
            taken.add(new)
            conn.execute(sessions.update().where(sessions.c.id == session_id).values(join_code=new))


def upgrade() -> None:
    _recode_duplicates()
    op.create_index("one_open_session_per_join_code", "sessions", ["join_code"], unique=True,
                    sqlite_where=sa.text(_WHERE), postgresql_where=sa.text(_WHERE))


def downgrade() -> None:
    op.drop_index("one_open_session_per_join_code", table_name="sessions")
