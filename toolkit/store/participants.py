"""Participants: joining, who is in a session, taking someone out, rosters and the cards of a roster."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa

from .. import languages, limits
from .. import schema as t
from ..design import assign_sequence, ensure_sequence
from ..errors import InvalidText, NotAllowed, NotFound, StoreError, UnknownParticipant
from .core import StoreCore, _row, id_from_uid, new_id, new_personal_code, normalise_join_code, now

PROFILE_FIELDS = ("sex", "organisation", "rank", "province")
PROFILE_CHOICES = ("required", "optional", "off")
DEFAULT_PROFILE = {"sex": "optional", "organisation": "optional", "rank": "optional", "province": "off"}


class Participants(StoreCore):
    """The verbs of participants and rosters."""

    def join(self, join_code: str, display_name: str | None = None, language: str = "en",
             consent: bool = True, *, uid: str | None = None, client: str | None = None,
             **profile: str | None) -> dict:
        """A new participant of the session's workshop, with the token that brings them back.

        Pass a `uid` made once per join form: a retry with it returns the participant the first call made.
        Texts are checked here (limits.clean_text), so both databases take and refuse the same (InvalidText).
        With `client` (the phone's address), wrong codes and joins count against it (TooManyWrongCodes,
        TooManyJoins); without it (the CLI, the demo, tests) nothing is counted.
        """
        participant_id = id_from_uid("join", uid) if uid else new_id()
        if uid:
            with self.read() as c:
                joined = _row(c.execute(sa.select(t.participants).where(t.participants.c.id == participant_id)).first())
            if joined is not None:
                return joined
        unknown = set(profile) - set(PROFILE_FIELDS) - {"match_code_hash"}
        if unknown:
            raise StoreError(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
        name = limits.clean_text(display_name, "display_name")
        given = {k: limits.clean_text(v, k) for k, v in profile.items() if k in PROFILE_FIELDS}
        match_code = profile.get("match_code_hash")
        if match_code is not None and not (isinstance(match_code, str) and len(match_code) <= 64
                                           and not set(match_code) - set("0123456789abcdef.")):
            raise StoreError("A matching code is stored as its digests (matchcode.match_code_hash).")
        session = self.find_session_by_code(join_code, client=client)
        workshop = self.find_workshop(session["workshop_id"])
        for field, rule in workshop["profile_fields"].items():
            if rule == "required" and not given.get(field):
                raise InvalidText(f"Please answer: {field}.", field, "missing", limits.TEXT_LIMITS[field])
        if not consent:
            raise NotAllowed("You can join once you have read and accepted the notice.")
        if "match_code_hash" in profile:
            given["match_code_hash"] = match_code
        row = dict(id=participant_id, workshop_id=workshop["id"], token=secrets.token_urlsafe(16), display_name=name,
                   language=language if languages.get(language) else languages.ENGLISH, consent_at=now(), created_at=now(),
                   **given)
        with self.transaction() as c:
            if client:
                self._check_joins(c, client)
            row["sequence"] = assign_sequence(c, row)
            if c.execute(self.insert_ignoring_duplicates(t.participants, row, on=["id"])).rowcount == 0:
                # the same uid raced in from another kernel: that call's participant is the one
                return _row(c.execute(sa.select(t.participants).where(t.participants.c.id == participant_id)).first())
            c.execute(t.attendance.insert().values(session_id=session["id"], participant_id=row["id"], joined_at=now()))
            if client:
                self._note(c, "join", client)
        return row

    def find_participant(self, token: str) -> dict:
        with self.read() as c:
            row = _row(c.execute(sa.select(t.participants).where(t.participants.c.token == token)).first())
        if row is None:
            raise UnknownParticipant("This link is not known here. Join again with the code on the screen.")
        return row

    def attend(self, session_id: str, participant_id: str) -> None:
        """Record that a participant is in this session (a returning member of the cohort)."""
        with self.transaction() as c:
            c.execute(self.insert_ignoring_duplicates(
                t.attendance, dict(session_id=session_id, participant_id=participant_id, joined_at=now())))
            ensure_sequence(c, participant_id)

    def set_language(self, participant_id: str, language: str) -> None:
        with self.transaction() as c:
            c.execute(t.participants.update().where(t.participants.c.id == participant_id).values(language=language))

    def session_participants(self, session_id: str) -> list[dict]:
        with self.read() as c:
            rows = c.execute(
                sa.select(t.participants, t.attendance.c.joined_at)
                .join(t.attendance, t.attendance.c.participant_id == t.participants.c.id)
                .where(t.attendance.c.session_id == session_id)
                .order_by(t.attendance.c.joined_at)
            )
            return [_row(r) for r in rows]

    def attends(self, session_id: str, participant_id: str) -> bool:
        """Whether the participant is (still) in this session: the coach may have taken them out."""
        with self.read() as c:
            return c.execute(sa.select(t.attendance.c.participant_id).where(
                t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)
            ).first() is not None

    def _left_traces(self, c: sa.Connection, session_id: str, participant_ids: list[str] | None = None) -> set[str]:
        """Who of the session (or of `participant_ids`) answered, submitted, wrote for a group or asked in it."""
        activity_ids = sa.select(t.activities.c.id).where(t.activities.c.session_id == session_id)
        attempts = t.attempts
        answered = (sa.select(attempts.c.participant_id).join(t.answers, t.answers.c.attempt_id == attempts.c.id)
                    .where(attempts.c.activity_id.in_(activity_ids)))
        submitted = sa.select(attempts.c.participant_id).where(attempts.c.activity_id.in_(activity_ids),
                                                               attempts.c.submitted_at.is_not(None))
        group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
        grouped = sa.select(t.group_answers.c.participant_id).where(t.group_answers.c.group_id.in_(group_ids))
        asked = sa.select(t.audience_questions.c.participant_id).where(t.audience_questions.c.session_id == session_id)
        traces: set[str] = set()
        for q in (answered, submitted, grouped, asked):
            if participant_ids is not None:
                q = q.where(q.selected_columns[0].in_(participant_ids))
            traces.update(c.execute(q).scalars())
        return traces

    def silent_participants(self, session_id: str, among: Iterable[str] | None = None) -> list[dict]:
        """The session's participants (or those of them `among` these ids) who have not answered, written for a
        group or asked anything in it."""
        people = self.session_participants(session_id)
        if among is not None:
            wanted = set(among)
            people = [p for p in people if p["id"] in wanted]
            if not people:
                return []
        with self.read() as c:
            traces = self._left_traces(c, session_id, None if among is None else [p["id"] for p in people])
        return [p for p in people if p["id"] not in traces]

    def remove_from_session(self, session_id: str, participant_id: str) -> None:
        """Take someone who never answered out of the session (the coach's answer to made-up participants).

        Their attendance, empty attempts, group places and votes in this session go; a participant nothing else
        refers to (no other session, not on the roster) is deleted, so their link no longer works. Someone who
        answered, submitted, wrote for a group or asked a question in this session is refused (NotAllowed).
        """
        with self.transaction() as c:
            if c.execute(sa.select(t.attendance.c.participant_id).where(
                    t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)).first() is None:
                raise NotFound("That participant is not in this session.")
            if self._left_traces(c, session_id, [participant_id]):
                raise NotAllowed("This participant has answered in this session; their answers are kept.")
            activity_ids = sa.select(t.activities.c.id).where(t.activities.c.session_id == session_id)
            group_ids = sa.select(t.groups.c.id).where(t.groups.c.activity_id.in_(activity_ids))
            question_ids = sa.select(t.audience_questions.c.id).where(t.audience_questions.c.session_id == session_id)
            mine = {"participant_id": participant_id}
            c.execute(t.votes.delete().filter_by(**mine).where(t.votes.c.question_id.in_(question_ids)))
            c.execute(t.group_members.delete().filter_by(**mine).where(t.group_members.c.group_id.in_(group_ids)))
            c.execute(t.attempts.delete().filter_by(**mine).where(t.attempts.c.activity_id.in_(activity_ids)))
            c.execute(t.attendance.delete().filter_by(session_id=session_id, **mine))
            person = c.execute(sa.select(t.participants.c.rostered_at).where(t.participants.c.id == participant_id)).first()
            refers = [sa.select(x.c.participant_id).filter_by(**mine).limit(1)
                      for x in (t.attendance, t.attempts, t.group_members, t.group_answers, t.audience_questions, t.votes)]
            if person is not None and person.rostered_at is None and not any(c.execute(q).first() for q in refers):
                c.execute(t.participants.delete().where(t.participants.c.id == participant_id))

    def add_rostered(self, workshop_id: str, people: list[dict]) -> list[dict]:
        """Participants from a trainer's list (toolkit.roster), each with a personal code for their card.

        `people` are dicts with name, sex, organisation, rank and contact. All are written in one transaction,
        or none (InvalidText: a text longer or odder than a phone could type, see limits.clean_text). They have not
        accepted the notice yet: their phone does that when it claims the card.
        """
        self.find_workshop(workshop_id)
        people = [{"name": limits.clean_text(p.get("name"), "display_name"),
                   **{k: limits.clean_text(p.get(k), k) for k in ("sex", "organisation", "rank", "contact")}}
                  for p in people]
        rows = []
        with self.transaction() as c:
            taken = set(c.execute(sa.select(t.participants.c.personal_code)
                                  .where(t.participants.c.personal_code.is_not(None))).scalars())
            for person in people:
                code = new_personal_code()
                while code in taken:
                    code = new_personal_code()
                taken.add(code)
                rows.append(dict(
                    id=new_id(), workshop_id=workshop_id, token=secrets.token_urlsafe(16),
                    display_name=person["name"],
                    sex=person.get("sex"), organisation=person.get("organisation"), rank=person.get("rank"),
                    contact=person.get("contact"), language="en", consent_at=None, created_at=now(),
                    rostered_at=now(), personal_code=code))
            if rows:
                c.execute(t.participants.insert(), rows)
        return rows

    def roster(self, workshop_id: str) -> list[dict]:
        """The workshop's rostered participants, by name; `consent_at` tells who has claimed their card."""
        with self.read() as c:
            rows = c.execute(sa.select(t.participants).where(t.participants.c.workshop_id == workshop_id,
                                                             t.participants.c.rostered_at.is_not(None))
                             .order_by(t.participants.c.display_name, t.participants.c.created_at))
            return [_row(r) for r in rows]

    def has_roster(self, workshop_id: str) -> bool:
        with self.read() as c:
            return c.execute(sa.select(t.participants.c.id).where(t.participants.c.workshop_id == workshop_id,
                                                                  t.participants.c.rostered_at.is_not(None))
                             .limit(1)).first() is not None

    def find_card(self, code: str, client: str | None = None) -> dict:
        """The rostered participant whose card carries this personal code (typed with or without the dash).

        With `client`, a wrong card code counts against the address like a wrong join code."""
        code = normalise_join_code(code)  # a card's code is typed like a join code
        row = self._look_up_code(code, client, lambda c: _row(c.execute(
            sa.select(t.participants).where(t.participants.c.personal_code == code)).first()))
        if row is None:
            raise UnknownParticipant("This card's code is not known here. Check the letters on the card, or join "
                                     "with the code on the screen.")
        return row

    def claim_card(self, code: str, language: str = "en", consent: bool = True,
                   client: str | None = None) -> tuple[dict, dict]:
        """A phone becomes the card's participant in the newest open session of their workshop.

        A card makes nobody new (the roster did), so only wrong codes count against `client`, not joins."""
        participant = self.find_card(code, client=client)
        if not consent:
            raise NotAllowed("You can join once you have read and accepted the notice.")
        sessions = [s for s in self.list_sessions(participant["workshop_id"]) if s["state"] == "open"]
        if not sessions:
            title = self.find_workshop(participant["workshop_id"])["title"]
            raise NotFound(f"No session of {title} is open yet. Wait for the coach to start it, then try again.")
        session = sessions[0]
        values = {"language": language if languages.get(language) else languages.ENGLISH}
        with self.transaction() as c:
            c.execute(t.participants.update().where(t.participants.c.id == participant["id"],
                                                    t.participants.c.consent_at.is_(None)).values(consent_at=now()))
            c.execute(t.participants.update().where(t.participants.c.id == participant["id"]).values(**values))
            c.execute(self.insert_ignoring_duplicates(
                t.attendance, dict(session_id=session["id"], participant_id=participant["id"], joined_at=now())))
            ensure_sequence(c, participant["id"])
        return self.find_card(code), session
