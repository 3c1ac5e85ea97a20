"""Groups of a case-study exercise, their members and the group's shared answer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import schema as t
from ..deadline import GRACE_S, time_is_up
from ..errors import ActivityNotOpen, NotAllowed, NotFound, TimeUp
from .core import StoreCore, _bounded_response, _row, new_id, now, same_answer


class Groups(StoreCore):
    """The verbs of groups."""

    def add_group(self, activity_id: str, name: str, participant_ids: list[str] = ()) -> dict:
        """A group of an activity; a participant belongs to one group per activity."""
        self.find_activity(activity_id)
        row = dict(id=new_id(), activity_id=activity_id, name=name.strip() or "Group")
        with self.transaction() as c:
            c.execute(t.groups.insert().values(**row))
        if participant_ids:
            self.set_group_members(row["id"], list(participant_ids))
        return {**row, "members": list(participant_ids)}

    def set_group_members(self, group_id: str, participant_ids: list[str]) -> None:
        """Put these participants in this group, taking them out of the activity's other groups."""
        with self.transaction() as c:
            group = c.execute(sa.select(t.groups).where(t.groups.c.id == group_id)).first()
            if group is None:
                raise NotFound("That group is not in this store.")
            siblings = sa.select(t.groups.c.id).where(t.groups.c.activity_id == group.activity_id)
            if participant_ids:
                c.execute(t.group_members.delete().where(t.group_members.c.group_id.in_(siblings),
                                                         t.group_members.c.participant_id.in_(participant_ids)))
            c.execute(t.group_members.delete().where(t.group_members.c.group_id == group_id,
                                                     t.group_members.c.participant_id.not_in(participant_ids or [""])))
            for pid in participant_ids:
                c.execute(self.insert_ignoring_duplicates(t.group_members, dict(group_id=group_id, participant_id=pid)))

    def list_groups(self, activity_id: str) -> list[dict]:
        with self.read() as c:
            groups = [_row(r) for r in c.execute(sa.select(t.groups).where(t.groups.c.activity_id == activity_id)
                                                  .order_by(t.groups.c.name))]
            members = c.execute(sa.select(t.group_members).where(t.group_members.c.group_id.in_([g["id"] for g in groups])))
            by_group: dict[str, list[str]] = {}
            for m in members:
                by_group.setdefault(m.group_id, []).append(m.participant_id)
        return [{**g, "members": by_group.get(g["id"], [])} for g in groups]

    def get_group(self, activity_id: str, participant_id: str) -> dict | None:
        return next((g for g in self.list_groups(activity_id) if participant_id in g["members"]), None)

    def save_group_answer(self, group_id: str, participant_id: str, prompt_id: str, response: Any,
                          uid: str | None = None, timeout: float | None = None) -> dict:
        """Append a member's edit of the group's shared answer; a retry with the same uid is stored once
        (and succeeds even if the exercise closed, its time ran out or the member moved to another group since).
        An edit equal to the prompt's latest answer is not stored again; a typed answer is cleaned and bounded."""
        uid = uid or new_id()
        response = _bounded_response(response, "group_answer")
        with self.transaction(timeout) as c:
            row = c.execute(
                sa.select(t.activities.c.state, t.activities.c.opened_at, t.activities.c.time_limit_s)
                .join(t.groups, t.groups.c.activity_id == t.activities.c.id)
                .join(t.group_members, t.group_members.c.group_id == t.groups.c.id)
                .where(t.groups.c.id == group_id, t.group_members.c.participant_id == participant_id)
            ).first()
            late = row is not None and time_is_up(dict(row._mapping), now(), grace=GRACE_S)
            if row is None or row.state != "open" or late:
                stored = c.execute(sa.select(t.group_answers).where(t.group_answers.c.uid == uid)).first()
                if stored is not None:
                    return {"uid": uid, "group_id": stored.group_id, "prompt_id": stored.prompt_id,
                            "response": stored.response, "participant_id": stored.participant_id,
                            "saved_at": stored.saved_at}
            if row is None:
                raise NotAllowed("You are not a member of this group.")
            if row.state != "open":
                raise ActivityNotOpen("The coach has closed this exercise; your group's answers are kept.")
            if late:
                raise TimeUp("Time is up: this was not saved. Your group's earlier answers are kept.")
            latest = c.execute(
                sa.select(t.group_answers).where(t.group_answers.c.group_id == group_id,
                                                 t.group_answers.c.prompt_id == prompt_id)
                .order_by(t.group_answers.c.seq.desc()).limit(1)).first()
            if latest is not None and same_answer(latest.response, response):
                return {"uid": latest.uid, "group_id": group_id, "prompt_id": prompt_id, "response": response,
                        "participant_id": latest.participant_id, "saved_at": latest.saved_at}
            saved_at = now()
            c.execute(self.insert_ignoring_duplicates(
                t.group_answers, dict(uid=uid, group_id=group_id, participant_id=participant_id, prompt_id=prompt_id,
                                      response=response, saved_at=saved_at)))
        return {"uid": uid, "group_id": group_id, "prompt_id": prompt_id, "response": response,
                "participant_id": participant_id, "saved_at": saved_at}

    def group_answers(self, group_id: str) -> dict[str, dict]:
        """The latest answer per prompt, with who saved it and when."""
        with self.read() as c:
            rows = c.execute(
                sa.select(t.group_answers.c.prompt_id, t.group_answers.c.response, t.group_answers.c.saved_at,
                          t.group_answers.c.participant_id, t.participants.c.display_name)
                .join(t.participants, t.participants.c.id == t.group_answers.c.participant_id)
                .where(t.group_answers.c.group_id == group_id).order_by(t.group_answers.c.seq)
            )
            return {r.prompt_id: dict(r._mapping) for r in rows}
