"""The schema of toolkit 0.1.0: workshops, sessions, activities, participants, attempts, the answer log,
groups and questions from the room.

Stores made by 0.1.0 (before migrations) already have these tables and are stamped at this revision
instead of running it. Revisions are frozen: they never import toolkit.schema, which moves on.

Revision ID: 0001
Revises:
Create Date: 2026-01-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), nullable=False, primary_key=True)


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "store_info",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.bulk_insert(sa.table("store_info", sa.column("name", sa.String), sa.column("value", sa.String)),
                   [{"name": "schema_version", "value": "1"}])
    op.create_table(
        "banks",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("bank_id", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        _when("added_at", nullable=False),
    )
    op.create_table(
        "workshops",
        _id(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("place", sa.String(200)),
        sa.Column("starts_on", sa.Date),
        sa.Column("ends_on", sa.Date),
        sa.Column("organiser", sa.String(300)),
        sa.Column("cohort", sa.String(200)),
        sa.Column("profile_fields", sa.JSON, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "participants",
        _id(),
        sa.Column("workshop_id", sa.String(36), sa.ForeignKey("workshops.id"), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200)),
        sa.Column("match_code_hash", sa.String(64)),
        sa.Column("sex", sa.String(20)),
        sa.Column("organisation", sa.String(200)),
        sa.Column("rank", sa.String(100)),
        sa.Column("province", sa.String(100)),
        sa.Column("language", sa.String(5), nullable=False),
        _when("consent_at"),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_participants_match_code_hash", "participants", ["match_code_hash"])
    op.create_index("ix_participants_workshop_id", "participants", ["workshop_id"])
    op.create_table(
        "sessions",
        _id(),
        sa.Column("workshop_id", sa.String(36), sa.ForeignKey("workshops.id"), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("join_code", sa.String(12), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_sessions_join_code", "sessions", ["join_code"])
    op.create_index("ix_sessions_workshop_id", "sessions", ["workshop_id"])
    op.create_table(
        "activities",
        _id(),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("bank_hash", sa.String(64), sa.ForeignKey("banks.hash"), nullable=False),
        sa.Column("case_study_id", sa.String(200)),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("time_limit_s", sa.Integer),
        _when("opened_at"),
        _when("closed_at"),
        _when("revealed_at"),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_activities_session_id", "activities", ["session_id"])
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), primary_key=True),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
        _when("joined_at", nullable=False),
    )
    op.create_table(
        "audience_questions",
        _id(),
        sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        _when("asked_at", nullable=False),
    )
    op.create_index("ix_audience_questions_session_id", "audience_questions", ["session_id"])
    op.create_table(
        "attempts",
        _id(),
        sa.Column("activity_id", sa.String(36), sa.ForeignKey("activities.id"), nullable=False),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        _when("started_at", nullable=False),
        _when("submitted_at"),
        sa.UniqueConstraint("activity_id", "participant_id", name="one_attempt_per_activity"),
    )
    op.create_index("ix_attempts_activity_id", "attempts", ["activity_id"])
    op.create_index("ix_attempts_participant_id", "attempts", ["participant_id"])
    op.create_table(
        "groups",
        _id(),
        sa.Column("activity_id", sa.String(36), sa.ForeignKey("activities.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.create_index("ix_groups_activity_id", "groups", ["activity_id"])
    op.create_table(
        "votes",
        sa.Column("question_id", sa.String(36), sa.ForeignKey("audience_questions.id"), primary_key=True),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
        _when("voted_at", nullable=False),
    )
    op.create_table(
        "answers",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("attempt_id", sa.String(36), sa.ForeignKey("attempts.id"), nullable=False),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("response", sa.JSON),
        _when("saved_at", nullable=False),
    )
    op.create_index("ix_answers_attempt_id", "answers", ["attempt_id"])
    op.create_table(
        "group_answers",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(64), nullable=False, unique=True),
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id"), nullable=False),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False),
        sa.Column("prompt_id", sa.String(200), nullable=False),
        sa.Column("response", sa.JSON),
        _when("saved_at", nullable=False),
    )
    op.create_index("ix_group_answers_group_id", "group_answers", ["group_id"])
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id"), primary_key=True),
        sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
    )


def downgrade() -> None:
    for name in ("group_members", "group_answers", "answers", "votes", "groups", "attempts", "audience_questions",
                 "attendance", "activities", "sessions", "participants", "workshops", "banks", "store_info"):
        op.drop_table(name)
