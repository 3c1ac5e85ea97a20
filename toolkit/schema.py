"""The store's tables (SQLAlchemy Core) at the newest revision. Identifiers are UUID strings so that stores
from several laptops merge without clashes; answers are an append-only log.

A change here is also a new revision in toolkit/migrations/versions/ (tests/test_migrations.py checks that
the revisions build exactly these tables).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Alembic keeps the store's revision here. It is declared so that `metadata.drop_all` empties a store
# completely: a version left behind without its tables would make the next open skip the migrations.
alembic_version = sa.Table(
    "alembic_version",
    metadata,
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _id() -> sa.Column:
    return sa.Column("id", sa.String(36), primary_key=True)


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# Written by toolkit 0.1.0 (schema_version 1) before the store had migrations; kept so such stores are recognised.
store_info = sa.Table(
    "store_info",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

banks = sa.Table(
    "banks",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("bank_id", sa.String(200), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("content", sa.JSON, nullable=False),
    _when("added_at", nullable=False),
)

workshops = sa.Table(
    "workshops",
    metadata,
    _id(),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("place", sa.String(200)),
    sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date),
    sa.Column("organiser", sa.String(300)),
    sa.Column("cohort", sa.String(200)),
    # which profile questions are asked: {"sex": "required"|"optional"|"off", ...}
    sa.Column("profile_fields", sa.JSON, nullable=False),
    _when("created_at", nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    _id(),
    sa.Column("workshop_id", sa.String(36), sa.ForeignKey("workshops.id"), nullable=False, index=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("join_code", sa.String(12), nullable=False, index=True),
    sa.Column("state", sa.String(10), nullable=False),  # open | closed
    _when("created_at", nullable=False),
    # how the pre- and post-test forms are given (toolkit.design.DESIGNS): crossover | same-form | a-then-b
    sa.Column("design", sa.String(12)),
    # A code typed on a phone must lead to one session: the database refuses a second open one.
    sa.Index("one_open_session_per_join_code", "join_code", unique=True,
             sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'")),
)

activities = sa.Table(
    "activities",
    metadata,
    _id(),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # pretest, posttest, check, survey, confidence, case_study
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("bank_hash", sa.String(64), sa.ForeignKey("banks.hash"), nullable=False),
    sa.Column("case_study_id", sa.String(200)),
    sa.Column("state", sa.String(10), nullable=False),  # draft | open | closed | revealed
    sa.Column("time_limit_s", sa.Integer),
    _when("opened_at"),
    _when("closed_at"),
    _when("revealed_at"),
    _when("created_at", nullable=False),
)

participants = sa.Table(
    "participants",
    metadata,
    _id(),
    sa.Column("workshop_id", sa.String(36), sa.ForeignKey("workshops.id"), nullable=False, index=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200)),
    sa.Column("match_code_hash", sa.String(64), index=True),
    sa.Column("sex", sa.String(20)),
    sa.Column("organisation", sa.String(200)),
    sa.Column("rank", sa.String(100)),
    sa.Column("province", sa.String(100)),
    sa.Column("language", sa.String(5), nullable=False),
    _when("consent_at"),  # None for a rostered participant until their phone accepts the notice
    _when("created_at", nullable=False),
    sa.Column("contact", sa.String(200)),  # from a roster: a phone number or an e-mail
    sa.Column("personal_code", sa.String(12), unique=True, index=True),  # on a rostered participant's card
    _when("rostered_at"),
    sa.Column("sequence", sa.String(2)),  # AB | BA: the order of the forms in a crossover (toolkit.design)
)

attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), primary_key=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
    _when("joined_at", nullable=False),
)

attempts = sa.Table(
    "attempts",
    metadata,
    _id(),
    sa.Column("activity_id", sa.String(36), sa.ForeignKey("activities.id"), nullable=False, index=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),  # the question on screen, for resume
    _when("started_at", nullable=False),
    _when("submitted_at"),
    sa.UniqueConstraint("activity_id", "participant_id", name="one_attempt_per_activity"),
    sa.Column("bank_hash", sa.String(64)),  # the form taken (a crossover swaps them); None: the activity's bank
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(64), nullable=False, unique=True),  # the client's id: a retry is stored once
    sa.Column("attempt_id", sa.String(36), sa.ForeignKey("attempts.id"), nullable=False, index=True),
    sa.Column("question_id", sa.String(200), nullable=False),
    sa.Column("response", sa.JSON),
    _when("saved_at", nullable=False),
)

groups = sa.Table(
    "groups",
    metadata,
    _id(),
    sa.Column("activity_id", sa.String(36), sa.ForeignKey("activities.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id"), primary_key=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
)

group_answers = sa.Table(
    "group_answers",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(64), nullable=False, unique=True),
    sa.Column("group_id", sa.String(36), sa.ForeignKey("groups.id"), nullable=False, index=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False),
    sa.Column("prompt_id", sa.String(200), nullable=False),
    sa.Column("response", sa.JSON),
    _when("saved_at", nullable=False),
)

audience_questions = sa.Table(
    "audience_questions",
    metadata,
    _id(),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),  # open | answered | hidden
    _when("asked_at", nullable=False),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("question_id", sa.String(36), sa.ForeignKey("audience_questions.id"), primary_key=True),
    sa.Column("participant_id", sa.String(36), sa.ForeignKey("participants.id"), primary_key=True),
    _when("voted_at", nullable=False),
)

# What an address tried, shared by every kernel and server of the store: wrong codes and joins, each a row
# that expires (limits.WRONG_CODE_WINDOW_S, limits.JOINS_PER_ADDRESS). `at` is seconds since 1970 (UTC).
throttle_events = sa.Table(
    "throttle_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),  # wrong_code | join
    sa.Column("key", sa.String(100), nullable=False),  # the phone's address
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Index("ix_throttle_events_kind_key_at", "kind", "key", "at"),
)
