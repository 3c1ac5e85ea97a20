"""Questions from the room and votes on them."""

from __future__ import annotations

import sqlalchemy as sa

from .. import limits
from .. import schema as t
from ..errors import InvalidText, NotAllowed, NotFound, StoreError
from .core import StoreCore, _row, id_from_uid, new_id, now


class RoomQuestions(StoreCore):
    """The verbs of questions from the room."""

    def ask(self, session_id: str, participant_id: str, text: str, anonymous: bool = False,
            uid: str | None = None) -> dict:
        """A question from the room; a retry with the same uid returns the question the first call stored.

        Only someone in the session asks (the coach may have taken them out); the text is checked by
        limits.clean_text, so both databases take and refuse the same (InvalidText)."""
        text = limits.clean_text(text, "room_question")
        if not text:
            raise InvalidText("Type your question first.", "room_question", "missing",
                              limits.TEXT_LIMITS["room_question"])
        row = dict(id=id_from_uid("ask", uid) if uid else new_id(), session_id=session_id,
                   participant_id=participant_id, text=text, anonymous=bool(anonymous), state="open", asked_at=now())
        with self.transaction() as c:
            self._must_attend(c, session_id, participant_id)
            if c.execute(self.insert_ignoring_duplicates(t.audience_questions, row, on=["id"])).rowcount == 0:
                return _row(c.execute(sa.select(t.audience_questions)
                                      .where(t.audience_questions.c.id == row["id"])).first())
        return row

    def vote(self, question_id: str, participant_id: str, up: bool = True) -> None:
        """One vote per person and question; voting twice counts once, `up=False` takes it back.

        Only someone in the question's session votes: a participant the coach took out cannot vote again."""
        with self.transaction() as c:
            session_id = c.execute(sa.select(t.audience_questions.c.session_id)
                                   .where(t.audience_questions.c.id == question_id)).scalar()
            if session_id is None:
                raise NotFound("That question is not in this store.")
            self._must_attend(c, session_id, participant_id)
            if up:
                c.execute(self.insert_ignoring_duplicates(
                    t.votes, dict(question_id=question_id, participant_id=participant_id, voted_at=now())))
            else:
                c.execute(t.votes.delete().where(t.votes.c.question_id == question_id,
                                                 t.votes.c.participant_id == participant_id))

    def _must_attend(self, c: sa.Connection, session_id: str, participant_id: str) -> None:
        if c.execute(sa.select(t.attendance.c.participant_id).where(
                t.attendance.c.session_id == session_id, t.attendance.c.participant_id == participant_id)).first() is None:
            raise NotAllowed("You are no longer in this session. Join again with the code on the screen.")

    def set_question_state(self, question_id: str, state: str) -> None:
        if state not in ("open", "answered", "hidden"):
            raise StoreError("A question from the room is open, answered or hidden.")
        with self.transaction() as c:
            c.execute(t.audience_questions.update().where(t.audience_questions.c.id == question_id).values(state=state))

    def room_questions(self, session_id: str, participant_id: str | None = None,
                       include_hidden: bool = False) -> list[dict]:
        """Questions from the room, most votes first; the asker's name only where they gave it."""
        votes = (sa.select(t.votes.c.question_id, sa.func.count().label("votes"))
                 .group_by(t.votes.c.question_id).subquery())
        q = (sa.select(t.audience_questions, t.participants.c.display_name, sa.func.coalesce(votes.c.votes, 0).label("votes"))
             .join(t.participants, t.participants.c.id == t.audience_questions.c.participant_id)
             .outerjoin(votes, votes.c.question_id == t.audience_questions.c.id)
             .where(t.audience_questions.c.session_id == session_id))
        if not include_hidden:
            q = q.where(t.audience_questions.c.state != "hidden")
        with self.read() as c:
            rows = [_row(r) for r in c.execute(q)]
            mine = set()
            if participant_id:
                mine = set(c.execute(sa.select(t.votes.c.question_id).where(t.votes.c.participant_id == participant_id))
                           .scalars())
        for r in rows:
            r["asker"] = None if r["anonymous"] else r["display_name"]
            r["voted"] = r["id"] in mine
            r["mine"] = r["participant_id"] == participant_id
            del r["display_name"]
        rows.sort(key=lambda r: (r["state"] == "answered", -r["votes"], r["asked_at"]))
        return rows
